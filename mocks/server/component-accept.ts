import type { Socket } from "node:net";
import { createHash } from "node:crypto";
import { Element } from "../../src/xml/element.js";
import { NS } from "../../src/protocol/namespaces.js";
import { StreamSession } from "./stream-session.js";

export interface AcceptHooks {
  secretFor(jid: string): string | undefined;
  /** Returns false when another connection already holds the JID. */
  claim(session: ComponentSession): boolean;
  /** Called once <handshake/> has been sent back. */
  online(session: ComponentSession): void;
  onStanza(session: ComponentSession, stanza: Element): void;
  onClose(session: ComponentSession): void;
}

/** XEP-0114 accept side: stream header, SHA-1 handshake (#example-3), then stanzas. */
export class ComponentSession {
  private readonly stream: StreamSession;
  jid = "";
  private authenticatedYet = false;

  constructor(
    socket: Socket,
    private readonly hooks: AcceptHooks,
  ) {
    this.stream = new StreamSession(socket, {
      onStreamStart: (attrs) => this.onStreamStart(attrs),
      onStanza: (stanza) => this.onStanza(stanza),
      onClose: () => {
        if (this.authenticatedYet) hooks.onClose(this);
      },
    });
  }

  get ready(): boolean {
    return this.authenticatedYet && this.stream.isOpen;
  }

  send(stanza: Element): void {
    this.stream.send(stanza);
  }

  fail(condition: string, text?: string): void {
    this.stream.fail(condition, text);
  }

  drop(): void {
    this.stream.drop();
  }

  private onStreamStart(attrs: Record<string, string>): void {
    this.jid = (attrs.to ?? "").toLowerCase();
    this.stream.openStream(NS.component, this.jid, false);
    if (this.hooks.secretFor(this.jid) === undefined) this.stream.fail("host-unknown");
  }

  private onStanza(stanza: Element): void {
    if (!this.authenticatedYet) return this.onHandshake(stanza);
    this.hooks.onStanza(this, stanza);
  }

  private onHandshake(stanza: Element): void {
    const secret = this.hooks.secretFor(this.jid) ?? "";
    const expected = createHash("sha1").update(this.stream.streamId + secret).digest("hex");
    if (stanza.name !== "handshake" || stanza.getText().trim().toLowerCase() !== expected) {
      this.stream.fail("not-authorized");
      return;
    }
    if (!this.hooks.claim(this)) {
      this.stream.fail("conflict");
      return;
    }
    this.authenticatedYet = true;
    this.stream.send(new Element("handshake"));
    this.hooks.online(this);
  }
}
