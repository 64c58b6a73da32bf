import { StringDecoder } from "node:string_decoder";
import type { Element } from "../xml/element.js";
import { StreamParser } from "../xml/stream-parser.js";

/** What a DirectionTap reports, in the order the bytes came. */
export interface TapSink {
  streamStart(attrs: Record<string, string>): void;
  stanza(el: Element): void;
  streamEnd(): void;
  /** `text`: from the end of the last complete stanza to the end of the chunk in which parsing failed. */
  malformed(error: string, text: string, truncated: boolean): void;
  strayText(text: string): void;
}

/** How much of a malformed chunk is kept for the script. */
export const MALFORMED_KEEP = 4096;

/**
 * Parses one direction of a proxied XMPP stream on the side, never throwing:
 * bytes are decoded as UTF-8 across chunk boundaries and fed to StreamParser
 * piece by piece, cut after each '>', so the end of every top-level element is
 * known exactly. That gives the text between stanzas (non-whitespace there is
 * reported as stray text) and, when the parser fails, exactly the bytes it
 * could not take. After a failure, or once the stream is encrypted (STARTTLS),
 * bytes are only counted.
 */
export class DirectionTap {
  private readonly parser = new StreamParser();
  private readonly decoder = new StringDecoder("utf8");
  private state: "parsing" | "failed" | "opaque" = "parsing";
  /** Text since the end of the last top-level element or stream header. */
  private pending = "";
  private boundary = false;
  private failure: string | undefined;
  /** Bytes passed on without being parsed. */
  unparsedBytes = 0;

  constructor(private readonly sink: TapSink) {
    this.parser.on("streamStart", (attrs) => {
      this.atBoundary();
      this.sink.streamStart(attrs);
    });
    this.parser.on("stanza", (el) => {
      this.atBoundary();
      this.sink.stanza(el);
    });
    this.parser.on("streamEnd", () => {
      this.atBoundary();
      this.sink.streamEnd();
    });
    this.parser.on("error", (err) => {
      this.failure = err.message;
    });
  }

  get parsing(): boolean {
    return this.state === "parsing";
  }

  /** From now on the bytes are not XML (TLS): count them only. */
  stopParsing(): void {
    if (this.state === "parsing") this.state = "opaque";
  }

  write(chunk: Buffer): void {
    if (this.state !== "parsing") {
      this.unparsedBytes += chunk.length;
      return;
    }
    const text = this.decoder.write(chunk);
    let start = 0;
    while (start < text.length) {
      const gt = text.indexOf(">", start);
      const end = gt < 0 ? text.length : gt + 1;
      const piece = text.slice(start, end);
      this.pending += piece;
      this.boundary = false;
      this.parser.write(piece);
      if (this.failure !== undefined) {
        this.fail(this.failure, this.pending + text.slice(end), Buffer.byteLength(text.slice(end)));
        return;
      }
      if (this.boundary) this.pending = "";
      start = end;
      if (this.state !== "parsing") {
        // a sink callback switched us off mid-chunk (STARTTLS <proceed/>): the rest is opaque
        this.unparsedBytes += Buffer.byteLength(text.slice(end));
        return;
      }
    }
  }

  /** At the end of the connection: text that never became a complete element. */
  finish(): void {
    if (this.state !== "parsing") return;
    const rest = this.pending + this.decoder.end();
    const lt = rest.indexOf("<");
    const stray = (lt < 0 ? rest : rest.slice(0, lt)).trim();
    if (stray) this.sink.strayText(stray);
    if (lt >= 0 && rest.slice(lt).trim()) this.fail("the connection closed inside an element", rest.slice(lt), 0);
  }

  private atBoundary(): void {
    this.boundary = true;
    const lt = this.pending.indexOf("<");
    const before = (lt < 0 ? this.pending : this.pending.slice(0, lt)).trim();
    if (before) this.sink.strayText(before);
  }

  private fail(error: string, text: string, restBytes: number): void {
    this.state = "failed";
    this.unparsedBytes += restBytes;
    const truncated = text.length > MALFORMED_KEEP;
    this.sink.malformed(error, truncated ? text.slice(0, MALFORMED_KEEP) : text, truncated);
    this.pending = "";
  }
}
