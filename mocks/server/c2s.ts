import type { Socket } from "node:net";
import { Element } from "../../src/xml/element.js";
import { NS } from "../../src/protocol/namespaces.js";
import { iqResult } from "../../src/protocol/stanzas.js";
import { StreamSession } from "./stream-session.js";

export interface C2sHooks {
  domain: string;
  checkPassword(username: string, password: string): boolean;
  /** Returns false when the full JID is taken (RFC 6120 §7.7.2.2 conflict). */
  bind(session: ClientSession): boolean;
  onStanza(session: ClientSession, stanza: Element): void;
  onClose(session: ClientSession): void;
}

/** A client stream: SASL PLAIN (RFC 4616) without TLS on loopback, then resource binding (RFC 6120 §7). */
export class ClientSession {
  private readonly stream: StreamSession;
  private state: "sasl" | "bind" | "ready" = "sasl";
  username = "";
  resource = "";

  constructor(
    socket: Socket,
    private readonly hooks: C2sHooks,
  ) {
    this.stream = new StreamSession(socket, {
      onStreamStart: () => this.onStreamStart(),
      onStanza: (stanza) => this.onStanza(stanza),
      onClose: () => hooks.onClose(this),
    });
  }

  /** Stamped on every stanza it sends: built once per username and resource, not per stanza. */
  get fullJid(): string {
    const cached = this.fullJidCache;
    if (cached && cached.username === this.username && cached.resource === this.resource) return cached.jid;
    const jid = `${this.username}@${this.hooks.domain}/${this.resource}`;
    this.fullJidCache = { username: this.username, resource: this.resource, jid };
    return jid;
  }

  private fullJidCache: { username: string; resource: string; jid: string } | undefined;

  get bareJid(): string {
    return `${this.username}@${this.hooks.domain}`;
  }

  get ready(): boolean {
    return this.state === "ready" && this.stream.isOpen;
  }

  send(stanza: Element): void {
    this.stream.send(stanza);
  }

  close(): void {
    this.stream.end();
  }

  private onStreamStart(): void {
    this.stream.openStream(NS.client, this.hooks.domain);
    const features = new Element("stream:features");
    if (this.state === "sasl") {
      features.c("mechanisms", { xmlns: NS.sasl }).c("mechanism").t("PLAIN");
    } else {
      features.c("bind", { xmlns: NS.bind });
    }
    this.stream.send(features);
  }

  private onStanza(stanza: Element): void {
    if (this.state === "sasl") return this.onSasl(stanza);
    if (this.state === "bind") return this.onBind(stanza);
    stanza.attrs.from = this.fullJid; // RFC 6120 §8.1.2.1: the server stamps the sender's address
    this.hooks.onStanza(this, stanza);
  }

  private onSasl(stanza: Element): void {
    if (stanza.name !== "auth" || stanza.attrs.mechanism !== "PLAIN") {
      this.stream.send(new Element("failure", { xmlns: NS.sasl }).c("invalid-mechanism").root());
      return;
    }
    const [, username = "", password = ""] = Buffer.from(stanza.getText(), "base64").toString("utf8").split("\0");
    if (!this.hooks.checkPassword(username, password)) {
      this.stream.send(new Element("failure", { xmlns: NS.sasl }).c("not-authorized").root());
      return;
    }
    this.username = username.toLowerCase();
    this.state = "bind";
    this.stream.send(new Element("success", { xmlns: NS.sasl }));
    this.stream.restart();
  }

  private onBind(stanza: Element): void {
    const bind = stanza.getChild("bind", NS.bind);
    if (stanza.name !== "iq" || !bind) return;
    this.resource = bind.getChildText("resource") || `r${Math.random().toString(36).slice(2, 8)}`;
    if (!this.hooks.bind(this)) {
      const error = new Element("iq", { type: "error", id: stanza.attrs.id });
      error.c("error", { type: "modify" }).c("conflict", { xmlns: NS.stanzaErrors });
      this.stream.send(error);
      return;
    }
    this.state = "ready";
    const result = iqResult({ id: stanza.attrs.id });
    result.c("bind", { xmlns: NS.bind }).c("jid").t(this.fullJid);
    this.stream.send(result);
  }
}
