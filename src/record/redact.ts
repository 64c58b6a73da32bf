import { NS } from "../protocol/namespaces.js";
import type { Element } from "../xml/element.js";

/** Elements whose text is a credential or derived from one: SASL (RFC 6120 §6.4) and the XEP-0114 handshake. */
const SECRET_ELEMENT_NAMES = new Set(["auth", "response", "challenge", "success", "handshake"]);

/** Shorter strings are not scrubbed as free text (they would blank out ordinary words); their elements still are. */
const MIN_SCRUB_LENGTH = 3;

export function isSecretElement(el: Element): boolean {
  if (el.name === "handshake") return true;
  return SECRET_ELEMENT_NAMES.has(el.name) && el.attrs.xmlns === NS.sasl;
}

/**
 * The credentials the proxy has seen go by: SASL payloads (base64), the
 * password inside a SASL PLAIN payload, XEP-0114 handshake digests. They are
 * kept in memory only, to scrub them from anything written.
 */
export class SecretBag {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    const s = secret?.trim();
    if (s && s.length >= MIN_SCRUB_LENGTH) this.secrets.add(s);
  }

  /** Learns the payload of a SASL or handshake element (and, for PLAIN, the password in it). */
  learn(el: Element): void {
    const payload = el.getText().trim();
    if (!payload || payload === "=") return;
    this.add(payload);
    if (el.name === "auth" && String(el.attrs.mechanism ?? "").toUpperCase() === "PLAIN") {
      const parts = Buffer.from(payload, "base64").toString("utf8").split("\0");
      if (parts.length === 3) this.add(parts[2]);
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Removes every known secret, and the content of any SASL/handshake element, from free text. */
  scrub(text: string): string {
    let out = redactSecretMarkup(text);
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join("[redacted]");
    return out;
  }
}

/**
 * Like transcript.ts's redaction, but also for an element cut off by a chunk
 * boundary or malformed traffic (no closing tag needed): whatever follows the
 * start tag up to the next '<' goes.
 */
const SECRET_MARKUP = /<((?:[\w-]+:)?(?:handshake|auth|response|challenge|success))(\s[^>]*?)?(\/?)>([^<]*)/g;

export function redactSecretMarkup(text: string): string {
  return text.replace(SECRET_MARKUP, (whole, name: string, attrs: string | undefined, selfClosing: string, content: string) =>
    selfClosing || !content.trim() ? whole : `<${name}${attrs ?? ""}>[redacted]`,
  );
}

/** The element as it may be logged: a secret element with its payload replaced. */
export function redactedXml(el: Element): string {
  if (!isSecretElement(el) || !el.getText().trim()) return el.toString();
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join("");
  return `<${el.name}${attrs}>[redacted]</${el.name}>`;
}
