import { randomUUID } from "node:crypto";
import { Element, clone, firstChildElement, namespaceOf } from "../../src/xml/element.js";
import { bareJid, parseJid, sameJid } from "../../src/protocol/jid.js";
import { NS } from "../../src/protocol/namespaces.js";
import { allowsType, hasRosterRead, privilegeNamespace, rosterPushes, type PresenceAccess, type PrivilegeGrant } from "../../src/protocol/privilege.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";
import type { ServerFault } from "./faults.js";
import type { ImService, PresenceEvent } from "./im.js";
import { DEFAULT_READINGS, type MockServerOptions, type ServerReadings } from "./options.js";
import { rosterPush, type RosterItem } from "./roster.js";

export interface PrivilegeContext {
  options: MockServerOptions;
  has(fault: ServerFault): boolean;
  isComponentOnline(jid: string): boolean;
  sendToComponent(jid: string, stanza: Element): void;
  route(stanza: Element): void;
  im: ImService;
  /**
   * Handles an IQ as if `sender` (a user's bare JID) had sent it. It is never forwarded back to
   * `privileged` as a delegated IQ (PRV-IQ-09), unless `loopBack` (that row's fault).
   */
  executeAs(iq: Element, sender: string, privileged: string, loopBack: boolean): void;
  log(line: string): void;
}

/** A privileged IQ executed on a user's behalf, waiting for its response (#sending_iq). */
interface PendingIq {
  privileged: string;
  outerId: string;
  user: string;
  /** The encapsulated IQ's 'to' (the response comes from there). */
  to?: string;
}

/** XEP-0356 server side (sections A–F of its catalogue): grants from MockServerOptions.privileges. */
export class PrivilegeService {
  private readonly pending = new Map<string, PendingIq>();
  /** PRV-ADV-06: privileged entities that have connected before. */
  private readonly seen = new Set<string>();
  private counter = 0;

  constructor(private readonly ctx: PrivilegeContext) {}

  get ns(): string {
    return privilegeNamespace(this.ctx.options.version);
  }

  /** `urn:xmpp:privilege:1` has no IQ permission, no 'push', no roster pushes (catalogue preamble). */
  private get v2(): boolean {
    return this.ctx.options.version === 2;
  }

  private get domain(): string {
    return this.ctx.options.domain;
  }

  private has(fault: ServerFault): boolean {
    return this.ctx.has(fault);
  }

  private reading<K extends keyof ServerReadings>(id: K): ServerReadings[K] {
    return this.ctx.options.readings[id] ?? DEFAULT_READINGS[id];
  }

  /** The grant as honoured: PRV-ADV-05 refuses presence 'roster' without roster read access; PRV-ADV-07 never grants the privilege namespace. */
  grantOf(jid: string): PrivilegeGrant | undefined {
    const configured = Object.hasOwn(this.ctx.options.privileges, jid.toLowerCase()) ? this.ctx.options.privileges[jid.toLowerCase()] : undefined;
    if (!configured) return undefined;
    const grant: PrivilegeGrant = { ...configured };
    if (grant.presence === "roster" && !hasRosterRead(grant) && !this.has("PRV-ADV-05")) delete grant.presence;
    if (!this.v2) {
      delete grant.iq;
      delete grant.push;
    } else if (grant.iq) {
      const iq = { ...grant.iq };
      if (!this.has("PRV-ADV-07")) delete iq[this.ns];
      grant.iq = iq;
    }
    return grant;
  }

  private privilegedEntities(): [string, PrivilegeGrant][] {
    return Object.keys(this.ctx.options.privileges)
      .filter((jid) => this.ctx.isComponentOnline(jid))
      .map((jid) => [jid, this.grantOf(jid)!]);
  }

  private isAccount(bare: string): boolean {
    const jid = parseJid(bare);
    return jid.local !== undefined && jid.resource === undefined && sameJid(jid.domain, this.domain) && Object.hasOwn(this.ctx.options.accounts, jid.local);
  }

  // --- A. advertisement (#advertise_roster, #advertise_mess, #advertise_iq, #advertise_managed_presence) ---------

  /** A component finished its handshake: advertise its privileges (every connection, PRV-ADV-06), then the current presences (PRV-PRE-04). */
  componentOnline(jid: string): void {
    const grant = this.grantOf(jid);
    if (!grant) return;
    const returning = this.seen.has(jid);
    this.seen.add(jid);
    if (!(returning && this.has("PRV-ADV-06"))) this.advertise(jid, grant);
    if (!this.has("PRV-PRE-04")) this.sendCurrentPresences(jid, grant);
  }

  /** PRV-ADV-01..04, 07: one <message/> with one <perm/> per granted access. */
  private advertise(jid: string, grant: PrivilegeGrant): void {
    if (this.has("PRV-ADV-01")) return;
    const message = new Element("message", { from: this.domain, to: jid, id: `priv-${randomUUID()}` });
    const privilege = message.c("privilege", { xmlns: this.ns });
    if (grant.roster) {
      const perm = privilege.c("perm", { access: "roster" });
      if (!this.has("PRV-ADV-02")) perm.attrs.type = grant.roster;
      // PRV-ADV-03 (MAY): 'push' given explicitly (the spec's examples) or left to its default.
      if (this.v2 && this.has("PRV-ADV-03")) perm.attrs.push = "yes";
      else if (this.v2 && (grant.push !== undefined || this.reading("PRV-ADV-03") === "explicit")) perm.attrs.push = String(rosterPushes(grant));
    }
    if (grant.message) privilege.c("perm", { access: "message", type: grant.message });
    const namespaces = Object.entries(grant.iq ?? {});
    if (namespaces.length > 0) {
      // PRV-ADV-04: no 'type' on the perm, one direct <namespace/> child per namespace.
      let parent = privilege.c("perm", { access: "iq" });
      for (const [ns, type] of namespaces) {
        const child = parent.c("namespace", { ns, type });
        if (this.has("PRV-ADV-04")) parent = child;
      }
    }
    if (grant.presence) privilege.c("perm", { access: "presence", type: grant.presence });
    this.ctx.sendToComponent(jid, message);
  }

  /** A stanza from a component that XEP-0356 handles (privileged message or IQ); true when consumed. */
  fromComponent(jid: string, stanza: Element): boolean {
    if (stanza.name === "message" && sameJid(stanza.attrs.to, this.domain)) {
      const privilege = stanza.getChild("privilege", this.ns);
      if (!privilege) return false;
      this.message(jid, stanza, privilege);
      return true;
    }
    if (stanza.name === "iq" && this.v2) {
      const wrapper = stanza.getChild("privileged_iq", this.ns);
      if (!wrapper) return false;
      this.privilegedIq(jid, stanza, wrapper);
      return true;
    }
    return false;
  }

  // --- B. roster access (#priv_manage_roster, #roster_pushes) -------------------------------

  /** A jabber:iq:roster IQ addressed to `owner`: from one of her own sessions, or from a component (#priv_manage_roster). */
  roster(iq: Element, sender: string, owner: string): Element {
    const from = parseJid(sender);
    if (from.local !== undefined && from.resource !== undefined && sameJid(bareJid(sender), owner)) return this.ctx.im.rosterIq(iq, owner, sender);
    const component = from.local === undefined && Object.hasOwn(this.ctx.options.components, from.domain) ? from.domain : undefined;
    if (!component || !this.isAccount(owner)) return iqError(iq, "service-unavailable");
    // PRV-ROS-01: the granted type decides (no perm, none, set-only for a get, get-only for a set: forbidden).
    if (!allowsType(this.grantOf(component)?.roster, iq.attrs.type) && !this.has("PRV-ROS-01")) return iqError(iq, "forbidden", "auth");
    if (this.has("PRV-ROS-02")) return this.rosterIgnored(iq);
    // PRV-ROS-02, PRV-GEN-02: answered as the user's own client would be, with the same checks.
    return this.ctx.im.rosterIq(iq, owner, undefined, { unchecked: this.has("PRV-GEN-02"), pushFrom: this.has("PRV-GEN-01") ? sender : undefined });
  }

  /** PRV-ROS-02 fault: an empty roster for a get, a result that changes nothing for a valid set. */
  private rosterIgnored(iq: Element): Element {
    const result = iqResult(iq);
    if (iq.attrs.type === "get") result.c("query", { xmlns: NS.roster });
    const items = iq.getChild("query", NS.roster)?.getChildren("item") ?? [];
    if (iq.attrs.type === "set" && items.length !== 1 && !this.has("PRV-GEN-02")) return iqError(iq, "bad-request", "modify");
    return result;
  }

  /** PRV-ROS-03/04: every change of a managed user's roster goes to entities with roster get/both and push (`:2` only). */
  rosterChanged(owner: string, item: RosterItem, removed: boolean): void {
    if (!this.v2 || !this.isAccount(owner) || this.has("PRV-ROS-03")) return;
    for (const [jid, grant] of this.privilegedEntities()) {
      const pushes = this.has("PRV-ROS-04") ? grant.roster !== undefined : rosterPushes(grant);
      if (pushes) this.ctx.sendToComponent(jid, rosterPush(`priv-push-${++this.counter}`, jid, item, removed, owner));
    }
  }

  // --- C. messages (#sending_mess) --------------------------------------------------------

  private message(privileged: string, outer: Element, privilege: Element): void {
    const inner = privilege.getChild("forwarded", NS.forward)?.getChild("message");
    const problem = this.messageProblem(this.grantOf(privileged), inner);
    if (problem || !inner) {
      this.ctx.log(`refused privileged message ${outer.attrs.id ?? ""} from ${privileged}: ${problem ?? "no forwarded message"}`);
      // PRV-MSG-03: RFC 6120 §8.3.3.4
      const error = new Element("message", { type: "error", from: this.domain, to: outer.attrs.from ?? privileged, ...(outer.attrs.id ? { id: outer.attrs.id } : {}) });
      error.c("error", { type: "auth" }).c("forbidden", { xmlns: NS.stanzaErrors });
      return this.ctx.sendToComponent(privileged, error);
    }
    if (this.has("PRV-MSG-01")) return;
    // PRV-MSG-04: the recipient gets the inner message as the user (or the server) sent it.
    const delivered = clone(inner);
    delete delivered.attrs.xmlns;
    if (this.has("PRV-MSG-04")) delivered.c("privilege", { xmlns: this.ns });
    this.ctx.route(delivered);
  }

  /** PRV-MSG-02/03: a message permission, and an inner 'from' that is a bare JID of the server or the server itself. */
  private messageProblem(grant: PrivilegeGrant | undefined, inner: Element | undefined): string | undefined {
    if (!inner || this.has("PRV-MSG-03")) return undefined;
    if (grant?.message !== "outgoing") return "no message permission";
    const from = inner.attrs.from;
    if (typeof from !== "string") return "inner message without 'from'";
    const jid = parseJid(from);
    if (jid.resource !== undefined) return "inner 'from' has a resource";
    if (!sameJid(jid.domain, this.domain)) return "inner 'from' is not of the server's domain";
    if (jid.local === undefined && this.has("PRV-MSG-02")) return "inner 'from' is the server itself";
    return undefined;
  }

  // --- D. IQs (#sending_iq) ---------------------------------------------------------------

  private privilegedIq(privileged: string, iq: Element, wrapper: Element): void {
    const refuse = (why: string, condition = "forbidden") => {
      this.ctx.log(`refused privileged IQ ${iq.attrs.id ?? ""} from ${privileged}: ${why}`);
      this.ctx.sendToComponent(privileged, iqError(iq, condition, condition === "forbidden" ? "auth" : "modify"));
    };
    const to = typeof iq.attrs.to === "string" ? iq.attrs.to : "";
    if (!this.isAccount(to) && !this.has("PRV-IQ-01")) return refuse("the top-level 'to' is not a managed user's bare JID");
    const inner = wrapper.getChild("iq");
    if (!inner || typeof inner.attrs.id !== "string") return refuse("no encapsulated IQ with an id", "bad-request");
    if (namespaceOf(inner) !== NS.client && !this.has("PRV-IQ-04")) return refuse("the encapsulated IQ is not qualified by jabber:client");
    if (inner.attrs.type !== iq.attrs.type && !this.has("PRV-IQ-06")) return refuse("top-level and encapsulated types differ");
    if (inner.attrs.from !== undefined && !sameJid(inner.attrs.from, to) && !this.has("PRV-IQ-05")) return refuse("the encapsulated 'from' is not the top-level 'to'");
    const payload = firstChildElement(inner);
    const namespace = payload ? namespaceOf(payload) : undefined;
    const granted = this.grantOf(privileged)?.iq;
    const access = namespace === undefined || !granted || !Object.hasOwn(granted, namespace) ? undefined : granted[namespace];
    if (access === undefined && !this.has("PRV-IQ-02")) return refuse(`namespace ${namespace ?? "(none)"} not granted`);
    if (access !== undefined && !allowsType(access, inner.attrs.type) && !this.has("PRV-IQ-03")) return refuse(`type ${inner.attrs.type} not granted for ${namespace}`);
    // PRV-IQ-07: sent as if the user had, from her bare JID.
    const user = bareJid(to);
    const sent = clone(inner);
    delete sent.attrs.xmlns;
    const sender = this.has("PRV-IQ-07") ? privileged : user;
    sent.attrs.from = sender;
    if (sender === user) this.pending.set(`${user} ${inner.attrs.id}`, { privileged, outerId: String(iq.attrs.id), user, to: sent.attrs.to });
    this.ctx.executeAs(sent, sender, privileged, this.has("PRV-IQ-09"));
  }

  /**
   * An IQ result or error addressed to a user's bare JID: the response to a privileged IQ goes back to
   * the privileged entity, wrapped (PRV-IQ-07); true when it was one.
   */
  handleResponse(iq: Element): boolean {
    const type = iq.attrs.type;
    if ((type !== "result" && type !== "error") || typeof iq.attrs.to !== "string") return false;
    const key = `${bareJid(iq.attrs.to)} ${iq.attrs.id}`;
    const pending = this.pending.get(key);
    if (!pending || !this.answersFrom(iq.attrs.from, pending)) return false;
    this.pending.delete(key);
    // PRV-IQ-08 (ambiguous): an error response is wrapped in a 'result' (the spec's example shape) or an 'error'.
    const outerType = type === "error" && this.reading("PRV-IQ-08") === "error" ? "error" : "result";
    const outer = new Element("iq", { type: outerType, from: pending.user, to: pending.privileged, id: pending.outerId });
    const response = clone(iq);
    response.attrs.xmlns = NS.client;
    outer.c("privilege", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward }).cnode(response);
    const error = iq.getChild("error");
    if (outerType === "error" && error) outer.cnode(clone(error));
    this.ctx.sendToComponent(pending.privileged, outer);
    return true;
  }

  /** RFC 6120 §8.2.3: the response comes from what the encapsulated IQ addressed (no 'to': the account or the server). */
  private answersFrom(from: string | undefined, pending: PendingIq): boolean {
    if (pending.to === undefined) return from === undefined || sameJid(from, pending.user) || sameJid(from, this.domain);
    return sameJid(from, pending.to) || (from === undefined && sameJid(bareJid(pending.to), pending.user));
  }

  // --- E. presence (#managed_ent_presence, #roster_presence, #rules) -------------------------

  /** A presence the server handled (mocks/server/im.ts): to each entity with presence access that may see it, once (PRV-PRE-05). */
  presence(event: PresenceEvent): void {
    for (const [jid, grant] of this.privilegedEntities()) {
      const reasons = this.reasons(event, grant.presence);
      const times = this.has("PRV-PRE-05") ? reasons : Math.min(reasons, 1);
      for (let i = 0; i < times; i++) this.sendPresence(jid, event);
    }
  }

  /** How many reasons an entity with `access` has to get the presence: the user's own (PRV-PRE-01/02), each user having the sender as a contact (PRV-PRE-03). */
  private reasons(event: PresenceEvent, access: PresenceAccess | undefined): number {
    if (access !== "managed_entity" && access !== "roster") return 0;
    let reasons = 0;
    // PRV-PRE-02: only initial presence and unavailable (`:1`: every typeless presence, each time it changes).
    const transmitted = event.kind === "initial" || event.kind === "unavailable" || (event.kind === "update" && !this.v2);
    if (event.own && (transmitted || this.has("PRV-PRE-02"))) reasons++;
    // PRV-PRE-03: "roster" implies "managed_entity" and adds what the users receive, or would, from their contacts.
    if (access === "roster" && event.kind !== "subscription" && !this.has("PRV-PRE-03")) reasons += event.receivers.length;
    return reasons;
  }

  /** PRV-PRE-01: a directed presence from the sender's full JID to the privileged entity. */
  private sendPresence(jid: string, event: PresenceEvent): void {
    const copy = clone(event.stanza);
    delete copy.attrs.xmlns;
    copy.attrs.from = event.own && this.has("PRV-PRE-01") ? bareJid(event.from) : event.from;
    copy.attrs.to = jid;
    this.ctx.sendToComponent(jid, copy);
  }

  /** PRV-PRE-04: an entity that connects gets every current typeless presence it has access to, once each. */
  private sendCurrentPresences(jid: string, grant: PrivilegeGrant): void {
    const sent = new Set<string>();
    for (const event of this.ctx.im.currentPresences()) {
      if (sent.has(event.from) || this.reasons(event, grant.presence) === 0) continue;
      sent.add(event.from);
      this.sendPresence(jid, event);
    }
  }

  stop(): void {
    this.pending.clear();
  }
}
