import { EventEmitter } from "node:events";
import SaxLtxModule from "ltx/src/parsers/ltx.js";
import { Element } from "./element.js";

// ltx's SAX tokenizer, typed by hand: @types/ltx describes its ESM default export wrongly.
interface SaxTokenizer extends EventEmitter {
  write(data: string): void;
}
const SaxLtx = SaxLtxModule as unknown as new () => SaxTokenizer;

export interface StreamParserEvents {
  streamStart: [attrs: Record<string, string>];
  stanza: [stanza: Element];
  streamEnd: [];
  error: [error: Error];
}

/**
 * Incremental parser for one direction of an XMPP stream (RFC 6120 §4):
 * emits the stream header, each top-level stanza as an Element, and the end.
 * ltx's SAX layer silently ignores a mismatched end tag, so we check it here.
 */
export class StreamParser extends EventEmitter<StreamParserEvents> {
  private readonly sax = new SaxLtx();
  private current: Element | undefined;
  private failed = false;

  constructor() {
    super();
    this.sax.on("startElement", (name: string, attrs: Record<string, string>) => {
      if (this.failed) return;
      if (!this.current && name === "stream:stream") {
        this.emit("streamStart", attrs);
        return;
      }
      const el = new Element(name, attrs);
      this.current = this.current ? (this.current.cnode(el) as Element) : el;
    });
    this.sax.on("endElement", (name: string) => {
      if (this.failed) return;
      if (!this.current) {
        if (name === "stream:stream") this.emit("streamEnd");
        else this.fail(new Error(`unexpected end tag </${name}>`));
        return;
      }
      if (name !== this.current.name) {
        this.fail(new Error(`mismatched end tag </${name}>, expected </${this.current.name}>`));
        return;
      }
      const parent = this.current.parent as Element | null;
      if (parent) {
        this.current = parent;
      } else {
        const stanza = this.current;
        this.current = undefined;
        this.emit("stanza", stanza);
      }
    });
    this.sax.on("text", (text: string) => {
      if (!this.failed && this.current) this.current.t(text);
    });
    this.sax.on("error", (err: Error) => this.fail(err));
  }

  write(data: string): void {
    if (this.failed) return;
    try {
      this.sax.write(data);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.emit("error", err);
  }
}
