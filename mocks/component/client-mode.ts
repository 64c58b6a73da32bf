import { randomUUID } from "node:crypto";
import { Element } from "../../src/xml/element.js";
import { bareJid, parseJid, sameJid } from "../../src/protocol/jid.js";
import { NS } from "../../src/protocol/namespaces.js";
import type { ComponentFault } from "./faults.js";

/** What client mode needs from the component it lives in. */
export interface ClientModeHost {
  /** The component's own JID. */
  jid: string;
  /** Its server: the only entity it asks, and whose users it may manage. */
  serverDomain: string;
  /** The delegation namespace of the protocol version spoken (urn:xmpp:delegation:2 or :1). */
  ns: string;
  /** Namespaces it implements and asks users to delegate. */
  namespaces: readonly string[];
  has(fault: ComponentFault): boolean;
  send(stanza: Element): void;
  later(ms: number, action: () => void): void;
  log(line: string): void;
}

/** How often the ME-CLI-03 fault asks again after a `forbidden` (a cap, so that a real server is not flooded). */
const FAULT_RETRY_CAP = 20;

/** Both revisions' delegation namespace: never requested (#rules 5, ME-CLI-03). */
function isDelegationNamespace(namespace: string): boolean {
  return /^urn:xmpp:delegation:\d+$/.test(namespace);
}

/**
 * #client_forward: whose grant a forwarded IQ falls under. Rule 1: an IQ to the server (no
 * 'to', or the server's JID) from a user of the server → that user; rule 2: an IQ to a user's
 * bare JID (only the bare JID), from anyone but the managing entity → that user; rule 3:
 * nobody (the server must not forward it in client mode).
 */
export function managedEntity(inner: Element, serverDomain: string, self: string): string | undefined {
  const from = inner.attrs.from as string | undefined;
  const to = inner.attrs.to as string | undefined;
  const domain = serverDomain.toLowerCase();
  if (!to || sameJid(to, serverDomain)) {
    const sender = from ? parseJid(from) : undefined;
    return sender?.local && sender.domain === domain ? bareJid(from!) : undefined;
  }
  const target = parseJid(to);
  if (!target.local || target.resource !== undefined || target.domain !== domain) return undefined;
  if (from && sameJid(bareJid(from), bareJid(self))) return undefined;
  return bareJid(to);
}

/**
 * The mock managing entity's client mode (catalogue section H; #client_usecases).
 *
 * Trigger: a presence subscription from a user of its server (`<presence type='subscribe'
 * from='juliet@domain'/>`, #client_delegation: "it can be after an interaction with a managed
 * entity, like a subscription"). It answers `subscribed`, then asks its server once for that user
 * (ME-CLI-01): `<iq type='get' to=server><query xmlns=deleg to='juliet@domain'><delegate
 * namespace='NS'/>…</query></iq>`, one `<delegate/>` per namespace it manages, never the
 * delegation namespace itself (ME-CLI-03, #rules 5).
 *
 * Grants: each client-mode advertisement `<delegation to='juliet@domain'>` replaces that user's
 * set (#rules 3: changes are re-advertised), so one without NS is a revocation (ME-CLI-02).
 * A forward is served in client mode only for the user #client_forward makes it about, and only
 * in a namespace that user granted.
 *
 * Answers to its request: a result changes nothing (the grant is the advertisement, SRV-CLI-13);
 * an error (`forbidden`, #rules 5, or any other) is final: no retry (ME-CLI-03). Only a new
 * interaction (another subscription) asks again, never while a request for that user is pending.
 */
export class ClientMode {
  /** User bare JID → namespaces that user granted (from the last advertisement for that user). */
  private readonly grants = new Map<string, Set<string>>();
  /** Fault ME-CLI-02 only: every namespace any user ever granted, for every user, never withdrawn. */
  private readonly pooled = new Set<string>();
  /** Namespaces ever requested or granted in client mode: a refusal in them is ME-CLI-02's business. */
  private readonly known = new Set<string>();
  /** Request id → user, until the server answers. */
  private readonly pending = new Map<string, { user: string; retries: number }>();

  constructor(private readonly host: ClientModeHost) {}

  /** Current grants, per user bare JID. */
  get granted(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.grants;
  }

  /** The trigger: a user of its server subscribes to the component. Returns whether it was one. */
  onPresence(presence: Element): boolean {
    if (presence.attrs.type !== "subscribe") return false;
    const from = presence.attrs.from as string | undefined;
    const sender = from ? parseJid(from) : undefined;
    if (!from || !sender?.local || sender.domain !== this.host.serverDomain.toLowerCase()) return false;
    const user = bareJid(from);
    this.host.send(new Element("presence", { type: "subscribed", to: user, from: this.host.jid }));
    // One request per interaction, and none while one for that user awaits its answer.
    if ([...this.pending.values()].some((p) => p.user === user)) {
      this.host.log(`client mode: a request for ${user} awaits its answer; not asking again`);
      return true;
    }
    this.request(user, 0);
    return true;
  }

  /** ME-CLI-01: `<query xmlns=deleg to=user>` (the 'to' is a MUST) with one `<delegate namespace=NS/>` each. */
  private request(user: string, retries: number): void {
    // ME-CLI-03 (#rules 5): the delegation namespace itself is never asked for.
    const namespaces = this.host.namespaces.filter((ns) => !isDelegationNamespace(ns));
    if (this.host.has("ME-CLI-03")) namespaces.push(this.host.ns);
    if (!namespaces.length) return;
    const id = `cli-${randomUUID()}`;
    const iq = new Element("iq", { type: "get", id, to: this.host.serverDomain, from: this.host.jid });
    const query = iq.c("query", { xmlns: this.host.ns, ...(this.host.has("ME-CLI-01") ? {} : { to: user }) });
    for (const namespace of namespaces) {
      query.c("delegate", { namespace });
      this.known.add(namespace);
    }
    this.pending.set(id, { user, retries });
    this.host.log(`client mode: asking ${this.host.serverDomain} to delegate ${namespaces.join(", ")} for ${user}`);
    this.host.send(iq);
  }

  /** The server's answer to one of its requests; returns whether the IQ was one. */
  onAnswer(iq: Element): boolean {
    const id = String(iq.attrs.id);
    const request = this.pending.get(id);
    if (!request) return false;
    this.pending.delete(id);
    if (iq.attrs.type === "result") {
      this.host.log(`client mode: request for ${request.user} accepted; waiting for the grant`);
      return true;
    }
    const condition = iq.getChild("error")?.children.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === NS.stanzaErrors)?.name ?? "?";
    if (this.host.has("ME-CLI-03") && condition === "forbidden" && request.retries < FAULT_RETRY_CAP) {
      // The fault: asks again at once, in a loop.
      this.host.later(20, () => this.request(request.user, request.retries + 1));
      return true;
    }
    // ME-CLI-03: an error answer is final; no retry until the user interacts again.
    this.host.log(`client mode: request for ${request.user} refused (${condition}); not asking again`);
    return true;
  }

  /** #client_delegation: `<delegation to='user bare JID'>` from its server; replaces that user's grants (ME-CLI-02). */
  onAdvertisement(delegation: Element): void {
    const user = bareJid(String(delegation.attrs.to));
    const namespaces = delegation
      .getChildren("delegated")
      .map((d) => d.attrs.namespace)
      .filter((n): n is string => typeof n === "string");
    for (const ns of namespaces) this.known.add(ns);
    if (this.host.has("ME-CLI-02")) {
      // The fault: one pool for all users, only ever added to.
      for (const ns of namespaces) this.pooled.add(ns);
    } else if (namespaces.length) this.grants.set(user, new Set(namespaces));
    else this.grants.delete(user);
    this.host.log(`client mode: ${user} delegates ${namespaces.join(", ") || "(nothing: revoked)"}`);
  }

  /** ME-CLI-02: whether a forward in `namespace` for `user` (#client_forward, managedEntity) is covered by a grant. */
  allows(user: string | undefined, namespace: string): boolean {
    if (this.host.has("ME-CLI-02")) return this.pooled.has(namespace);
    return user !== undefined && (this.grants.get(user)?.has(namespace) ?? false);
  }

  /** Whether `namespace` is one it manages in client mode (requested or granted): refusing it is ME-CLI-02's rule, not ME-ROB-01's. */
  governs(namespace: string): boolean {
    return this.known.has(namespace);
  }
}
