import { Component } from "@xmpp/component-core";
import { Element } from "../xml/element.js";
import type { ComponentCredentials } from "../target/types.js";
import { StreamActor, withTimeout } from "./stream-actor.js";
import type { Transcript } from "./transcript.js";

export interface ComponentEndpoint {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /**
   * After the handshake, wait up to this long for the delegation
   * advertisement, so that later steps start from a settled state whatever
   * order the server uses (advertise then query the nesting nodes, or the reverse).
   */
  settleMs?: number;
}

/**
 * Decides, for a stanza that arrives, whether the actor answers it by itself
 * (delegation disco nesting queries, so a server may query them at any time)
 * instead of handing it to the scenario. Returns the answer, or undefined.
 */
export type AutoResponder = (stanza: Element) => Element | undefined;

/**
 * A XEP-0114 component on @xmpp/component-core, without @xmpp/component's
 * middleware: it never answers an IQ on its own (unless an AutoResponder says
 * so) and never reconnects.
 */
export class ComponentActor extends StreamActor {
  readonly kind = "component";
  /** Stanzas answered by the AutoResponder, for scenarios that count them (SRV-DSC-04). */
  readonly autoAnswered: { at: number; stanza: Element }[] = [];
  private onInbox: (() => void) | undefined;

  constructor(
    name: string,
    transcript: Transcript,
    private readonly endpoint: ComponentEndpoint,
    private readonly credentials: ComponentCredentials,
    private readonly autoResponder?: AutoResponder,
  ) {
    super(name, transcript, "jabber:component:accept");
    transcript.addSecret(credentials.secret);
  }

  get address(): string {
    return this.credentials.jid;
  }

  async connect(): Promise<void> {
    const component = new Component({
      service: `xmpp://${this.endpoint.host}:${this.endpoint.port}`,
      domain: this.credentials.jid,
      timeout: this.endpoint.connectTimeoutMs,
    });
    this.attach(component);
    // Listen before the handshake: the server may send its advertisement in the same TCP segment as <handshake/>.
    component.on("element", (el: Element) => {
      if (el.name !== "handshake") this.receive(el);
    });
    const started = (async () => {
      await component.connect(`xmpp://${this.endpoint.host}:${this.endpoint.port}`);
      const header = await component.open({ domain: this.credentials.jid });
      await component.authenticate(String(header.attrs.id), this.credentials.secret);
    })();
    await withTimeout(started, this.endpoint.connectTimeoutMs, `${this.name} handshake`);
    if (this.endpoint.settleMs) await this.settle(this.endpoint.settleMs);
  }

  private async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    await this.advertisement(ms);
    // Nesting queries the server sends right after the advertisement: let the auto-answers go out.
    let quietSince = Date.now();
    let seen = this.autoAnswered.length;
    while (Date.now() - quietSince < 30 && Date.now() < deadline + 100) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.autoAnswered.length !== seen) {
        seen = this.autoAnswered.length;
        quietSince = Date.now();
      }
    }
  }

  /** The delegation advertisement once it is in the inbox (within `ms`), else undefined. */
  private advertisement(ms: number): Promise<Element | undefined> {
    const find = () => this.inbox.pending().find((el) => el.name === "message" && el.getChild("delegation"));
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onInbox = undefined;
        resolve(undefined);
      }, ms);
      this.onInbox = () => {
        const el = find();
        if (!el) return;
        clearTimeout(timer);
        this.onInbox = undefined;
        resolve(el);
      };
    });
  }

  private receive(el: Element): void {
    const answer = this.autoResponder?.(el);
    if (answer) {
      this.autoAnswered.push({ at: Date.now(), stanza: el });
      void this.send(answer).catch(() => undefined);
      return;
    }
    this.inbox.push(el);
    this.onInbox?.();
  }
}
