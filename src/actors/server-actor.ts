import { randomUUID } from "node:crypto";
import { NS, delegationNamespace } from "../protocol/namespaces.js";
import { privilegeNamespace } from "../protocol/privilege.js";
import { Element, clone, serialize } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";
import type { Actor } from "./actor.js";
import { Inbox } from "./inbox.js";
import type { Transcript } from "./transcript.js";
import { ComponentLink, type LinkEvent, type ServerRole } from "./component-link.js";
import { ComponentListener } from "./component-listener.js";

export { ComponentLink, type ServerRole } from "./component-link.js";
export { ComponentListener } from "./component-listener.js";
export { autoAnswer } from "./server-auto-answer.js";

export interface ServerActorOptions extends ServerRole {
  /** Where to listen (own listener only); port 0 = ephemeral. */
  host: string;
  port: number;
  connectTimeoutMs: number;
}

/**
 * The suite playing the delegating server for a component under test (the
 * scenario's "server"). It accepts the component's XEP-0114 connection,
 * advertises the delegations on `connect()`, and then sends what the scenario
 * writes (forwards, disco queries) and receives what the component answers.
 *
 * Either it owns a listener (one scenario, one connection: the embedded mock
 * component), or it borrows a listener shared by a whole run (a real
 * component that connects once): then `dispose()` leaves the connection open
 * for the next scenario.
 */
export class ServerActor implements Actor {
  readonly kind = "server";
  private readonly inbox = new Inbox(NS.component);
  private link: ComponentLink | undefined;
  private transcript: Transcript | undefined;
  private readonly early: LinkEvent[] = [];
  /** Stanzas answered without the scenario (disco#info, roster gets), since this actor adopted the connection. */
  readonly autoAnswered: { at: number; stanza: Element }[] = [];

  private constructor(
    /** The cast name (set again by the environment, see attachTranscript). */
    public name: string,
    readonly listener: ComponentListener,
    private readonly owned: boolean,
    private readonly connectTimeoutMs: number,
  ) {}

  /** A server actor with its own listener on host:port (0 = ephemeral; see `port`). */
  static async listen(name: string, options: ServerActorOptions): Promise<ServerActor> {
    const listener = new ComponentListener(options);
    await listener.listen(options.host, options.port);
    return new ServerActor(name, listener, true, options.connectTimeoutMs);
  }

  /** A server actor on a listener shared by the run. */
  static onListener(name: string, listener: ComponentListener, connectTimeoutMs: number): ServerActor {
    return new ServerActor(name, listener, false, connectTimeoutMs);
  }

  get port(): number {
    return this.listener.port;
  }

  get role(): ServerRole {
    return this.listener.serverRole;
  }

  get address(): string {
    return this.role.domain;
  }

  /** Where the bytes go: set by the environment when the scenario's transcript exists. */
  attachTranscript(transcript: Transcript, name = this.name): void {
    this.transcript = transcript;
    this.name = name;
    transcript.addSecret(this.role.component.secret);
    for (const event of this.early.splice(0)) this.record(event);
  }

  /** Waits for the component's handshake, then advertises (XEP-0355 #admin_perm, XEP-0356 when configured). */
  async connect(): Promise<void> {
    await this.adoptStream();
    for (const stanza of this.advertisements()) this.link?.send(stanza);
  }

  /**
   * Takes the component's stream without advertising: for hostile orderings where something
   * else reaches the component before its server's advertisement (ME-SEC-03), and for probes
   * that must not tell the component anything.
   */
  async adoptStream(): Promise<void> {
    const link = await this.listener.waitForLink(this.connectTimeoutMs);
    if (this.link !== link) {
      this.link?.release();
      this.link = link;
      link.adopt((event) => this.onEvent(event));
    }
  }

  /** The delegation advertisement (and the privilege one, when configured) a server sends after the handshake. */
  advertisements(): Element[] {
    const role = this.role;
    const out: Element[] = [];
    const message = new Element("message", { from: role.domain, to: role.component.jid, id: `adv-${randomUUID()}` });
    const delegation = message.c("delegation", { xmlns: delegationNamespace(role.version) });
    for (const d of role.delegations) {
      const delegated = delegation.c("delegated", { namespace: d.namespace });
      for (const name of d.attributes ?? []) delegated.c("attribute", { name });
    }
    out.push(message);
    const privilege = privilegeAdvertisement(role);
    if (privilege) out.push(privilege);
    return out;
  }

  /** `<iq type='set' from=server to=component><delegation><forwarded><iq xmlns='jabber:client' …>` around `inner` (#stanza_forward). */
  forward(inner: Element, id = `fwd-${randomUUID()}`): Element {
    const role = this.role;
    const iq = new Element("iq", { type: "set", from: role.domain, to: role.component.jid, id });
    const copy = clone(inner);
    copy.attrs.xmlns = NS.client;
    iq.c("delegation", { xmlns: delegationNamespace(role.version) }).c("forwarded", { xmlns: NS.forward }).cnode(copy);
    return iq;
  }

  async send(stanza: Element): Promise<void> {
    await this.sendRaw(serialize(stanza));
  }

  async sendRaw(text: string): Promise<void> {
    const link = this.link;
    if (!link) throw new Error(`${this.name} has no stream with the component (missing '${this.name} connects'?)`);
    if (!link.open) throw new Error(`the component's stream is closed: ${this.inbox.closed ?? link.failure ?? "closed"}`);
    link.write(text);
  }

  expect(pattern: Element, timeoutMs: number, captures: Captures) {
    return this.inbox.expect(pattern, timeoutMs, captures);
  }

  expectAny(patterns: Element[], timeoutMs: number, captures: Captures) {
    return this.inbox.expectAny(patterns, timeoutMs, captures);
  }

  expectSeen(pattern: Element, timeoutMs: number, captures: Captures) {
    return this.inbox.expectSeen(pattern, timeoutMs, captures);
  }

  expectNothing(pattern: Element | undefined, windowMs: number, since: number, captures: Captures): Promise<void> {
    return this.inbox.expectNothing(pattern, windowMs, since, captures);
  }

  /** Closes the stream; a real component will reconnect for the next scenario. */
  async disconnect(): Promise<void> {
    const link = this.link;
    if (!link) throw new Error(`${this.name} is not connected`);
    await link.close();
  }

  async dispose(): Promise<void> {
    try {
      // Steps still waiting (a body running on after Ctrl-C or its deadline) end now, and their timers with them.
      this.inbox.close("the scenario ended");
      this.link?.release();
      if (this.owned) {
        await this.link?.close().catch(() => undefined);
        await this.listener.close();
      }
    } catch {
      // never throws
    }
  }

  /** Whether the component's stream is still open (ROB scenarios). */
  get streamOpen(): boolean {
    return Boolean(this.link?.ready);
  }

  private onEvent(event: LinkEvent): void {
    this.record(event);
    if (event.kind === "stanza") this.inbox.push(event.stanza);
    else if (event.kind === "auto") this.autoAnswered.push({ at: event.at, stanza: event.stanza });
    else if (event.kind === "closed") this.inbox.close(event.reason);
  }

  private record(event: LinkEvent): void {
    if (!this.transcript) {
      if (event.kind !== "stanza") this.early.push(event);
      return;
    }
    if (event.kind === "bytes") this.transcript.record(this.name, event.direction, event.data);
    else if (event.kind === "note") this.transcript.note(this.name, event.text);
    else if (event.kind === "closed") this.transcript.note(this.name, `stream closed: ${event.reason}`);
    else if (event.kind === "auto") this.transcript.note(this.name, `answered by itself: <${event.stanza.name} id='${event.stanza.attrs.id ?? ""}'> to ${event.stanza.attrs.to ?? ""}`);
  }
}

/**
 * XEP-0356 #advertise: the privileges the suite, as the component's server, grants it: one
 * `<perm/>` per granted access (#advertise_roster, #advertise_mess, #advertise_managed_presence),
 * in the namespace of the revision the component speaks; IQ permissions (#iq_stanzas,
 * #advertise_iq) and roster `push` exist in `urn:xmpp:privilege:2` only. Undefined when nothing is
 * granted. Type 'none' is written as configured (an explicit "not allowed"), except for IQ
 * namespaces, whose `<namespace/>` types are get|set|both only: a 'none' namespace is left out.
 */
export function privilegeAdvertisement(role: ServerRole): Element | undefined {
  const grant = role.privileges;
  if (!grant) return undefined;
  const version = role.privilegeVersion ?? role.version;
  const message = new Element("message", { from: role.domain, to: role.component.jid, id: `priv-${randomUUID()}` });
  const privilege = message.c("privilege", { xmlns: privilegeNamespace(version) });
  if (grant.roster) {
    const perm = privilege.c("perm", { access: "roster", type: grant.roster });
    if (version === 2 && grant.push !== undefined) perm.attrs.push = String(grant.push);
  }
  if (grant.message) privilege.c("perm", { access: "message", type: grant.message });
  const namespaces = version === 2 ? Object.entries(grant.iq ?? {}).filter(([, type]) => type !== "none") : [];
  if (namespaces.length) {
    const perm = privilege.c("perm", { access: "iq" });
    for (const [ns, type] of namespaces) perm.c("namespace", { ns, type });
  }
  if (grant.presence) privilege.c("perm", { access: "presence", type: grant.presence });
  return privilege.children.length ? message : undefined;
}
