import { createHash } from "node:crypto";
import net from "node:net";
import { type Element, serialize } from "../xml/element.js";
import { StreamParser } from "../xml/stream-parser.js";

const STREAM_NS = "http://etherx.jabber.org/streams";

export type StanzaHook = (el: Element, conn: RawXmpp) => boolean;

export interface LogEntry {
  /** ms since the connection was opened */
  t: number;
  dir: "in" | "out";
  xml: string;
}

/**
 * A bare-bones XMPP connection over node:net with hand-written stanzas: lets the probe and
 * the launcher tests see exactly what a server sends, with no library answering for them.
 */
export class RawXmpp {
  readonly log: LogEntry[] = [];
  /** stream id of the last stream header received */
  streamId = "";
  /** full JID after resource binding (clients only) */
  jid = "";
  private readonly inbox: Element[] = [];
  private waiters: { pred: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  private headerWaiter: (() => void) | undefined;
  private readonly parser = new StreamParser();
  private readonly opened = Date.now();
  private closed = false;
  /** Called for every incoming stanza before it is queued; return true to consume it. */
  onStanza: StanzaHook | undefined;
  private readonly arrivals = new WeakMap<Element, number>();

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.parser.write(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
    this.parser.on("streamStart", (attrs) => {
      this.streamId = attrs.id ?? "";
      this.record("in", `<stream:stream ${Object.entries(attrs).map(([k, v]) => `${k}='${v}'`).join(" ")}>`);
      this.headerWaiter?.();
    });
    this.parser.on("stanza", (el) => {
      this.arrivals.set(el, Date.now());
      this.record("in", serialize(el));
      if (this.onStanza?.(el, this)) return;
      const i = this.waiters.findIndex((w) => w.pred(el));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(el);
      else this.inbox.push(el);
    });
  }

  static async connect(host: string, port: number, timeoutMs = 5000): Promise<RawXmpp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.setTimeout(timeoutMs, () => s.destroy(new Error(`connect ${host}:${port} timed out`)));
      s.once("connect", () => {
        s.setTimeout(0);
        resolve(s);
      });
      s.once("error", reject);
    });
    return new RawXmpp(socket);
  }

  /** Logs in with SASL PLAIN, binds `resource`, opens a session if the server asks for one. */
  static async client(host: string, port: number, domain: string, user: string, password: string, resource = "probe"): Promise<RawXmpp> {
    const c = await RawXmpp.connect(host, port);
    try {
      await c.openStream("jabber:client", domain, true);
      await c.next((el) => el.name === "stream:features");
      const token = Buffer.from(`\0${user}\0${password}`).toString("base64");
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${token}</auth>`);
      const auth = await c.next((el) => el.name === "success" || el.name === "failure");
      if (auth.name !== "success") throw new Error(`SASL PLAIN failed for ${user}: ${serialize(auth)}`);
      await c.openStream("jabber:client", domain, true);
      const features = await c.next((el) => el.name === "stream:features");
      c.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
      const bound = await c.next((el) => el.attrs.id === "bind1");
      c.jid = bound.getChild("bind")?.getChildText("jid") ?? "";
      if (!c.jid) throw new Error(`resource binding failed: ${serialize(bound)}`);
      const session = features.getChild("session", "urn:ietf:params:xml:ns:xmpp-session");
      if (session && !session.getChild("optional")) {
        c.send(`<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
        await c.next((el) => el.attrs.id === "sess1");
      }
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  /**
   * XEP-0114 handshake: sha1(stream id + secret), hex. `onStanza` is installed before the
   * handshake: servers may send stanzas in the same packet as `<handshake/>`.
   */
  static async component(host: string, port: number, jid: string, secret: string, onStanza?: StanzaHook): Promise<RawXmpp> {
    const c = await RawXmpp.connect(host, port);
    c.onStanza = onStanza;
    try {
      await c.openStream("jabber:component:accept", jid, false);
      const digest = createHash("sha1").update(c.streamId + secret).digest("hex");
      c.send(`<handshake>${digest}</handshake>`);
      const answer = await c.next((el) => el.name === "handshake" || el.name === "stream:error");
      if (answer.name !== "handshake") throw new Error(`component handshake failed for ${jid}: ${serialize(answer)}`);
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  private openStream(ns: string, to: string, versioned: boolean): Promise<void> {
    const header = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no stream header")), 5000);
      this.headerWaiter = () => {
        clearTimeout(timer);
        this.headerWaiter = undefined;
        resolve();
      };
    });
    this.send(`<stream:stream xmlns='${ns}' xmlns:stream='${STREAM_NS}' to='${to}'${versioned ? " version='1.0'" : ""}>`);
    return header;
  }

  send(xml: string): void {
    this.record("out", xml);
    this.socket.write(xml);
  }

  /** The first queued or future stanza matching `pred`; rejects after `timeoutMs`. */
  next(pred: (el: Element) => boolean, timeoutMs = 5000): Promise<Element> {
    return this.maybeNext(pred, timeoutMs).then((el) => {
      if (!el) throw new Error(`no matching stanza within ${timeoutMs} ms`);
      return el;
    });
  }

  /** Like next(), but resolves undefined on timeout. */
  maybeNext(pred: (el: Element) => boolean, timeoutMs: number): Promise<Element | undefined> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve) => {
      const waiter = {
        pred,
        resolve: (el: Element | undefined) => {
          clearTimeout(timer);
          resolve(el);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Date.now() when `el` arrived. */
  arrivedAt(el: Element): number {
    return this.arrivals.get(el) ?? Date.now();
  }

  /** Everything queued and not yet consumed. */
  drain(): Element[] {
    return this.inbox.splice(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private record(dir: "in" | "out", xml: string): void {
    this.log.push({ t: Date.now() - this.opened, dir, xml });
  }

  close(): void {
    if (this.closed) return;
    try {
      this.socket.end("</stream:stream>");
    } catch {
      // already closed
    }
    this.socket.destroy();
    this.closed = true;
  }
}
