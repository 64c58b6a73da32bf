import { Element, clone } from "../../src/xml/element.js";
import { bareJid, parseJid, sameJid } from "../../src/protocol/jid.js";
import { iqError } from "../../src/protocol/stanzas.js";
import { RosterStore, rosterPush, type RosterItem, type RosterSetOptions, type Subscription } from "./roster.js";

/** What a presence stanza the server handled is, for XEP-0356's presence permission (PRV-PRE-*). */
export type PresenceKind = "initial" | "update" | "unavailable" | "subscription";

/** One presence the server handled: a user's broadcast or subscription stanza, or one a user received. */
export interface PresenceEvent {
  /** The sender's full JID (or a component's JID). */
  from: string;
  /** The presence as broadcast, without 'to'. */
  stanza: Element;
  kind: PresenceKind;
  /** A local account's own presence (its broadcast, or a subscription stanza it sent). */
  own: boolean;
  /** Local accounts that receive it, or would if online, from a contact (their roster item for the sender: to/both). */
  receivers: string[];
}

export interface ImContext {
  domain: string;
  isAccount(local: string): boolean;
  /** Routes as the server does (full JIDs, components, presences to local bare JIDs come back as inbound). */
  route(stanza: Element): void;
  /** Sends to one client session as is. */
  deliver(fullJid: string, stanza: Element): void;
  /** Observers (XEP-0356): a roster item changed; a presence was handled. */
  rosterChanged(owner: string, item: RosterItem, removed: boolean): void;
  presence(event: PresenceEvent): void;
}

const SUBSCRIPTION_TYPES = new Set(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);

/** RFC 6121 for the mock: rosters (§2), subscriptions (§3), presence broadcast and probes (§4). */
export class ImService {
  readonly rosters: RosterStore;
  /** Full JID → its last broadcast presence (the session is available, §4.2). */
  private readonly available = new Map<string, Element>();
  /** Sessions that asked for their roster (§2.1.6: pushes go to interested resources). */
  private readonly interested = new Set<string>();
  /** User → non-local sender → the last typeless presence it received (for probes and a late privileged entity). */
  private readonly inboundPresences = new Map<string, Map<string, Element>>();
  /** User → subscription requests waiting for an available resource (§3.1.3). */
  private readonly pendingSubscribes = new Map<string, Element[]>();
  private pushes = 0;
  /** PRV-GEN-01 fault: pushes caused by a privileged entity's roster set say it sent them. */
  private pushFrom: string | undefined;

  constructor(private readonly ctx: ImContext) {
    this.rosters = new RosterStore((owner, item, removed) => this.onRosterChange(owner, item, removed));
  }

  // --- roster (RFC 6121 §2) -----------------------------------------------------------

  /** A roster get/set for `owner`'s roster, from one of its sessions (`session`) or a privileged entity. */
  rosterIq(iq: Element, owner: string, session?: string, options: RosterSetOptions & { pushFrom?: string } = {}): Element {
    if (iq.attrs.type === "get") {
      if (session) this.interested.add(session);
      return this.rosters.get(iq, owner);
    }
    if (iq.attrs.type !== "set") return iqError(iq, "bad-request", "modify");
    this.pushFrom = options.pushFrom;
    try {
      const { answer, removed } = this.rosters.set(iq, owner, options);
      // §2.5.2: removing an item cancels the subscriptions both ways.
      if (removed) this.cancelSubscriptions(bareJid(owner), removed);
      return answer;
    } finally {
      this.pushFrom = undefined;
    }
  }

  private onRosterChange(owner: string, item: RosterItem, removed: boolean): void {
    for (const session of this.interested) {
      if (bareJid(session) === owner) this.ctx.route(rosterPush(`push-${++this.pushes}`, session, item, removed, this.pushFrom));
    }
    this.ctx.rosterChanged(owner, item, removed);
  }

  private cancelSubscriptions(owner: string, removed: RosterItem): void {
    if (removed.subscription === "to" || removed.subscription === "both") this.ctx.route(new Element("presence", { type: "unsubscribe", from: owner, to: removed.jid }));
    if (removed.subscription === "from" || removed.subscription === "both") {
      this.ctx.route(new Element("presence", { type: "unsubscribed", from: owner, to: removed.jid }));
      this.unavailableTo(owner, removed.jid);
    }
  }

  // --- presence from a client (RFC 6121 §3, §4) ------------------------------------------

  fromClient(full: string, presence: Element): void {
    const type = presence.attrs.type;
    const to = presence.attrs.to;
    if (SUBSCRIPTION_TYPES.has(String(type)) && to) return this.outboundSubscription(full, presence, String(type), bareJid(to));
    if (type !== undefined && type !== "unavailable") return; // probes and errors from clients: nothing to do here
    if (to) return this.ctx.route(presence); // §4.6 directed presence
    this.broadcast(full, presence);
  }

  /** The session ended while available: the server broadcasts its unavailable presence (RFC 6121 §4.5). */
  sessionEnded(full: string): void {
    this.interested.delete(full);
    if (this.available.has(full)) this.broadcast(full, new Element("presence", { type: "unavailable" }));
  }

  /** §4.2 initial presence, §4.4 updates, §4.5 unavailable: to the contacts subscribed to the user and to her other resources. */
  private broadcast(full: string, presence: Element): void {
    const user = bareJid(full);
    const copy = clone(presence);
    copy.attrs.from = full;
    delete copy.attrs.to;
    delete copy.attrs.xmlns;
    const unavailable = copy.attrs.type === "unavailable";
    const kind: PresenceKind = unavailable ? "unavailable" : this.available.has(full) ? "update" : "initial";
    if (unavailable) this.available.delete(full);
    else this.available.set(full, copy);
    for (const item of this.rosters.items(user)) {
      if (item.subscription !== "from" && item.subscription !== "both") continue;
      this.toContact(item.jid, withTo(copy, item.jid));
    }
    for (const other of this.availableOf(user)) if (other !== full) this.ctx.deliver(other, withTo(copy, other));
    if (kind === "initial") this.probe(full);
    this.ctx.presence({ from: full, stanza: copy, kind, own: true, receivers: this.receiversOf(user) });
  }

  /** §4.3: a new available session gets its contacts' and its other resources' presences, and waiting subscription requests. */
  private probe(full: string): void {
    const user = bareJid(full);
    for (const item of this.rosters.items(user)) {
      if (item.subscription !== "to" && item.subscription !== "both") continue;
      for (const presence of this.presencesOf(item.jid, user)) this.ctx.deliver(full, withTo(presence, full));
    }
    for (const other of this.availableOf(user)) if (other !== full) this.ctx.deliver(full, withTo(this.available.get(other)!, full));
    for (const request of this.pendingSubscribes.get(user) ?? []) this.ctx.deliver(full, request);
    this.pendingSubscribes.delete(user);
  }

  private outboundSubscription(full: string, presence: Element, type: string, contact: string): void {
    const user = bareJid(full);
    const copy = new Element("presence", { type, from: user, to: contact });
    if (presence.attrs.id) copy.attrs.id = presence.attrs.id;
    if (type === "subscribe") this.rosters.update(user, contact, (i) => void (i.ask = i.subscription !== "to" && i.subscription !== "both"));
    if (type === "subscribed") this.rosters.update(user, contact, (i) => void (i.subscription = gain(i.subscription, "from")));
    if (type === "unsubscribe") this.rosters.update(user, contact, (i) => void ((i.subscription = lose(i.subscription, "to")), (i.ask = false)), false);
    if (type === "unsubscribed") this.rosters.update(user, contact, (i) => void (i.subscription = lose(i.subscription, "from")), false);
    this.ctx.presence({ from: full, stanza: clone(copy), kind: "subscription", own: true, receivers: [] });
    this.ctx.route(copy);
    // §3.1.5: an approved contact gets the user's current presence; §3.2.2: a cancelled one, unavailable.
    if (type === "subscribed") for (const session of this.availableOf(user)) this.toContact(contact, withTo(this.available.get(session)!, contact));
    if (type === "unsubscribed") this.unavailableTo(user, contact);
  }

  // --- presence to a local account ------------------------------------------------------

  /** A presence addressed to a local bare JID (from a client, a component, or the server itself). */
  inbound(presence: Element): void {
    const to = presence.attrs.to;
    const from = presence.attrs.from;
    if (!to || !from) return;
    const target = parseJid(to);
    if (!target.local || !sameJid(target.domain, this.ctx.domain) || !this.ctx.isAccount(target.local)) return;
    const user = bareJid(to);
    const type = presence.attrs.type;
    if (SUBSCRIPTION_TYPES.has(String(type))) return this.inboundSubscription(user, bareJid(from), String(type), presence);
    if (type !== undefined && type !== "unavailable") return;
    for (const session of this.availableOf(user)) this.ctx.deliver(session, presence);
    const nonLocal = !this.isLocal(from);
    const stored = this.inboundPresences.get(user) ?? new Map<string, Element>();
    const seen = stored.has(from);
    if (nonLocal && type === undefined) this.inboundPresences.set(user, stored.set(from, withoutTo(presence)));
    if (nonLocal && type === "unavailable") stored.delete(from);
    const item = this.rosters.item(user, from);
    const fromContact = item?.subscription === "to" || item?.subscription === "both";
    const kind: PresenceKind = type === "unavailable" ? "unavailable" : seen ? "update" : "initial";
    this.ctx.presence({ from, stanza: withoutTo(presence), kind, own: false, receivers: fromContact ? [user] : [] });
  }

  private inboundSubscription(user: string, from: string, type: string, presence: Element): void {
    const item = this.rosters.item(user, from);
    if (type === "subscribe") {
      // §3.1.3: already subscribed: the server answers for the user.
      if (item?.subscription === "from" || item?.subscription === "both") {
        return this.ctx.route(new Element("presence", { type: "subscribed", from: user, to: from }));
      }
      const sessions = this.availableOf(user);
      if (sessions.length === 0) this.pendingSubscribes.set(user, [...(this.pendingSubscribes.get(user) ?? []), presence]);
      for (const session of sessions) this.ctx.deliver(session, presence);
      return;
    }
    if (type === "subscribed") {
      if (!item?.ask) return; // §3.1.6: not asked for: ignored
      this.rosters.update(user, from, (i) => void ((i.subscription = gain(i.subscription, "to")), (i.ask = false)));
    }
    if (type === "unsubscribe") this.rosters.update(user, from, (i) => void (i.subscription = lose(i.subscription, "from")), false);
    if (type === "unsubscribed") this.rosters.update(user, from, (i) => void ((i.subscription = lose(i.subscription, "to")), (i.ask = false)), false);
    for (const session of this.availableOf(user)) this.ctx.deliver(session, presence);
  }

  // --- state, for XEP-0356 ----------------------------------------------------------------

  /**
   * Every current typeless presence (PRV-PRE-04): the available sessions' broadcasts, with the
   * accounts that hold them as a contact's, and the non-local contacts' presences users hold.
   */
  currentPresences(): PresenceEvent[] {
    const events: PresenceEvent[] = [];
    for (const [full, stanza] of this.available) {
      events.push({ from: full, stanza, kind: "initial", own: true, receivers: this.receiversOf(bareJid(full)) });
    }
    const held = new Map<string, PresenceEvent>();
    for (const [user, presences] of this.inboundPresences) {
      for (const [from, stanza] of presences) {
        const item = this.rosters.item(user, from);
        if (item?.subscription !== "to" && item?.subscription !== "both") continue;
        const event = held.get(from) ?? { from, stanza, kind: "initial" as const, own: false, receivers: [] };
        event.receivers.push(user);
        held.set(from, event);
      }
    }
    return [...events, ...held.values()];
  }

  // --- helpers ---------------------------------------------------------------------------

  private availableOf(user: string): string[] {
    return [...this.available.keys()].filter((full) => bareJid(full) === user);
  }

  /** Local accounts whose roster has `sender` with subscription to/both: they receive its presence. */
  private receiversOf(sender: string): string[] {
    const receivers: string[] = [];
    for (const item of this.rosters.items(sender)) {
      if (!this.isLocal(item.jid)) continue;
      const back = this.rosters.item(item.jid, sender);
      if (back?.subscription === "to" || back?.subscription === "both") receivers.push(item.jid);
    }
    return receivers;
  }

  /** The presences of a contact a user may see: a local one's available sessions, or what a non-local one sent her. */
  private presencesOf(contact: string, user: string): Element[] {
    if (this.isLocal(contact)) return this.availableOf(contact).map((full) => this.available.get(full)!);
    return [...(this.inboundPresences.get(user)?.entries() ?? [])].filter(([from]) => bareJid(from) === bareJid(contact)).map(([, p]) => p);
  }

  /** A user's presence to one contact: a local one's available sessions get it as is, anything else through routing. */
  private toContact(contact: string, presence: Element): void {
    if (!this.isLocal(contact)) return this.ctx.route(presence);
    for (const session of this.availableOf(contact)) this.ctx.deliver(session, presence);
  }

  private unavailableTo(user: string, contact: string): void {
    for (const session of this.availableOf(user)) this.toContact(contact, new Element("presence", { type: "unavailable", from: session, to: contact }));
  }

  private isLocal(jid: string): boolean {
    const parsed = parseJid(jid);
    return parsed.local !== undefined && sameJid(parsed.domain, this.ctx.domain) && this.ctx.isAccount(parsed.local);
  }
}

function withTo(presence: Element, to: string): Element {
  const copy = clone(presence);
  copy.attrs.to = to;
  return copy;
}

function withoutTo(presence: Element): Element {
  const copy = clone(presence);
  delete copy.attrs.to;
  delete copy.attrs.xmlns;
  return copy;
}

/** RFC 6121 Appendix A: a subscription state gaining a direction. */
function gain(state: Subscription, direction: "to" | "from"): Subscription {
  if (state === "both" || state === direction) return state;
  return state === "none" ? direction : "both";
}

/** … and losing one. */
function lose(state: Subscription, direction: "to" | "from"): Subscription {
  if (state === "both") return direction === "to" ? "from" : "to";
  return state === direction ? "none" : state;
}

