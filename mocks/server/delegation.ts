import { randomUUID } from "node:crypto";
import { Element, childElements, clone, namespaceOf } from "../../src/xml/element.js";
import { bareJid, isFullJid, parseJid, sameJid } from "../jids.js";
import {
  NS,
  REMAINING_DISCO_INFO,
  REMAINING_DISCO_ITEMS,
  bareNestingNode,
  delegationNamespace,
  nestingNode,
} from "../../src/protocol/namespaces.js";
import { iqError } from "../../src/protocol/stanzas.js";
import { realClock, type MockClock, type MockTimer } from "../clock.js";
import type { ServerFault } from "./faults.js";
import { DEFAULT_READINGS, type DelegationTable, type MockServerOptions, type ServerReadings } from "./options.js";

export interface DelegationContext {
  options: MockServerOptions;
  has(fault: ServerFault): boolean;
  isComponentOnline(jid: string): boolean;
  sendToComponent(jid: string, stanza: Element): void;
  dropComponent(jid: string, condition?: string): void;
  /** Routes a stanza as the server would (used for deliveries). */
  route(stanza: Element): void;
  /** The server's own disco#items for a bare JID (SRV-DSC-10 fault). */
  ownItems(bare: string): Element[];
  log(line: string): void;
}

/** What the ME told us about a namespace on its nesting nodes (#disco_nesting). */
export interface NestedInfo {
  identities: Element[];
  features: string[];
  forms: Element[];
}

interface PendingForward {
  forwardId: string;
  managingJid: string;
  sender: string;
  original: Element;
  timer: MockTimer;
  /** Cache key when the forward is a bare-JID disco#items (SRV-DSC-11 fault). */
  itemsCacheKey?: string;
}

/** XEP-0355 admin mode, server side (sections A–E of the catalogue). */
export class DelegationService {
  private readonly pending = new Map<string, PendingForward>();
  private readonly nestedCache = new Map<string, NestedInfo>();
  private readonly nestingQueries = new Map<string, (answer: Element | undefined) => void>();
  private readonly itemsCache = new Map<string, Element>();
  /** SRV-ADV-07: managing entities that have connected before (a later handshake is a reconnection). */
  private readonly seenComponents = new Set<string>();
  /** SRV-ADV-07 fault: reconnected managing entities the delegation was not re-established for. */
  private readonly staleComponents = new Set<string>();
  /** SRV-DSC-13: "bare-JID node" → the ME whose disco#items answer advertised an item with that node. */
  private readonly advertisedNodes = new Map<string, string>();

  constructor(private readonly ctx: DelegationContext) {}

  private get clock(): MockClock {
    return this.ctx.options.clock ?? realClock;
  }

  /** The reading the mock follows for an ambiguous row (MockServerOptions.readings). */
  private reading<K extends keyof ServerReadings>(id: K): ServerReadings[K] {
    return this.ctx.options.readings[id] ?? DEFAULT_READINGS[id];
  }

  get ns(): string {
    return delegationNamespace(this.ctx.options.version);
  }

  /** The delegations table as honoured: #rules 5 forbids delegating the delegation namespace (SRV-ADV-05). */
  effectiveDelegations(): DelegationTable {
    // The options and faults never change once the mock runs: worked out once, not per IQ.
    return (this.effective ??= this.computeEffectiveDelegations());
  }

  private effective: DelegationTable | undefined;

  private computeEffectiveDelegations(): DelegationTable {
    // Looked up by namespaces the peers send: no prototype, so "__proto__" or "constructor" finds nothing.
    const table: DelegationTable = Object.create(null) as DelegationTable;
    for (const [namespace, entry] of Object.entries(this.ctx.options.delegations)) {
      if (namespace === this.ns && !this.ctx.has("SRV-ADV-05")) continue;
      if (this.ctx.options.version === 1 && (namespace === REMAINING_DISCO_INFO || namespace === REMAINING_DISCO_ITEMS)) continue;
      table[namespace] = entry;
    }
    return table;
  }

  private delegationsOf(jid: string): [string, { jid: string; attributes?: string[] }][] {
    return Object.entries(this.effectiveDelegations()).filter(([, d]) => sameJid(d.jid, jid));
  }

  // --- A. advertisement (#admin_perm) -------------------------------------------------

  /** A component finished its handshake: advertise and fetch the nesting nodes, in the configured order. */
  async componentOnline(jid: string): Promise<void> {
    // SRV-ADV-07: every (re)connection gets the advertisement and the forwards again; the fault forgets a returning ME.
    const returning = this.seenComponents.has(jid);
    this.seenComponents.add(jid);
    if (returning && this.ctx.has("SRV-ADV-07")) {
      this.staleComponents.add(jid);
      return;
    }
    if (this.ctx.options.order === "query-first") {
      await this.fetchNesting(jid);
      this.advertise(jid);
    } else {
      this.advertise(jid);
      await this.fetchNesting(jid);
    }
  }

  /** SRV-ADV-01..05: one <message/> listing this ME's delegations, none for an entity without any. */
  private advertise(jid: string): void {
    if (this.ctx.has("SRV-ADV-01")) return;
    let delegations = this.delegationsOf(jid);
    if (delegations.length === 0) {
      if (!this.ctx.has("SRV-ADV-04")) return;
      delegations = Object.entries(this.effectiveDelegations());
    }
    const listed = delegations.filter(([, entry]) => entry.attributes?.length || !this.ctx.has("SRV-ADV-02"));
    // SRV-ADV-08 (ambiguous): one <message/> with every delegation (the spec's example), or one per namespace,
    // or (other-split) a second, partial advertisement after the full one (an ME replacing its set loses the rest).
    const groups = this.reading("SRV-ADV-08") === "several-messages" ? listed.map((d) => [d]) : [listed];
    if (this.reading("SRV-ADV-08") === "other-split") groups.push(listed.filter(([, entry]) => !entry.attributes?.length).slice(0, 1));
    for (const group of groups) {
      const message = new Element("message", { from: this.ctx.options.domain, to: jid, id: randomUUID() });
      const delegation = message.c("delegation", { xmlns: this.ns });
      for (const [namespace, entry] of group) {
        const delegated = delegation.c("delegated", { namespace });
        if (!this.ctx.has("SRV-ADV-03")) for (const name of entry.attributes ?? []) delegated.c("attribute", { name });
      }
      this.ctx.sendToComponent(jid, message);
    }
  }

  // --- E. disco nesting (#disco_nesting, #impl 2) -----------------------------------

  private async fetchNesting(jid: string): Promise<void> {
    const queries: Promise<void>[] = [];
    for (const [namespace] of this.delegationsOf(jid)) {
      if (namespace === REMAINING_DISCO_INFO || namespace === REMAINING_DISCO_ITEMS) continue;
      queries.push(this.queryNesting(jid, nestingNode(this.ctx.options.version, namespace)).then(() => undefined));
      if (this.ctx.options.bareDisco) {
        queries.push(this.queryNesting(jid, bareNestingNode(this.ctx.options.version, namespace)).then(() => undefined));
      }
    }
    await Promise.all(queries);
  }

  private queryNesting(jid: string, node: string): Promise<NestedInfo | undefined> {
    const id = `nest-${randomUUID()}`;
    const iq = new Element("iq", { type: "get", from: this.ctx.options.domain, to: jid, id });
    iq.c("query", { xmlns: NS.discoInfo, node });
    return new Promise((resolve) => {
      const timer = this.clock.after(2000, () => done(undefined));
      const done = (answer: Element | undefined) => {
        timer.cancel();
        this.nestingQueries.delete(id);
        const query = answer?.attrs.type === "result" ? answer.getChild("query", NS.discoInfo) : undefined;
        if (!query) return resolve(undefined);
        const info: NestedInfo = {
          identities: query.getChildren("identity").map(clone),
          features: query.getChildren("feature").map((f) => String(f.attrs.var)),
          forms: query.getChildren("x", NS.dataForms).map(clone),
        };
        this.nestedCache.set(`${jid} ${node}`, info);
        resolve(info);
      };
      this.nestingQueries.set(id, done);
      this.ctx.sendToComponent(jid, iq);
    });
  }

  /** Answers to our own nesting queries; true when consumed. */
  handleNestingAnswer(iq: Element): boolean {
    const done = this.nestingQueries.get(String(iq.attrs.id));
    if (!done) return false;
    done(iq);
    return true;
  }

  /** Nested info of every connected delegation, for the server's (bare = false) or a bare JID's disco#info. */
  async nestedInfo(bare: boolean): Promise<{ namespace: string; info: NestedInfo }[]> {
    const out: { namespace: string; info: NestedInfo }[] = [];
    for (const [namespace, entry] of Object.entries(this.effectiveDelegations())) {
      if (namespace === REMAINING_DISCO_INFO || namespace === REMAINING_DISCO_ITEMS) continue;
      if (!this.ctx.isComponentOnline(entry.jid)) continue;
      if (bare && !this.ctx.options.bareDisco) continue;
      const node = bare ? bareNestingNode(this.ctx.options.version, namespace) : nestingNode(this.ctx.options.version, namespace);
      const info = this.ctx.has("SRV-DSC-04")
        ? await this.queryNesting(entry.jid, node)
        : this.nestedCache.get(`${entry.jid} ${node}`);
      if (info) out.push({ namespace, info });
    }
    return out;
  }

  /** Delegated namespaces whose ME is online: their internal features give way to the ME's (SRV-DSC-03). */
  activeNamespaces(): string[] {
    return Object.entries(this.effectiveDelegations())
      .filter(([, entry]) => this.ctx.isComponentOnline(entry.jid))
      .map(([namespace]) => namespace);
  }

  componentOffline(jid: string): void {
    for (const key of [...this.nestedCache.keys()]) if (key.startsWith(`${jid} `)) this.nestedCache.delete(key);
    // SRV-UNA-02: every forward still pending on this ME gets an error answer now (the fault forgets them silently).
    for (const forward of [...this.pending.values()]) {
      if (!sameJid(forward.managingJid, jid)) continue;
      forward.timer.cancel();
      this.pending.delete(forward.forwardId);
      if (!this.ctx.has("SRV-UNA-02")) this.answer(this.errorFor(forward, "service-unavailable"));
    }
  }

  // --- B. forwarding (#stanza_forward) ---------------------------------------------

  /**
   * The managing entity an IQ must be forwarded to, or undefined when the
   * server handles it normally. `senderIsComponent`: SRV-SLF-01.
   */
  delegateFor(iq: Element, sender: string, senderIsComponent: boolean): string | undefined {
    const type = iq.attrs.type;
    const payload = firstChildElement(iq);
    if (!payload) return undefined;
    const namespace = namespaceOf(payload) ?? "";
    const table = this.effectiveDelegations();
    if (type !== "get" && type !== "set") {
      // SRV-FWD-10: results and errors from users are never forwarded.
      return this.ctx.has("SRV-FWD-10") && table[namespace] ? table[namespace].jid : undefined;
    }
    // #remaining_disco has its own addressing rule (a bare JID), checked before the general ones.
    // SRV-SLF-01: the ME's own disco requests are the server's to answer; the fault forwards them back (to its own domain).
    const remaining = senderIsComponent && !this.ctx.has("SRV-SLF-01") ? undefined : this.remainingDiscoDelegate(iq, payload, namespace, table);
    if (remaining && (!senderIsComponent || sameJid(parseJid(sender).domain, remaining))) return remaining;
    if (!this.addressedForDelegation(iq.attrs.to, sender)) return undefined;
    const entry = table[namespace];
    if (!entry) {
      // SRV-FWD-10 fault: a non-delegated namespace (XEP-0092 here) goes to the ME all the same.
      const any = Object.values(table)[0];
      return this.ctx.has("SRV-FWD-10") && any && !senderIsComponent && namespace === NS.version ? any.jid : undefined;
    }
    // SRV-SLF-01: every JID of the ME's domain (the ME, user@ME, ME/resource) sends the ME's own stanzas.
    const fromManaging = senderIsComponent && sameJid(parseJid(sender).domain, entry.jid);
    if (fromManaging && !this.ctx.has("SRV-SLF-01")) return undefined;
    if (senderIsComponent && !fromManaging) return undefined;
    if (!this.passesFilter(payload, table[namespace]?.attributes)) return undefined;
    // SRV-ADV-07 fault: a reconnected ME is not delegated to any more; the server handles the IQ itself.
    if (this.staleComponents.has(entry.jid)) return undefined;
    return entry.jid;
  }

  /** SRV-FWD-01..06: no 'to', the server, or a local bare JID; never a full JID or a foreign domain. */
  private addressedForDelegation(to: string | undefined, sender: string): boolean {
    const domain = this.ctx.options.domain;
    if (to === undefined || to === "") return !this.ctx.has("SRV-FWD-01");
    const jid = parseJid(to);
    if (isFullJid(to)) return this.ctx.has("SRV-FWD-05");
    if (jid.domain !== domain) {
      // SRV-FWD-11: a hosted domain where delegation is not activated is handled normally (the fault forwards it).
      if (sameJid(jid.domain, this.ctx.options.undelegatedDomain)) return this.ctx.has("SRV-FWD-11");
      return jid.local !== undefined && this.ctx.has("SRV-FWD-06");
    }
    if (!jid.local) return !this.ctx.has("SRV-FWD-02");
    if (sameJid(bareJid(to), bareJid(sender))) return !this.ctx.has("SRV-FWD-03");
    return !this.ctx.has("SRV-FWD-04");
  }

  /** SRV-FLT-01/02 (N.B.3): every filtering attribute must be on the IQ's first child. */
  private passesFilter(payload: Element, attributes: string[] | undefined): boolean {
    if (!attributes?.length) return true;
    if (this.ctx.has("SRV-FLT-01")) return false;
    if (this.ctx.has("SRV-FLT-02")) return true;
    return attributes.every((name) => payload.attrs[name] !== undefined);
  }

  /** SRV-DSC-07..09: bare-JID disco the server does not handle itself goes to the remaining-disco ME. */
  private remainingDiscoDelegate(iq: Element, payload: Element, namespace: string, table: DelegationTable): string | undefined {
    const to = iq.attrs.to;
    if (!to || isFullJid(to) || !parseJid(to).local) return undefined;
    // SRV-FWD-11: only bare JIDs of the domain where delegation is activated.
    if (!sameJid(parseJid(to).domain, this.ctx.options.domain)) return undefined;
    const node = payload.attrs.node;
    // SRV-DSC-13: disco#info or disco#items on the node of an item the ME advertised goes to that ME
    // (#bare_jid_disco_items), whether or not remaining disco#info is delegated; the fault answers it itself.
    const advertisedBy = node === undefined ? undefined : this.advertisedNodes.get(`${bareJid(to).toLowerCase()} ${node}`);
    if (advertisedBy && (namespace === NS.discoInfo || namespace === NS.discoItems) && table[REMAINING_DISCO_ITEMS]) {
      return this.ctx.has("SRV-DSC-13") ? undefined : advertisedBy;
    }
    if (namespace === NS.discoInfo && node !== undefined && table[REMAINING_DISCO_INFO]) {
      return this.ctx.has("SRV-DSC-07") ? undefined : table[REMAINING_DISCO_INFO].jid;
    }
    if (namespace === NS.discoItems && table[REMAINING_DISCO_ITEMS]) {
      if (node === undefined && this.ctx.has("SRV-DSC-08")) return undefined;
      if (node !== undefined && this.ctx.has("SRV-DSC-09")) return undefined;
      return table[REMAINING_DISCO_ITEMS].jid;
    }
    return undefined;
  }

  /**
   * This server's forward ids, shaped as before (`fwd-` and a UUID) but cheap: the first four groups
   * drawn once per server, the last one a counter (no random UUID per IQ).
   */
  private readonly forwardIdPrefix = `fwd-${randomUUID().slice(0, 24)}`;
  private forwardCount = 0;

  private nextForwardId(): string {
    return this.forwardIdPrefix + (this.forwardCount++).toString(16).padStart(12, "0");
  }

  /** SRV-FWD-07/08/09: wrap the untouched original in <delegation><forwarded>. */
  forward(iq: Element, sender: string, managingJid: string): void {
    const original = readdressed(iq);
    original.attrs.from = sender;
    if (!this.ctx.isComponentOnline(managingJid)) {
      // SRV-UNA-01 (N.B.1)
      if (!this.ctx.has("SRV-UNA-01")) this.answer(iqError(original, "service-unavailable", "cancel", original.attrs.to));
      return;
    }
    const itemsCacheKey = this.itemsCacheKey(original);
    if (itemsCacheKey && this.ctx.has("SRV-DSC-11")) {
      const cached = this.itemsCache.get(itemsCacheKey);
      if (cached) {
        const answer = clone(cached);
        answer.attrs.id = original.attrs.id;
        answer.attrs.to = sender;
        this.ctx.route(answer);
        return;
      }
    }
    const forwardId = this.nextForwardId();
    const wrapper = new Element("iq", { type: "set", from: this.ctx.options.domain, to: managingJid, id: forwardId });
    // SRV-FWD-08's fault strips the text inside: only then does the copy need its own children.
    const inner = this.ctx.has("SRV-FWD-08") ? clone(original) : readdressed(original);
    inner.attrs.xmlns = NS.client;
    // SRV-FWD-12 (ambiguous): an IQ to the sender's own bare JID is forwarded with that 'to' (keeps-to) or none (no-to).
    const to = inner.attrs.to;
    const toOwnBareJid = to !== undefined && !isFullJid(to) && parseJid(to).local !== undefined && sameJid(bareJid(to), bareJid(sender));
    // SRV-FWD-08 fault: the server's JID instead, which is not the initial stanza under either reading.
    if (toOwnBareJid && this.ctx.has("SRV-FWD-08")) inner.attrs.to = this.ctx.options.domain;
    else if (toOwnBareJid && this.reading("SRV-FWD-12") === "no-to") delete inner.attrs.to;
    if (this.ctx.has("SRV-FWD-09")) delete inner.attrs.xmlns;
    if (this.ctx.has("SRV-FWD-08")) {
      inner.attrs.from = bareJid(sender);
      stripText(inner);
    }
    const forwarded = this.ctx.has("SRV-FWD-07")
      ? wrapper.c("forwarded", { xmlns: NS.forward })
      : wrapper.c("delegation", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward });
    forwarded.cnode(inner);
    const timer = this.clock.after(this.ctx.options.forwardTimeoutMs, () => {
      const forward = this.pending.get(forwardId);
      if (!forward) return;
      this.settle(forward);
      this.answer(this.errorFor(forward, "remote-server-timeout"));
    });
    this.pending.set(forwardId, { forwardId, managingJid, sender, original, timer, itemsCacheKey });
    this.ctx.sendToComponent(managingJid, wrapper);
  }

  /**
   * SRV-ADV-06: only IQ namespaces are delegated (#server_config), so a <message/> or <presence/> with a
   * delegated payload is never forwarded. The fault wraps it like an IQ forward and sends it to the ME.
   */
  forwardNonIq(stanza: Element, sender: string): void {
    if (!this.ctx.has("SRV-ADV-06")) return;
    const table = this.effectiveDelegations();
    const delegated = childElements(stanza).map((c) => table[namespaceOf(c) ?? ""]).find(Boolean);
    if (!delegated || !this.ctx.isComponentOnline(delegated.jid)) return;
    const copy = clone(stanza);
    Object.assign(copy.attrs, { xmlns: NS.client, from: sender });
    const wrapper = new Element("iq", { type: "set", from: this.ctx.options.domain, to: delegated.jid, id: `fwd-${randomUUID()}` });
    wrapper.c("delegation", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward }).cnode(copy);
    this.ctx.sendToComponent(delegated.jid, wrapper);
  }

  hasPendingFrom(sender: string): boolean {
    return [...this.pending.values()].some((f) => sameJid(f.sender, sender));
  }

  // --- C. the ME's reply (#stanza_forward) -------------------------------------------

  /** An IQ result/error that may answer a forward; true when it did (and was handled). */
  handleReply(iq: Element, from: string): boolean {
    const forward = this.pending.get(String(iq.attrs.id));
    if (!forward) return false;
    // SRV-REP-12: only the ME the IQ was forwarded to may answer it.
    if (!sameJid(from, forward.managingJid) && !this.ctx.has("SRV-REP-12")) {
      this.ctx.log(`ignored reply to ${forward.forwardId} from ${from}`);
      return true;
    }
    this.settle(forward);
    const verdict = this.checkReply(iq, forward);
    if (verdict.deliver) {
      this.ctx.route(verdict.deliver);
      if (forward.itemsCacheKey && this.ctx.has("SRV-DSC-11")) this.itemsCache.set(forward.itemsCacheKey, verdict.deliver);
      return true;
    }
    this.ctx.log(`bad reply to ${forward.forwardId}: ${verdict.problem}`);
    if (verdict.drop) return true;
    this.answer(this.errorFor(forward, verdict.condition ?? "service-unavailable"));
    if (this.ctx.has("SRV-REP-10")) this.ctx.dropComponent(forward.managingJid);
    else if (this.ctx.options.closeStreamOnBadReply) this.ctx.dropComponent(forward.managingJid, "undefined-condition");
    return true;
  }

  /** SRV-ANS-01: the one error answer to a delegated IQ; the fault sends it twice. */
  private answer(error: Element): void {
    this.ctx.route(error);
    if (this.ctx.has("SRV-ANS-01")) this.ctx.route(clone(error));
  }

  /** `condition`: the error the sender gets for a bad reply (default service-unavailable). */
  private checkReply(iq: Element, forward: PendingForward): { deliver?: Element; problem?: string; condition?: string; drop?: boolean } {
    const original = forward.original;
    if (iq.attrs.type === "error") {
      // SRV-REP-08 (N.B.2): an outer error becomes service-unavailable; the fault relays its condition.
      if (!this.ctx.has("SRV-REP-08")) return { problem: "outer error" };
      const relayed = iqError(original, conditionOf(iq) ?? "undefined-condition", "cancel", original.attrs.to);
      return { deliver: relayed };
    }
    const forwarded = iq.getChild("delegation", this.ns)?.getChild("forwarded", NS.forward);
    // SRV-REP-13: the reply is the <iq/> in <forwarded/>, whatever else (a XEP-0297 <delay/>) is next to it;
    // the fault takes the first child, so a <delay/> before the IQ makes the reply look unwrapped.
    const first = forwarded && firstChildElement(forwarded);
    const inner = this.ctx.has("SRV-REP-13") ? (first?.name === "iq" ? first : undefined) : forwarded?.getChild("iq");
    if (!inner) {
      // SRV-REP-09: an unwrapped reply is never relayed raw.
      if (!this.ctx.has("SRV-REP-09")) return { problem: "reply not wrapped" };
      const raw = clone(iq);
      Object.assign(raw.attrs, { id: original.attrs.id, to: forward.sender, from: original.attrs.to });
      return { deliver: raw };
    }
    // Re-addressed only, unless a fault strips its text or the items in it are changed (SRV-DSC-10/14) or cached (SRV-DSC-11).
    const reply = this.ctx.has("SRV-REP-01") || forward.itemsCacheKey ? clone(inner) : readdressed(inner);
    delete reply.attrs.xmlns;
    if (reply.attrs.id !== original.attrs.id && !this.ctx.has("SRV-REP-03")) return { problem: "inner id differs" };
    if (!sameJid(reply.attrs.to, forward.sender) && !this.ctx.has("SRV-REP-04")) return { problem: "inner 'to' differs" };
    // SRV-REP-02 fault: a reply without inner 'from' (the spec's example shape) is taken too, and delivered from the ME.
    const fromTakenAnyway = reply.attrs.from === undefined && this.ctx.has("SRV-REP-02");
    // SRV-REP-14 (ambiguous): no inner 'from' (the spec's examples) although the original had a 'to':
    // refused (strict) or delivered with the original 'to' filled in (lenient). SRV-ANS-01's fault drops it: no answer.
    if (reply.attrs.from === undefined && original.attrs.to !== undefined && !fromTakenAnyway) {
      if (this.ctx.has("SRV-ANS-01")) return { problem: "no inner 'from' (dropped)", drop: true };
      if (this.reading("SRV-REP-14") === "refused") return { problem: "no inner 'from' (strict reading of SRV-REP-14)" };
      reply.attrs.from = original.attrs.to;
    }
    // SRV-REP-05 fault: a spoofed inner 'from' is relayed (a missing one is not spoofed: still refused).
    const spoofAccepted = reply.attrs.from !== undefined && this.ctx.has("SRV-REP-05");
    if (!fromTakenAnyway && !spoofAccepted && !this.fromMatches(reply.attrs.from, original, forward.sender)) {
      return { problem: "inner 'from' differs" };
    }
    const type = reply.attrs.type;
    // SRV-REP-07 (ambiguous): an inner error gets service-unavailable (strict), is relayed (lenient), or gets
    // another condition (other-condition); SRV-ANS-01's fault drops it: no answer.
    if (type === "error" && this.ctx.has("SRV-ANS-01")) return { problem: "inner type error (dropped)", drop: true };
    if (type === "error" && this.reading("SRV-REP-07") === "other-condition") return { problem: "inner type error", condition: "internal-server-error" };
    if (type === "error" && this.reading("SRV-REP-07") === "strict") return { problem: "inner type error (strict reading)" };
    if ((type === "get" || type === "set") && !this.ctx.has("SRV-REP-06")) return { problem: `inner type ${type}` };
    if (type !== "result" && type !== "error" && type !== "get" && type !== "set") return { problem: `inner type ${type}` };
    if (this.ctx.has("SRV-REP-02")) reply.attrs.from = forward.managingJid;
    if (this.ctx.has("SRV-REP-01")) stripText(reply);
    // SRV-TRN-01: nothing of the forward reaches the user; the fault leaks an empty <forwarded/> into replies to bare-JID IQs.
    const to = original.attrs.to;
    if (this.ctx.has("SRV-TRN-01") && to && parseJid(to).local) reply.c("forwarded", { xmlns: NS.forward });
    const items = forward.itemsCacheKey ? reply.getChild("query", NS.discoItems) : undefined;
    // SRV-DSC-13: remember the nodes of the items the ME advertised; requests on them go to it.
    for (const item of items?.getChildren("item") ?? []) {
      if (item.attrs.jid && item.attrs.node !== undefined) this.advertisedNodes.set(`${bareJid(String(item.attrs.jid)).toLowerCase()} ${item.attrs.node}`, forward.managingJid);
    }
    if (items && forward.itemsCacheKey?.endsWith(" ")) {
      // SRV-DSC-14 fault: all but the first of the ME's items are lost in the merge.
      if (this.ctx.has("SRV-DSC-14")) {
        const [kept] = items.getChildren("item");
        items.children = items.children.filter((c) => typeof c === "string" || c.name !== "item" || c === kept);
      }
      // SRV-DSC-10 (SHOULD NOT mix its own items in) vs SRV-DSC-14 (MAY nest them anyway: reading "nests").
      if (this.ctx.has("SRV-DSC-10") || this.reading("SRV-DSC-14") === "nests") {
        for (const item of this.ctx.ownItems(bareJid(String(original.attrs.to)))) items.cnode(item);
      }
    }
    return { deliver: reply };
  }

  /** SRV-REP-05: the reply comes from what the original addressed (for no 'to': the account or the server). */
  private fromMatches(from: string | undefined, original: Element, sender: string): boolean {
    const to = original.attrs.to;
    if (to) return sameJid(from, to);
    return from === undefined || sameJid(from, bareJid(sender)) || sameJid(from, this.ctx.options.domain);
  }

  private errorFor(forward: PendingForward, condition: string): Element {
    return iqError(forward.original, condition, "cancel", forward.original.attrs.to);
  }

  private settle(forward: PendingForward): void {
    // SRV-REP-11 fault: the forward stays answerable.
    if (this.ctx.has("SRV-REP-11")) return;
    forward.timer.cancel();
    this.pending.delete(forward.forwardId);
  }

  private itemsCacheKey(iq: Element): string | undefined {
    const query = iq.getChild("query", NS.discoItems);
    if (!query || !iq.attrs.to || isFullJid(iq.attrs.to)) return undefined;
    return `${bareJid(iq.attrs.to)} ${query.attrs.node ?? ""}`;
  }

  stop(): void {
    for (const forward of this.pending.values()) forward.timer.cancel();
    this.pending.clear();
  }
}

function conditionOf(iq: Element): string | undefined {
  const error = iq.getChild("error");
  return error ? childElements(error).find((c) => namespaceOf(c) === NS.stanzaErrors)?.name : undefined;
}

/**
 * A stanza to be re-addressed and passed on: its own name and attributes, the same children (a
 * forward or a reply is never changed inside). Much cheaper than clone's serialise and re-parse,
 * which cost the mock most of a delegated IQ (docs/benchmarks.md).
 */
function readdressed(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  copy.children = [...el.children];
  return copy;
}

/** element.ts's firstChildElement without the array of all child elements (it runs twice per delegated IQ). */
function firstChildElement(el: Element): Element | undefined {
  for (const child of el.children) if (typeof child !== "string") return child;
  return undefined;
}

function stripText(el: Element): void {
  el.children = el.children.filter((c) => typeof c !== "string");
  for (const child of childElements(el)) stripText(child);
}
