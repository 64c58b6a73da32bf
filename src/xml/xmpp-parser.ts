import { EventEmitter } from "node:events";
import { Element } from "./element.js";
import { LIMITS, quoteBytes } from "./limits.js";
import { StreamParser, XmlStreamError } from "./stream-parser.js";

/**
 * The suite's guarded StreamParser in the shape of @xmpp/xml's Parser (events `start` with the
 * stream header element, `element` for each top-level child with `parent` set to the header,
 * `end`, `error`), so xmpp.js connections parse every byte from a target with it. xmpp.js's own
 * parser throws from inside its socket handler on an undefined entity or an illegal character
 * reference (an uncaught exception: the run crashed without reports), and skips DTDs silently.
 *
 * `onRejected` hears about input the parser refused (also more than LIMITS.streamStanzas on the
 * connection), and about an xmpp.js handler that threw on an element (e.g. `<stream:error/>`
 * without a condition), before xmpp.js does; nothing is parsed after that.
 */
export function guardedXmppParser(onRejected: (error: XmlStreamError) => void): new () => EventEmitter {
  // One count and one refusal for the connection: xmpp.js makes a new parser at each stream restart.
  let stanzas = 0;
  let refused = false;
  return class GuardedXmppParser extends EventEmitter {
    private readonly inner = new StreamParser({ strict: true });
    private root: Element | undefined;

    constructor() {
      super();
      this.inner.on("streamStart", (attrs) => {
        if (refused) return;
        this.root = new Element("stream:stream", attrs);
        this.emit("start", this.root);
      });
      this.inner.on("stanza", (el) => {
        if (refused) return;
        if (++stanzas > LIMITS.streamStanzas) {
          this.reject(new XmlStreamError("policy-violation", `more than ${LIMITS.streamStanzas} stanzas on one stream in one scenario (a flood)`, quoteBytes(el.toString())));
          return;
        }
        el.parent = this.root ?? null;
        try {
          this.emit("element", el);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          this.reject(new XmlStreamError("not-well-formed", `the suite's XMPP library could not process <${el.name}> (${why})`, quoteBytes(el.toString())));
        }
      });
      this.inner.on("streamEnd", () => {
        if (!refused) this.emit("end", this.root);
      });
      this.inner.on("error", (err) => this.reject(err));
    }

    write(data: string): void {
      if (!refused) this.inner.write(data);
    }

    end(data?: string): void {
      if (data) this.write(data);
    }

    private reject(err: XmlStreamError): void {
      if (refused) return;
      refused = true;
      onRejected(err);
      // xmpp.js answers with a bad-format stream error and drops the parser; a listener that throws must not escape.
      try {
        this.emit("error", err);
      } catch {
        // already reported through onRejected
      }
    }
  };
}
