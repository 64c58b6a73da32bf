import type { TranscriptEntry } from "../runner/result.js";

/**
 * Every byte in and out of a scenario's actors, in order, with secrets removed:
 * XEP-0114 handshakes, SASL payloads (RFC 6120 §6.4) and any registered secret string.
 */
export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  private readonly started = Date.now();
  private readonly secrets = new Set<string>();

  addSecret(secret: string): void {
    if (secret) this.secrets.add(secret);
  }

  record(actor: string, direction: TranscriptEntry["direction"], data: string): void {
    this.entries.push({ t: Date.now() - this.started, actor, direction, data: this.redact(data) });
  }

  note(actor: string, text: string): void {
    this.record(actor, "note", text);
  }

  redact(data: string): string {
    let out = redactProtocolSecrets(data);
    for (const secret of this.secrets) out = out.split(secret).join("[redacted]");
    return out;
  }
}

const SECRET_ELEMENTS = /<(handshake|auth|response|challenge|success)(\s[^>]*)?>([^<]+)<\/\1>/g;

export function redactProtocolSecrets(data: string): string {
  return data.replace(SECRET_ELEMENTS, (_whole, name: string, attrs: string | undefined) => `<${name}${attrs ?? ""}>[redacted]</${name}>`);
}
