import { NS } from "../protocol/namespaces.js";
import type { ScenarioResult, TranscriptEntry } from "../runner/result.js";
import { escapeXML, escapeXMLText, type Element } from "../xml/element.js";

/** Elements whose text is a credential or derived from one: SASL (RFC 6120 §6.4) and the XEP-0114 handshake. */
const SECRET_ELEMENT_NAMES = new Set(["auth", "response", "challenge", "success", "handshake"]);

/** Shorter strings are not scrubbed as free text (they would blank out ordinary words); their elements still are. */
const MIN_SCRUB_LENGTH = 4;

export const REDACTED = "[redacted]";

export function isSecretElement(el: Element): boolean {
  if (el.name === "handshake") return true;
  return SECRET_ELEMENT_NAMES.has(el.name) && el.attrs.xmlns === NS.sasl;
}

/**
 * Secret strings, and the forms they take in what the suite writes (XML-escaped). One
 * registry for the whole process (`runSecrets`): actors add the target file's credentials
 * when they are created and what the suite derives from them (SASL payloads, base64 and
 * decoded; XEP-0114 handshake digests) when it computes or sends them; everything written or
 * printed goes through redactText / redactScenarioResult with it.
 */
export class SecretRegistry {
  private readonly secrets = new Set<string>();
  /**
   * Handshake digests (40 hex digits): one per component stream, so thousands in a long run.
   * Looked up per hex run instead of joined into the pattern, which would grow (and be rebuilt) with every stream.
   */
  private readonly digests = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string | undefined): void {
    const s = secret?.trim();
    if (!s || s.length < MIN_SCRUB_LENGTH) return;
    for (const form of [s, escapeXML(s), escapeXMLText(s)]) {
      if (this.secrets.has(form)) continue;
      this.secrets.add(form);
      this.pattern = undefined;
    }
  }

  /** A SASL PLAIN payload (RFC 4616: [authzid] NUL authcid NUL passwd), base64: it and the password in it. */
  addPlainPayload(base64: string): void {
    this.add(base64);
    const parts = Buffer.from(base64, "base64").toString("utf8").split("\0");
    if (parts.length === 3) this.add(parts[2]);
  }

  /** A XEP-0114 handshake digest (#example-3), as hex either case. */
  addDigest(hex: string): void {
    const digest = hex.trim();
    if (!DIGEST.test(digest)) {
      this.add(digest.toLowerCase());
      this.add(digest.toUpperCase());
      return;
    }
    this.digests.add(digest.toLowerCase());
    this.digests.add(digest.toUpperCase());
  }

  get size(): number {
    return this.secrets.size + this.digests.size;
  }

  /** Every occurrence of a secret: [start, end) ranges, longest secret first where they overlap. */
  ranges(text: string): [number, number][] {
    const out: [number, number][] = [];
    if (this.digests.size > 0) {
      for (const m of text.matchAll(HEX_RUN)) {
        for (let i = 0; i + 40 <= m[0].length; i++) if (this.digests.has(m[0].slice(i, i + 40))) out.push([m.index + i, m.index + i + 40]);
      }
    }
    if (this.secrets.size === 0) return out;
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    for (const m of text.matchAll(this.pattern)) out.push([m.index, m.index + m[0].length]);
    return out;
  }
}

const DIGEST = /^[0-9a-fA-F]{40}$/;
const HEX_RUN = /[0-9a-fA-F]{40,}/g;

/** The process's secrets (see SecretRegistry). */
export const runSecrets = new SecretRegistry();

/**
 * The credentials the proxy has seen go by: SASL payloads (base64), the
 * password inside a SASL PLAIN payload, XEP-0114 handshake digests. They are
 * kept in memory only, to scrub them from anything written.
 */
export class SecretBag {
  private readonly secrets = new SecretRegistry();

  add(secret: string | undefined): void {
    this.secrets.add(secret);
    runSecrets.add(secret);
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
    return redactText(text, this.secrets);
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
    selfClosing || !content.trim() ? whole : `<${name}${attrs ?? ""}>${REDACTED}`,
  );
}

/** Secret element contents and secrets in `text`, as [start, end) ranges. */
function secretRanges(text: string, secrets: SecretRegistry): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(SECRET_MARKUP)) {
    const content = m[4];
    if (m[3] || !content.trim()) continue;
    const end = m.index + m[0].length;
    out.push([end - content.length, end]);
  }
  out.push(...secrets.ranges(text));
  return out;
}

/** Replaces the masked characters of `text[from, to)` with one marker per masked run. */
function applyMask(text: string, mask: Uint8Array, from: number, to: number): string {
  let out = "";
  let i = from;
  while (i < to) {
    let j = i;
    if (mask[i]) {
      while (j < to && mask[j]) j++;
      out += REDACTED;
    } else {
      while (j < to && !mask[j]) j++;
      out += text.slice(i, j);
    }
    i = j;
  }
  return out;
}

function maskOf(text: string, secrets: SecretRegistry): Uint8Array | undefined {
  const ranges = secretRanges(text, secrets);
  if (ranges.length === 0) return undefined;
  const mask = new Uint8Array(text.length);
  for (const [a, b] of ranges) mask.fill(1, a, b);
  return mask;
}

/** Free text (a reason, a note, a console line, a serialized stanza) without secrets. */
export function redactText(text: string, secrets: SecretRegistry = runSecrets): string {
  const mask = maskOf(text, secrets);
  return mask ? applyMask(text, mask, 0, text.length) : text;
}

/**
 * A transcript without secrets, whatever the TCP segmentation: each actor's stream in each
 * direction is redacted as one text (a handshake or a password split across two reads is
 * still found), and each entry keeps its own share of the result.
 */
export function redactTranscript(entries: TranscriptEntry[], secrets: SecretRegistry = runSecrets): TranscriptEntry[] {
  const streams = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (e.direction === "note") return;
    const key = `${e.actor}\u0000${e.direction}`;
    let list = streams.get(key);
    if (!list) streams.set(key, (list = []));
    list.push(i);
  });
  const out = entries.map((e) => (e.direction === "note" ? { ...e, data: redactText(e.data, secrets) } : e));
  for (const indices of streams.values()) {
    const text = indices.map((i) => entries[i].data).join("");
    const mask = maskOf(text, secrets);
    if (!mask) continue;
    let at = 0;
    for (const i of indices) {
      const data = entries[i].data;
      out[i] = { ...entries[i], data: applyMask(text, mask, at, at + data.length) };
      at += data.length;
    }
  }
  return out;
}

/** Learns what the suite derives from credentials from what it sends: SASL payloads, handshake digests. */
export function learnFromOutgoing(text: string, secrets: SecretRegistry = runSecrets): void {
  for (const m of text.matchAll(/<(auth|response|handshake)\b([^>]*)>([^<]+)</g)) {
    const [, name, attrs, payload] = m;
    if (name === "handshake") secrets.addDigest(payload.trim());
    else if (name === "auth" && /mechanism=["']PLAIN["']/i.test(attrs)) secrets.addPlainPayload(payload.trim());
    else secrets.add(payload.trim());
  }
}

/** The element as it may be logged: a secret element with its payload replaced. */
export function redactedXml(el: Element): string {
  if (!isSecretElement(el) || !el.getText().trim()) return el.toString();
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join("");
  return `<${el.name}${attrs}>${REDACTED}</${el.name}>`;
}

/** The credentials of a target file, registered before anything connects (so a refused login's echo is scrubbed too). */
interface SecretHolder {
  accounts?: Record<string, { username: string; password: string } | undefined>;
  components?: Record<string, { secret: string } | undefined>;
  component?: { secret: string };
  lanes?: SecretHolder[];
}

export function registerTargetSecrets(target: SecretHolder): void {
  for (const account of Object.values(target.accounts ?? {})) runSecrets.add(account?.password);
  for (const component of Object.values(target.components ?? {})) runSecrets.add(component?.secret);
  runSecrets.add(target.component?.secret);
  for (const lane of target.lanes ?? []) registerTargetSecrets(lane);
}

/**
 * A scenario's result as it may be written or printed: every text in it redacted (reason,
 * evidence, notes, readings, transcript). The one place results pass through before any report,
 * console line or expected-verdicts file sees them (executeRun).
 */
export function redactScenarioResult(result: ScenarioResult, secrets: SecretRegistry = runSecrets): ScenarioResult {
  const text = (s: string) => redactText(s, secrets);
  return {
    ...result,
    title: text(result.title),
    reason: text(result.reason),
    notes: result.notes.map(text),
    readings: Object.fromEntries(Object.entries(result.readings).map(([k, v]) => [k, text(v)])),
    ...(result.evidence
      ? { evidence: { ...result.evidence, step: text(result.evidence.step), expected: text(result.evidence.expected), received: result.evidence.received.map(text) } }
      : {}),
    transcript: redactTranscript(result.transcript, secrets),
  };
}
