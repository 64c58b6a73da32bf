import { randomUUID } from "node:crypto";
import { Element, childElements, clone, firstChildElement, namespaceOf } from "../../src/xml/element.js";
import { bareJid, isFullJid, parseJid, sameJid } from "../../src/protocol/jid.js";
import {
  NS,
  REMAINING_DISCO_INFO,
  REMAINING_DISCO_ITEMS,
  bareNestingNode,
  delegationNamespace,
  nestingNode,
} from "../../src/protocol/namespaces.js";
import { iqError } from "../../src/protocol/stanzas.js";
import type { ServerFault } from "./faults.js";
import type { DelegationTable, MockServerOptions } from "./options.js";

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
  timer: NodeJS.Timeout;
  /** Cache key when the forward is a bare-JID disco#items (SRV-DSC-11 fault). */
  itemsCacheKey?: string;
}

/** XEP-0355 admin mode, server side (sections A–E of the catalogue). */
export class DelegationService {
  private readonly pending = new Map<string, PendingForward>();
  private readonly nestedCache = new Map<string, NestedInfo>();
  private readonly nestingQueries = new Map<string, (answer: Element | undefined) => void>();
  private readonly itemsCache = new Map<string, Element>();

  constructor(private readonly ctx: DelegationContext) {}

  get ns(): string {
    return delegationNamespace(this.ctx.options.version);
  }

  /** The delegations table as honoured: #rules 5 forbids delegating the delegation namespace (SRV-ADV-05). */
  effectiveDelegations(): DelegationTable {
    const table: DelegationTable = {};
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
    const message = new Element("message", { from: this.ctx.options.domain, to: jid, id: randomUUID() });
    const delegation = message.c("delegation", { xmlns: this.ns });
    for (const [namespace, entry] of delegations) {
      if (!entry.attributes?.length && this.ctx.has("SRV-ADV-02")) continue;
      const delegated = delegation.c("delegated", { namespace });
      if (!this.ctx.has("SRV-ADV-03")) for (const name of entry.attributes ?? []) delegated.c("attribute", { name });
    }
    this.ctx.sendToComponent(jid, message);
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
      const timer = setTimeout(() => done(undefined), 2000);
      const done = (answer: Element | undefined) => {
        clearTimeout(timer);
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
      clearTimeout(forward.timer);
      this.pending.delete(forward.forwardId);
      if (!this.ctx.has("SRV-UNA-02")) this.ctx.route(this.errorFor(forward, "service-unavailable"));
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
    const remaining = senderIsComponent ? undefined : this.remainingDiscoDelegate(iq, payload, namespace, table);
    if (remaining) return remaining;
    if (!this.addressedForDelegation(iq.attrs.to, sender)) return undefined;
    const entry = table[namespace];
    if (!entry) {
      // SRV-FWD-10 fault: a non-delegated namespace (XEP-0092 here) goes to the ME all the same.
      const any = Object.values(table)[0];
      return this.ctx.has("SRV-FWD-10") && any && !senderIsComponent && namespace === NS.version ? any.jid : undefined;
    }
    if (senderIsComponent && sameJid(entry.jid, sender) && !this.ctx.has("SRV-SLF-01")) return undefined;
    if (senderIsComponent && !sameJid(entry.jid, sender)) return undefined;
    if (!this.passesFilter(payload, table[namespace]?.attributes)) return undefined;
    return entry.jid;
  }

  /** SRV-FWD-01..06: no 'to', the server, or a local bare JID; never a full JID or a foreign domain. */
  private addressedForDelegation(to: string | undefined, sender: string): boolean {
    const domain = this.ctx.options.domain;
    if (to === undefined || to === "") return !this.ctx.has("SRV-FWD-01");
    const jid = parseJid(to);
    if (isFullJid(to)) return this.ctx.has("SRV-FWD-05");
    if (jid.domain !== domain) return jid.local !== undefined && this.ctx.has("SRV-FWD-06");
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
    const node = payload.attrs.node;
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

  /** SRV-FWD-07/08/09: wrap the untouched original in <delegation><forwarded>. */
  forward(iq: Element, sender: string, managingJid: string): void {
    const original = clone(iq);
    original.attrs.from = sender;
    if (!this.ctx.isComponentOnline(managingJid)) {
      // SRV-UNA-01 (N.B.1)
      if (!this.ctx.has("SRV-UNA-01")) this.ctx.route(iqError(original, "service-unavailable", "cancel", original.attrs.to));
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
    const forwardId = `fwd-${randomUUID()}`;
    const wrapper = new Element("iq", { type: "set", from: this.ctx.options.domain, to: managingJid, id: forwardId });
    const inner = clone(original);
    inner.attrs.xmlns = NS.client;
    if (this.ctx.has("SRV-FWD-09")) delete inner.attrs.xmlns;
    if (this.ctx.has("SRV-FWD-08")) {
      inner.attrs.from = bareJid(sender);
      stripText(inner);
    }
    const forwarded = this.ctx.has("SRV-FWD-07")
      ? wrapper.c("forwarded", { xmlns: NS.forward })
      : wrapper.c("delegation", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward });
    forwarded.cnode(inner);
    const timer = setTimeout(() => {
      const forward = this.pending.get(forwardId);
      if (!forward) return;
      this.settle(forward);
      this.ctx.route(this.errorFor(forward, "remote-server-timeout"));
    }, this.ctx.options.forwardTimeoutMs);
    this.pending.set(forwardId, { forwardId, managingJid, sender, original, timer, itemsCacheKey });
    this.ctx.sendToComponent(managingJid, wrapper);
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
    this.ctx.route(this.errorFor(forward, "service-unavailable"));
    if (this.ctx.has("SRV-REP-10")) this.ctx.dropComponent(forward.managingJid);
    else if (this.ctx.options.closeStreamOnBadReply) this.ctx.dropComponent(forward.managingJid, "undefined-condition");
    return true;
  }

  private checkReply(iq: Element, forward: PendingForward): { deliver?: Element; problem?: string } {
    const original = forward.original;
    if (iq.attrs.type === "error") {
      // SRV-REP-08 (N.B.2): an outer error becomes service-unavailable; the fault relays its condition.
      if (!this.ctx.has("SRV-REP-08")) return { problem: "outer error" };
      const relayed = iqError(original, conditionOf(iq) ?? "undefined-condition", "cancel", original.attrs.to);
      return { deliver: relayed };
    }
    const inner = iq.getChild("delegation", this.ns)?.getChild("forwarded", NS.forward)?.getChild("iq");
    if (!inner) {
      // SRV-REP-09: an unwrapped reply is never relayed raw.
      if (!this.ctx.has("SRV-REP-09")) return { problem: "reply not wrapped" };
      const raw = clone(iq);
      Object.assign(raw.attrs, { id: original.attrs.id, to: forward.sender, from: original.attrs.to });
      return { deliver: raw };
    }
    const reply = clone(inner);
    delete reply.attrs.xmlns;
    if (reply.attrs.id !== original.attrs.id && !this.ctx.has("SRV-REP-03")) return { problem: "inner id differs" };
    if (!sameJid(reply.attrs.to, forward.sender) && !this.ctx.has("SRV-REP-04")) return { problem: "inner 'to' differs" };
    if (!this.fromMatches(reply.attrs.from, original, forward.sender) && !this.ctx.has("SRV-REP-05")) {
      return { problem: "inner 'from' differs" };
    }
    const type = reply.attrs.type;
    if (type === "error" && !this.ctx.has("SRV-REP-07")) return { problem: "inner type error (strict reading)" };
    if ((type === "get" || type === "set") && !this.ctx.has("SRV-REP-06")) return { problem: `inner type ${type}` };
    if (type !== "result" && type !== "error" && type !== "get" && type !== "set") return { problem: `inner type ${type}` };
    if (this.ctx.has("SRV-REP-02")) reply.attrs.from = forward.managingJid;
    if (this.ctx.has("SRV-REP-01")) stripText(reply);
    if (this.ctx.has("SRV-DSC-10") && forward.itemsCacheKey?.endsWith(" ")) {
      const query = reply.getChild("query", NS.discoItems);
      for (const item of this.ctx.ownItems(bareJid(String(original.attrs.to)))) query?.cnode(item);
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
    clearTimeout(forward.timer);
    this.pending.delete(forward.forwardId);
  }

  private itemsCacheKey(iq: Element): string | undefined {
    const query = iq.getChild("query", NS.discoItems);
    if (!query || !iq.attrs.to || isFullJid(iq.attrs.to)) return undefined;
    return `${bareJid(iq.attrs.to)} ${query.attrs.node ?? ""}`;
  }

  stop(): void {
    for (const forward of this.pending.values()) clearTimeout(forward.timer);
    this.pending.clear();
  }
}

function conditionOf(iq: Element): string | undefined {
  const error = iq.getChild("error");
  return error ? childElements(error).find((c) => namespaceOf(c) === NS.stanzaErrors)?.name : undefined;
}

function stripText(el: Element): void {
  el.children = el.children.filter((c) => typeof c !== "string");
  for (const child of childElements(el)) stripText(child);
}
