import type { Socket } from "node:net";
import { Component } from "@xmpp/component-core";
import { Element } from "../xml/element.js";
import type { ComponentCredentials } from "../target/types.js";
import { settlePing } from "./settle-ping.js";
import { StreamActor } from "./stream-actor.js";
import type { Transcript } from "./transcript.js";

export interface ComponentEndpoint {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /**
   * After the handshake, wait up to this long for the delegation advertisement (then for the
   * answers to settle pings, up to connectTimeoutMs each), so that later steps start from a
   * settled state whatever order the server uses (advertise then query the nesting nodes, or the reverse).
   */
  settleMs?: number;
  /** Sees the TCP socket once connected, before anything goes through it (the embedded mocks' quiescence meter). */
  onSocket?: (socket: Socket) => void;
  /**
   * Resolves true once nothing more can arrive before `deadline` (embedded mocks only): no
   * advertisement is coming. `waiting` says whether the answer is still wanted when it comes.
   */
  untilQuiet?: (deadline: number, waiting: () => boolean) => Promise<boolean>;
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
  /** Settle pings awaiting their answer, by id (never handed to the scenario). */
  private readonly pings = new Map<string, () => void>();

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
    // @xmpp/connection 0.13 ignores the constructor's timeout (fixed 2 s): a slow server's stream header must get the target's connect timeout.
    component.timeout = this.endpoint.connectTimeoutMs;
    this.attach(component);
    const onSocket = this.endpoint.onSocket;
    if (onSocket) component.on("connect", () => component.socket && onSocket(component.socket));
    // Listen before the handshake: the server may send its advertisement in the same TCP segment as <handshake/>.
    component.on("element", (el: Element) => {
      if (el.name !== "handshake") this.receive(el);
    });
    const started = (async () => {
      await component.connect(`xmpp://${this.endpoint.host}:${this.endpoint.port}`);
      const header = await component.open({ domain: this.credentials.jid, timeout: this.endpoint.connectTimeoutMs });
      await component.authenticate(String(header.attrs.id), this.credentials.secret);
    })();
    await this.whileConnecting(started, this.endpoint.connectTimeoutMs, `${this.name} handshake`);
    if (this.endpoint.settleMs) await this.settle(this.endpoint.settleMs);
  }

  /**
   * The state later steps start from: the delegation advertisement has arrived (within `ms`) and
   * the server has taken in this actor's answers to its nesting queries, which it sends before or
   * right after advertising (#disco_nesting). A ping sent after those answers comes back only once
   * the server has read them (a stream is processed in order); a query that arrives before the
   * pong was answered after the ping, so one more round follows. Bound by the wire, not by a
   * quiet period: a disco#info step right after `connects` sees the nested features however slowly
   * the answers travel (SRV-DSC-02/05/06).
   */
  private async settle(ms: number): Promise<void> {
    const advertisement = await this.advertisement(ms);
    const server = advertisement?.attrs.from;
    if (typeof server !== "string" || !server) return;
    for (let round = 0; round < 5; round++) {
      const answered = this.autoAnswered.length;
      // Bound by the time a server has to answer at all (RFC 6120 §8.2.3 wants an answer), not by a quiet window.
      if (!(await this.ping(server, this.endpoint.connectTimeoutMs))) return; // one that never answers: as settled as it gets
      if (this.autoAnswered.length === answered) return;
    }
  }

  /** Whether the server answered a settle ping (result or error) within `ms`. */
  private ping(server: string, ms: number): Promise<boolean> {
    const ping = settlePing(this.credentials.jid, server);
    const id = String(ping.attrs.id);
    return new Promise((resolve) => {
      let stopWatching: () => void = () => undefined;
      const done = (answered: boolean) => {
        clearTimeout(timer);
        stopWatching();
        this.pings.delete(id);
        resolve(answered);
      };
      const timer = setTimeout(() => done(false), ms);
      this.pings.set(id, () => done(true));
      // A stream that closes answers no ping: waiting out the timeout would only delay the error.
      stopWatching = this.inbox.onClose(() => done(false));
      this.send(ping).catch(() => done(false));
    });
  }

  /** The delegation advertisement once it is in the inbox (within `ms`), else undefined. */
  private advertisement(ms: number): Promise<Element | undefined> {
    const find = () => this.inbox.pending().find((el) => el.name === "message" && el.getChild("delegation"));
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      let open = true;
      const done = (el: Element | undefined) => {
        open = false;
        clearTimeout(timer);
        this.onInbox = undefined;
        resolve(el);
      };
      const timer = setTimeout(() => done(undefined), ms);
      this.onInbox = () => {
        const el = find();
        if (el) done(el);
      };
      void this.endpoint.untilQuiet?.(Date.now() + ms, () => open).then((quiet) => quiet && done(find()));
    });
  }

  private receive(el: Element): void {
    const pong = el.name === "iq" && (el.attrs.type === "result" || el.attrs.type === "error") ? this.pings.get(String(el.attrs.id)) : undefined;
    if (pong) return pong();
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
