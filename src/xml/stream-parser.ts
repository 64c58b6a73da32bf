import { EventEmitter } from "node:events";
import SaxLtxModule from "ltx/src/parsers/ltx.js";
import { Element } from "./element.js";
import { LIMITS, formatSize, quoteBytes } from "./limits.js";

// ltx's SAX tokenizer, typed by hand: @types/ltx describes its ESM default export wrongly.
interface SaxTokenizer extends EventEmitter {
  write(data: string): void;
}
const SaxLtx = SaxLtxModule as unknown as new () => SaxTokenizer;

export interface StreamParserEvents {
  streamStart: [attrs: Record<string, string>];
  stanza: [stanza: Element];
  streamEnd: [];
  error: [error: XmlStreamError];
}

/** The stream-level error condition (RFC 6120 §4.9.3) that fits what was wrong with the input. */
export type InputCondition = "not-well-formed" | "restricted-xml" | "policy-violation";

/** What was wrong with the bytes, with the offending bytes quoted (cut to a sane length). */
export class XmlStreamError extends Error {
  constructor(
    readonly condition: InputCondition,
    /** What is wrong, without the quote: "undefined entity &foo;". */
    readonly problem: string,
    /** The offending bytes, quoted (quoteBytes). */
    readonly quoted: string,
  ) {
    super(`${problem}, in ${quoted}`);
  }
}

export interface StreamParserOptions {
  /**
   * For bytes from a target: nothing may come before the stream header, and nothing but
   * whitespace after `</stream:stream>`. Without it a new header after the end starts a new
   * stream (reports re-parse a scenario's transcript, where one actor may connect twice).
   */
  strict?: boolean;
  maxDepth?: number;
  maxStanzaChars?: number;
}

/** Characters given to ltx's tokenizer at once (see write()). */
const SAX_SLICE = 8192;

/** `<!DOCTYPE`, `<!ENTITY`, …: markup declarations, which ltx's tokenizer would silently skip. */
const MARKUP_DECLARATION = /<!(?=[A-Za-z])/;

/**
 * Incremental parser for one direction of an XMPP stream (RFC 6120 §4):
 * emits the stream header, each top-level stanza as an Element, and the end.
 * Never throws: whatever is wrong with the input (not well-formed, a DTD or
 * undefined entity, RFC 6120 §11.1; a stanza nested or sized past LIMITS)
 * becomes one `error` event, after which the rest is ignored. ltx's SAX layer
 * silently ignores a mismatched end tag and DTDs, so both are checked here.
 */
export class StreamParser extends EventEmitter<StreamParserEvents> {
  private readonly sax = new SaxLtx();
  private current: Element | undefined;
  private depth = 0;
  private failed = false;
  private started = false;
  private ended = false;
  /** Characters written since the last stream header or complete stanza (approximately: per chunk). */
  private unfinished = 0;
  /** The chunk being written (for quoting) and the end of the previous one (a declaration may straddle). */
  private chunk = "";
  private carry = "";
  private readonly strict: boolean;
  private readonly maxDepth: number;
  private readonly maxStanzaChars: number;

  constructor(options: StreamParserOptions = {}) {
    super();
    this.strict = options.strict ?? false;
    this.maxDepth = options.maxDepth ?? LIMITS.stanzaDepth;
    this.maxStanzaChars = options.maxStanzaChars ?? LIMITS.stanzaChars;
    this.sax.on("startElement", (name: string, attrs: Record<string, string>) => {
      if (this.failed) return;
      if (!this.current && name === "stream:stream") {
        if (this.ended && this.strict) return this.fail("not-well-formed", "a second stream header after the end of the stream", `<${name}`);
        this.started = true;
        this.ended = false;
        this.unfinished = 0;
        this.emit("streamStart", attrs);
        return;
      }
      if (this.strict && !this.started) return this.fail("not-well-formed", `<${name}> before the stream header`, `<${name}`);
      if (this.strict && this.ended) return this.fail("not-well-formed", "data after the end of the stream (</stream:stream>)", `<${name}`);
      if (++this.depth > this.maxDepth) return this.fail("policy-violation", `a stanza nested deeper than ${this.maxDepth} levels`, `<${name}`);
      const el = new Element(name, attrs);
      this.current = this.current ? (this.current.cnode(el) as Element) : el;
    });
    this.sax.on("endElement", (name: string) => {
      if (this.failed) return;
      if (!this.current) {
        if (name === "stream:stream" && !this.ended && (this.started || !this.strict)) {
          this.ended = true;
          this.emit("streamEnd");
        } else if (this.ended) this.fail("not-well-formed", "data after the end of the stream (</stream:stream>)", `</${name}>`);
        else this.fail("not-well-formed", `unexpected end tag </${name}>`, `</${name}>`);
        return;
      }
      if (name !== this.current.name) {
        this.fail("not-well-formed", `mismatched end tag </${name}>, expected </${this.current.name}>`, `</${name}>`);
        return;
      }
      this.depth--;
      const parent = this.current.parent as Element | null;
      if (parent) {
        this.current = parent;
      } else {
        const stanza = this.current;
        this.current = undefined;
        this.unfinished = 0;
        this.emit("stanza", stanza);
      }
    });
    this.sax.on("text", (text: string) => {
      if (this.failed) return;
      if (this.current) {
        this.current.t(text);
        return;
      }
      if (!this.strict || !text.trim()) return;
      if (!this.started) this.fail("not-well-formed", "text before the stream header", text);
      else if (this.ended) this.fail("not-well-formed", "data after the end of the stream (</stream:stream>)", text);
    });
    this.sax.on("error", (err: Error) => this.fail("not-well-formed", err.message));
  }

  /** Whether the input was rejected (everything after that is ignored). */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** Whether `</stream:stream>` has been read. */
  get hasEnded(): boolean {
    return this.ended;
  }

  write(data: string): void {
    if (this.failed) return;
    this.chunk = data;
    const declaration = MARKUP_DECLARATION.exec(this.carry + data);
    if (declaration) {
      const at = Math.max(0, declaration.index - this.carry.length);
      const word = /^<!([A-Za-z]+)/.exec((this.carry + data).slice(declaration.index))?.[1] ?? "";
      const what = word === "DOCTYPE" ? "a DOCTYPE (document type declaration)" : `a markup declaration <!${word}`;
      this.fail("restricted-xml", `${what}: XMPP forbids DTDs and entity declarations (RFC 6120 §11.1)`, data.slice(at));
      return;
    }
    this.carry = data.slice(-9);
    this.unfinished += data.length;
    try {
      // ltx's tokenizer looks for the next '<' from every character of a text (or quote of an attribute value):
      // quadratic in the length of what it is given, ~25 ms per 64 KiB of text. Slices keep that linear.
      for (let at = 0; at < data.length && !this.failed; at += SAX_SLICE) this.sax.write(data.length <= SAX_SLICE ? data : data.slice(at, at + SAX_SLICE));
    } catch (err) {
      // ltx throws from inside write() for undefined entities and illegal character references.
      const message = err instanceof Error ? err.message : String(err);
      const token = /(&[^;\s]{0,40};)/.exec(message)?.[1];
      const problem = /Illegal XML entity/.test(message)
        ? `an undefined entity ${token ?? ""} (only &amp; &lt; &gt; &quot; &apos; exist without a DTD)`.replace("  ", " ")
        : /Illegal XML character/.test(message)
          ? `a character reference to an illegal XML character (${message.replace(/^Illegal XML character /, "")})`
          : message;
      this.fail("not-well-formed", problem, token);
      return;
    }
    if (this.failed || this.unfinished <= this.maxStanzaChars) return;
    if (this.current) this.fail("policy-violation", `a stanza larger than ${formatSize(this.maxStanzaChars)}`, data);
    else if (this.unfinished > this.maxStanzaChars * 2) this.fail("policy-violation", `${formatSize(this.unfinished)} of data without a complete stanza`, data);
  }

  private fail(condition: InputCondition, problem: string, near?: string): void {
    if (this.failed) return;
    this.failed = true;
    this.current = undefined;
    // Nobody listening (a parser being replaced at a stream restart, mid-write): refused all the same, never thrown.
    if (this.listenerCount("error") > 0) this.emit("error", new XmlStreamError(condition, problem, quoteBytes(around(this.chunk, near))));
  }
}

/** The part of `chunk` to quote: from a little before `needle` when it is in there, else the chunk's start. */
function around(chunk: string, needle: string | undefined): string {
  if (needle === undefined || needle === "") return chunk;
  const at = chunk.indexOf(needle.slice(0, 40));
  if (at < 0) return needle;
  return chunk.slice(Math.max(0, at - 40));
}
