import type { Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { Element } from "../../src/xml/element.js";
import { StreamParser } from "../../src/xml/stream-parser.js";
import { streamError } from "../../src/protocol/stanzas.js";
import { toXml } from "../xml-text.js";

export interface StreamHandlers {
  onStreamStart(attrs: Record<string, string>): void;
  onStanza(stanza: Element): void;
  onClose(): void;
}

/** One accepted TCP connection carrying an XML stream (RFC 6120 §4), server side. */
export class StreamSession {
  readonly streamId = randomUUID();
  private parser = new StreamParser();
  private closed = false;
  /**
   * Text written since the last flush, sent as one TCP write (stream header and features, several
   * routed stanzas). Kept as pieces joined once: a string grown by += is a rope of ropes that the
   * socket write has to flatten.
   */
  private pending: string[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly handlers: StreamHandlers,
  ) {
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (data: string) => this.parser.write(data));
    socket.on("close", () => this.finish());
    socket.on("error", () => this.finish());
    this.bindParser();
  }

  /** RFC 6120 §4.3.3: after SASL success the stream restarts with a fresh parser. */
  restart(): void {
    this.parser.removeAllListeners();
    this.parser = new StreamParser();
    this.bindParser();
  }

  openStream(namespace: string, from: string, withVersion = true): void {
    const version = withVersion ? " version='1.0'" : "";
    this.write(
      `<?xml version='1.0'?><stream:stream xmlns='${namespace}' xmlns:stream='http://etherx.jabber.org/streams' id='${this.streamId}' from='${from}'${version}>`,
    );
  }

  send(stanza: Element): void {
    this.write(toXml(stanza));
  }

  write(text: string): void {
    if (this.closed || !this.socket.writable) return;
    // Written at the end of this callback: a WireQuiescence looks for bytes in flight right after it.
    if (this.pending.length === 0) queueMicrotask(this.flush);
    this.pending.push(text);
  }

  /** Closes with a stream error (RFC 6120 §4.9). */
  fail(condition: string, text?: string): void {
    this.write(streamError(condition, text));
    this.flush();
    this.socket.end();
    this.finish();
  }

  /** Closes cleanly. */
  end(): void {
    this.write("</stream:stream>");
    this.flush();
    this.socket.end();
    this.finish();
  }

  /** Drops the TCP connection with no stream error (a fault, never healthy behaviour). */
  drop(): void {
    this.flush();
    this.socket.destroy();
    this.finish();
  }

  /** Writes what is pending now (bound once: no closure per write). */
  private readonly flush = (): void => {
    const pieces = this.pending;
    if (pieces.length === 0) return;
    this.pending = [];
    const text = pieces.length === 1 ? pieces[0] : pieces.join("");
    if (text && !this.closed && this.socket.writable) this.socket.write(text);
  };

  get isOpen(): boolean {
    return !this.closed;
  }

  private bindParser(): void {
    this.parser.on("streamStart", (attrs) => this.handlers.onStreamStart(attrs));
    this.parser.on("stanza", (stanza) => this.handlers.onStanza(stanza));
    this.parser.on("streamEnd", () => this.end());
    this.parser.on("error", (err) => this.fail("not-well-formed", err.message));
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose();
  }
}
