import { connect, type Socket } from "node:net";
import type { Element } from "../xml/element.js";
import { StreamParser } from "../xml/stream-parser.js";
import { NS } from "../protocol/namespaces.js";
import { attr, componentStreamHeader, handshakeDigest, withTimeout } from "./wire.js";

export interface ResponderOptions {
  host: string;
  port: number;
  jid: string;
  secret: string;
  timeoutMs: number;
}

export interface ManagingEntity {
  /** Delegation namespace of the server's advertisement (urn:xmpp:delegation:1 or :2), once one arrived. */
  readonly advertisedNs: string | undefined;
  stop(): Promise<void>;
}

/**
 * The fastest managing entity that is still correct: a raw XEP-0114 component that answers every
 * forward with the wrapped inner result (same id, 'to' the original sender, 'from' the original 'to'),
 * echoing a pubsub request's <items node/> empty, or an empty result for anything else. It mirrors
 * the namespace of each forward's <delegation/>, so it serves v0.4.1 (ejabberd) and v0.5 alike.
 */
export class ManagingResponder implements ManagingEntity {
  private parser = new StreamParser();
  private out: string[] = [];
  private inData = false;
  advertisedNs: string | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly jid: string,
  ) {}

  static async connect(options: ResponderOptions): Promise<ManagingResponder> {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    const responder = new ManagingResponder(socket, options.jid);
    try {
      await withTimeout(responder.handshake(options), options.timeoutMs, `managing entity ${options.jid} handshake`);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return responder;
  }

  async stop(): Promise<void> {
    if (this.socket.writable) this.socket.end("</stream:stream>");
    this.socket.destroy();
  }

  private handshake(o: ResponderOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      let online = false;
      this.parser.on("streamStart", (attrs) => this.socket.write(`<handshake>${handshakeDigest(attrs.id ?? "", o.secret)}</handshake>`));
      this.parser.on("stanza", (stanza) => {
        if (online) return this.onStanza(stanza);
        if (stanza.name === "handshake") {
          online = true;
          resolve();
        } else if (stanza.name === "stream:error") reject(new Error(`the server refused the component ${o.jid} (stream error)`));
      });
      this.parser.on("error", (err) => reject(err));
      this.socket.setEncoding("utf8");
      this.socket.on("data", (data: string) => {
        this.inData = true;
        this.parser.write(data);
        this.inData = false;
        this.flush();
      });
      this.socket.on("error", (err) => reject(err));
      this.socket.on("close", () => reject(new Error(`component connection of ${o.jid} closed`)));
      this.socket.on("connect", () => this.socket.write(componentStreamHeader(o.jid)));
    });
  }

  private onStanza(stanza: Element): void {
    if (stanza.name === "message") {
      const delegation = stanza.getChild("delegation");
      if (delegation?.attrs.xmlns) this.advertisedNs = String(delegation.attrs.xmlns);
      return;
    }
    if (stanza.name !== "iq" || (stanza.attrs.type !== "get" && stanza.attrs.type !== "set")) return;
    const delegation = stanza.getChild("delegation");
    const inner = delegation?.getChild("forwarded", NS.forward)?.getChild("iq");
    if (delegation && inner) this.write(this.answerForward(stanza, String(delegation.attrs.xmlns), inner));
    else if (stanza.getChild("query", NS.discoInfo)) this.write(this.discoInfo(stanza));
    else this.write(this.reply(stanza, "error", `<error type='cancel'><service-unavailable xmlns='${NS.stanzaErrors}'/></error>`));
  }

  private answerForward(outer: Element, ns: string, inner: Element): string {
    const items = inner.getChild("pubsub", NS.pubsub)?.getChild("items");
    const payload = items ? `<pubsub xmlns='${NS.pubsub}'><items node='${attr(String(items.attrs.node ?? ""))}'/></pubsub>` : "";
    const from = inner.attrs.to ? ` from='${attr(String(inner.attrs.to))}'` : "";
    const reply = `<iq xmlns='${NS.client}' type='result' id='${attr(String(inner.attrs.id))}' to='${attr(String(inner.attrs.from))}'${from}>${payload}</iq>`;
    return this.reply(outer, "result", `<delegation xmlns='${attr(ns)}'><forwarded xmlns='${NS.forward}'>${reply}</forwarded></delegation>`);
  }

  /** Servers ask the managing entity's disco#info (and its nesting nodes) when it connects: any node lists pubsub. */
  private discoInfo(iq: Element): string {
    const node = iq.getChild("query", NS.discoInfo)?.attrs.node;
    const nodeAttr = node === undefined ? "" : ` node='${attr(String(node))}'`;
    return this.reply(
      iq,
      "result",
      `<query xmlns='${NS.discoInfo}'${nodeAttr}><identity category='pubsub' type='service' name='xep0355-bench'/><feature var='${NS.pubsub}'/></query>`,
    );
  }

  private reply(iq: Element, type: "result" | "error", body: string): string {
    const to = iq.attrs.from ? ` to='${attr(String(iq.attrs.from))}'` : "";
    return `<iq type='${type}' id='${attr(String(iq.attrs.id ?? ""))}' from='${attr(this.jid)}'${to}>${body}</iq>`;
  }

  private write(text: string): void {
    this.out.push(text);
    if (!this.inData) this.flush();
  }

  private flush(): void {
    if (this.out.length === 0 || !this.socket.writable) return;
    this.socket.write(this.out.join(""));
    this.out = [];
  }
}
