import { randomUUID } from "node:crypto";
import { Element, firstChildElement, namespaceOf } from "../../src/xml/element.js";
import { bareJid, isFullJid, parseJid, sameJid } from "../jids.js";
import { NS } from "../../src/protocol/namespaces.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";
import { COMMANDS_NS, configureForm, configureNode, dataForm, formValues, isYes, requestForm, type GrantListing } from "./client-forms.js";
import type { DelegationService } from "./delegation.js";
import type { ServerFault } from "./faults.js";
import { DEFAULT_READINGS, type MockServerOptions } from "./options.js";
import { PRIVATE_NS, PrivateStorage } from "./private-storage.js";
import { realClock, type MockClock, type MockTimer } from "../clock.js";

export interface ClientModeContext {
  options: MockServerOptions;
  has(fault: ServerFault): boolean;
  /** Admin mode: its namespace, its table (admin delegations win over client grants) and its forwarding. */
  delegation: DelegationService;
  isComponentOnline(jid: string): boolean;
  route(stanza: Element): void;
  /** Full JIDs of the account's ready sessions. */
  sessionsOf(bare: string): string[];
  log(line: string): void;
}

/** One namespace a user granted to a managing entity (#client_delegation). */
interface Grant {
  managing: string;
  /** The full JID of the session that granted it: #rules 2 ends it with that session. */
  session: string;
  /** #rules 1/2: kept across sessions (only with keepGrants, and only for a session that supports XEP-0050). */
  kept: boolean;
  /** SRV-CLI-07 / SRV-CLI-14 faults: advertised as revoked but still forwarded. */
  hidden: boolean;
}

interface PendingRequest {
  challenge: string;
  requester: string;
  user: string;
  namespaces: string[];
  filtered: Set<string>;
  /** SRV-CLI-13 "deferred" reading: the request IQ, answered once the user decided. */
  iq?: Element;
  timer?: MockTimer;
  /** SRV-CLI-04 fault: silence taken as consent. */
  consentTimer?: MockTimer;
}

const DELEGATION_NAMESPACES = ["urn:xmpp:delegation:1", "urn:xmpp:delegation:2"];
/** How long the mock waits for a granting session's disco#info answer (#rules 2: does it support XEP-0050?). */
const PROBE_TIMEOUT_MS = 5000;

/**
 * XEP-0355 client mode, server side (catalogue section F, SRV-CLI-01…14): delegation requests and
 * their forms (#client_delegation), grants and their advertisement, forwarding (#client_forward),
 * the configure command (#configuration) and the business rules (#rules, #security 2).
 * Coexists with admin mode (DelegationService): a namespace delegated by the administrator is
 * admin mode's, whatever users grant.
 */
export class ClientModeService {
  private readonly requests = new Map<string, PendingRequest>();
  /** user bare JID → namespace → grant */
  private readonly grants = new Map<string, Map<string, Grant>>();
  /** disco#info probe id → the granting full JID (#rules 2) */
  private readonly probes = new Map<string, { jid: string; timer: MockTimer }>();
  /** XEP-0050 session id → the user running the configure command */
  private readonly commandSessions = new Map<string, string>();
  private readonly storage = new PrivateStorage();

  constructor(private readonly ctx: ClientModeContext) {}

  private get clock(): MockClock {
    return this.ctx.options.clock ?? realClock;
  }

  private get ns(): string {
    return this.ctx.delegation.ns;
  }

  private get domain(): string {
    return this.ctx.options.domain;
  }

  private isForServer(to: string | undefined): boolean {
    return !to || sameJid(to, this.domain);
  }

  private isLocalUser(jid: string): boolean {
    const parsed = parseJid(jid);
    return parsed.local !== undefined && sameJid(parsed.domain, this.domain);
  }

  // --- hooks called by MockServer --------------------------------------------------------------

  /** A stanza from a client session: form answers and answers to our probes; true when consumed. */
  fromClient(sender: string, stanza: Element): boolean {
    if (stanza.name === "message" && this.isForServer(stanza.attrs.to)) {
      const x = dataForm(stanza);
      if (!x) return false;
      this.handleAnswer(sender, x);
      return true;
    }
    if (stanza.name === "iq" && (stanza.attrs.type === "result" || stanza.attrs.type === "error")) {
      const probe = this.probes.get(String(stanza.attrs.id));
      if (!probe || !sameJid(probe.jid, sender)) return false;
      this.handleProbeAnswer(String(stanza.attrs.id), stanza);
      return true;
    }
    return false;
  }

  /** An IQ get/set (from a client or a component): client-mode requests, the configure command, forwards; true when handled. */
  handleIq(iq: Element, sender: string, senderIsComponent: boolean): boolean {
    if (iq.attrs.type !== "get" && iq.attrs.type !== "set") return false;
    const payload = firstChildElement(iq);
    if (!payload) return false;
    const namespace = namespaceOf(payload) ?? "";
    const forServer = this.isForServer(iq.attrs.to);
    // Unless admin mode forwards it (the SRV-ADV-05 fault honours an admin delegation of the delegation namespace).
    if (forServer && payload.name === "query" && namespace === this.ns && !this.ctx.delegation.delegateFor(iq, sender, senderIsComponent)) {
      this.handleRequest(iq, payload, sender);
      return true;
    }
    if (forServer && this.handleCommands(iq, payload, namespace, sender, senderIsComponent)) return true;
    const grant = this.grantFor(iq, namespace, sender, senderIsComponent);
    if (grant) {
      this.forward(iq, sender, grant);
      return true;
    }
    // The server's own XEP-0049, when nobody manages it for this user.
    if (namespace === PRIVATE_NS && !this.ctx.delegation.effectiveDelegations()[PRIVATE_NS]) {
      const to = iq.attrs.to;
      if (to && (isFullJid(to) || !this.isLocalUser(to)) && !forServer) return false;
      this.answer(iq, this.storage.handle(iq, sender, PrivateStorage.ownerOf(iq, sender, this.domain)));
      return true;
    }
    return false;
  }

  /** #rules 2: grants that may not outlive the session that gave them end with it, and are re-advertised (#rules 3). */
  sessionEnded(fullJid: string): void {
    for (const [id, probe] of [...this.probes]) {
      if (!sameJid(probe.jid, fullJid)) continue;
      probe.timer.cancel();
      this.probes.delete(id);
    }
    const user = bareJid(fullJid);
    const changed = new Set<string>();
    for (const [namespace, grant] of this.grantsOf(user)) {
      if (!sameJid(grant.session, fullJid) || (this.ctx.options.keepGrants && grant.kept)) continue;
      changed.add(grant.managing);
      // SRV-CLI-07 fault: the end is advertised, but the grant keeps being forwarded in later sessions.
      if (this.ctx.has("SRV-CLI-07")) Object.assign(grant, { hidden: true, kept: true });
      else this.grantsOf(user).delete(namespace);
    }
    for (const managing of changed) this.advertise(user, managing, "revoke");
    // SRV-CLI-04: a form nobody can answer any more grants nothing.
    if (this.ctx.sessionsOf(user).length > 0) return;
    for (const pending of [...this.requests.values()]) if (pending.user === user) this.settle(pending, [], undefined);
  }

  /** A managing entity (re)connected: it is told the client-mode grants it holds (as admin mode does, SRV-ADV-07). */
  componentOnline(jid: string): void {
    for (const user of this.grants.keys()) {
      if ([...this.grantsOf(user).values()].some((g) => sameJid(g.managing, jid) && !g.hidden)) this.advertise(user, jid, "grant");
    }
  }

  stop(): void {
    for (const pending of this.requests.values()) {
      pending.timer?.cancel();
      pending.consentTimer?.cancel();
    }
    for (const probe of this.probes.values()) probe.timer.cancel();
    this.requests.clear();
    this.probes.clear();
  }

  // --- #client_delegation: request, form, answer, advertisement ---------------------------------

  private handleRequest(iq: Element, query: Element, requester: string): void {
    const target = query.attrs.to;
    // #client_delegation: "The <query/> element MUST have a 'to' attribute"; each <delegate/> MUST have 'namespace'.
    if (typeof target !== "string" || target === "") return this.answer(iq, iqError(iq, "bad-request", "modify"));
    if (!this.isLocalUser(target)) return this.answer(iq, iqError(iq, "item-not-found"));
    const delegates = query.getChildren("delegate");
    const namespaces = [...new Set(delegates.map((d) => d.attrs.namespace).filter((n): n is string => typeof n === "string" && n !== ""))];
    if (delegates.length === 0 || namespaces.length === 0 || delegates.some((d) => !d.attrs.namespace)) {
      return this.answer(iq, iqError(iq, "bad-request", "modify"));
    }
    // SRV-CLI-06 (#rules 5): the delegation namespace is never delegated; asking for it is forbidden.
    if (namespaces.some((n) => DELEGATION_NAMESPACES.includes(n)) && !this.ctx.has("SRV-CLI-06")) {
      return this.answer(iq, iqError(iq, "forbidden", "auth"));
    }
    const user = bareJid(target);
    const sessions = this.ctx.sessionsOf(user);
    // Nobody to ask: the request cannot be granted now (the same answer whether or not the account exists).
    if (sessions.length === 0) return this.answer(iq, iqError(iq, "recipient-unavailable", "wait"));
    const challenge = randomUUID(); // SRV-CLI-01: a challenge the server generated itself
    const filtered = new Set(namespaces.filter((n) => this.ctx.options.clientFiltered.includes(n))); // SRV-CLI-12
    const pending: PendingRequest = { challenge, requester, user, namespaces, filtered };
    this.requests.set(challenge, pending);
    // SRV-CLI-13 (ambiguous): the request IQ is answered at once (immediate), or once the user decided (deferred:
    // after the advertisement; RFC 6120 §8.2.3 still wants an answer, so a timeout or the end of the user's sessions
    // answers it too), or never (unanswered: the advertisement is the only reply, as in the spec's example).
    const reading = this.ctx.options.readings["SRV-CLI-13"] ?? DEFAULT_READINGS["SRV-CLI-13"];
    if (reading === "immediate") {
      this.answer(iq, iqResult(iq));
    } else if (reading === "deferred") {
      pending.iq = iq;
      pending.timer = this.clock.after(this.ctx.options.clientRequestTimeoutMs, () => this.settle(pending, [], undefined));
    }
    // #client_delegation: the form goes to each of the user's sessions.
    for (const session of sessions) {
      this.ctx.route(
        requestForm(this.domain, session, {
          requester: bareJid(requester),
          challenge,
          formType: this.ns,
          namespaces,
          filtered,
          withoutChallenge: this.ctx.has("SRV-CLI-01"),
          bare: this.ctx.has("SRV-CLI-02"),
        }),
      );
    }
    // SRV-CLI-04 fault: silence is taken as consent.
    if (this.ctx.has("SRV-CLI-04")) pending.consentTimer = this.clock.after(300, () => this.settle(pending, namespaces.filter((n) => !filtered.has(n)), sessions[0]));
  }

  /** The user's answer to a request form (XEP-0004 submit or cancel). */
  private handleAnswer(sender: string, x: Element): void {
    const user = bareJid(sender);
    const values = formValues(x);
    const challenge = values.get("challenge")?.[0];
    let pending = challenge ? this.requests.get(challenge) : undefined;
    if (pending && pending.user !== user) pending = undefined;
    // SRV-CLI-01 fault (no challenge in the form) and SRV-CLI-04 fault (challenge ignored): any submit answers the user's latest request.
    if (!pending && (this.ctx.has("SRV-CLI-01") || this.ctx.has("SRV-CLI-04"))) pending = [...this.requests.values()].reverse().find((p) => p.user === user);
    // SRV-CLI-04: a wrong challenge grants nothing.
    if (!pending) return this.ctx.log(`client mode: form answer from ${sender} with an unknown challenge, ignored`);
    if (x.attrs.type !== "submit") return this.settle(pending, [], undefined);
    const granted = pending.namespaces.filter((namespace) => {
      // SRV-CLI-04: only an explicit 1 grants (0, a missing field: nothing); the fault grants whatever the value.
      if (!isYes(values.get(namespace)) && !this.ctx.has("SRV-CLI-04")) return false;
      // SRV-CLI-12 (#security 2): a filtered namespace stays 0 whatever the user answers; the fault honours the 1.
      return !pending.filtered.has(namespace) || this.ctx.has("SRV-CLI-12");
    });
    this.settle(pending, granted, sender);
  }

  private settle(pending: PendingRequest, granted: string[], session: string | undefined): void {
    if (!this.requests.delete(pending.challenge)) return;
    pending.timer?.cancel();
    pending.consentTimer?.cancel();
    if (granted.length > 0 && session) {
      const grants = this.grantsOf(pending.user);
      const displaced = new Set<string>();
      for (const namespace of granted) {
        const previous = grants.get(namespace);
        if (previous && !sameJid(previous.managing, pending.requester)) displaced.add(previous.managing);
        grants.set(namespace, { managing: pending.requester, session, kept: false, hidden: false });
      }
      // SRV-CLI-03: the managing entity is told; #rules 3: one that lost a namespace to another is told too.
      this.advertise(pending.user, pending.requester, "grant");
      for (const managing of displaced) this.advertise(pending.user, managing, "revoke");
      // #rules 1/2: grants may be kept across sessions only if the granting client can check and revoke them (XEP-0050).
      if (this.ctx.options.keepGrants) this.probe(session);
    }
    if (pending.iq) this.answer(pending.iq, iqResult(pending.iq));
  }

  /**
   * SRV-CLI-03 (#client_delegation): "in the same way as for admin mode", with 'to' = the managed
   * entity's bare JID; SRV-CLI-09 (#rules 3): every change is re-advertised, the full current set.
   */
  private advertise(user: string, managing: string, change: "grant" | "revoke"): void {
    if (change === "revoke" && this.ctx.has("SRV-CLI-09")) return;
    const message = new Element("message", { from: this.domain, to: managing, id: randomUUID() });
    // SRV-CLI-03 fault: no 'to', as if it were an admin-mode delegation for every user.
    const delegation = message.c("delegation", { xmlns: this.ns, ...(this.ctx.has("SRV-CLI-03") ? {} : { to: user }) });
    for (const [namespace, grant] of this.grantsOf(user)) {
      if (sameJid(grant.managing, managing) && !grant.hidden) delegation.c("delegated", { namespace });
    }
    this.ctx.route(message);
  }

  // --- #rules 2: does the granting client support XEP-0050? -----------------------------------

  private probe(session: string): void {
    if ([...this.probes.values()].some((p) => sameJid(p.jid, session))) return;
    const id = `xep0050-probe-${randomUUID()}`;
    const iq = new Element("iq", { type: "get", from: this.domain, to: session, id });
    iq.c("query", { xmlns: NS.discoInfo });
    const timer = this.clock.after(PROBE_TIMEOUT_MS, () => this.probes.delete(id));
    this.probes.set(id, { jid: session, timer });
    this.ctx.route(iq);
  }

  private handleProbeAnswer(id: string, answer: Element): void {
    const probe = this.probes.get(id);
    if (!probe) return;
    probe.timer.cancel();
    this.probes.delete(id);
    const features = answer.getChild("query", NS.discoInfo)?.getChildren("feature").map((f) => f.attrs.var) ?? [];
    if (answer.attrs.type !== "result" || !features.includes(COMMANDS_NS)) return;
    for (const grant of this.grantsOf(bareJid(probe.jid)).values()) if (sameJid(grant.session, probe.jid)) grant.kept = true;
  }

  // --- #client_forward --------------------------------------------------------------------------

  /**
   * SRV-CLI-05 (#client_forward): (1) an IQ to the server (no 'to' or the server's JID) from the
   * managed user, in a namespace she granted; (2) an IQ to her bare JID (only the bare JID), in a
   * namespace she granted, from anyone but the managing entity; (3) nothing else.
   */
  private grantFor(iq: Element, namespace: string, sender: string, senderIsComponent: boolean): Grant | undefined {
    // Admin mode coexists: a namespace the administrator delegated is forwarded by its rules (#stanza_forward).
    if (this.ctx.delegation.effectiveDelegations()[namespace]) return undefined;
    const to = iq.attrs.to;
    const senderUser = !senderIsComponent && this.isLocalUser(sender) ? bareJid(sender) : undefined;
    if (this.ctx.has("SRV-CLI-05")) {
      // The fault decides by the sender: the managed user's IQs go to the ME whatever they address, nobody else's do.
      return senderUser ? this.active(senderUser, namespace) : undefined;
    }
    if (this.isForServer(to)) return senderUser ? this.active(senderUser, namespace) : undefined;
    if (!to || isFullJid(to) || !this.isLocalUser(to)) return undefined;
    const grant = this.active(bareJid(to), namespace);
    // "for any 'from' attribute but the jid of the managing entity" (every JID of its domain, as SRV-SLF-01).
    if (!grant || sameJid(parseJid(sender).domain, grant.managing)) return undefined;
    return grant;
  }

  private active(user: string, namespace: string): Grant | undefined {
    return this.grants.get(user)?.get(namespace);
  }

  /** As in admin mode (#stanza_forward); a managing entity that is not there gives service-unavailable (#rules 4). */
  private forward(iq: Element, sender: string, grant: Grant): void {
    if (!this.ctx.isComponentOnline(grant.managing)) {
      // SRV-CLI-11 fault: a grant kept across sessions falls back to the server's own implementation.
      if (grant.kept && this.ctx.has("SRV-CLI-11")) {
        return this.answer(iq, this.storage.handle(iq, sender, PrivateStorage.ownerOf(iq, sender, this.domain)));
      }
      // SRV-CLI-11 (#rules 4; N.B.1 of #stanza_forward for session grants).
      return this.answer(iq, iqError(iq, "service-unavailable", "cancel", iq.attrs.to));
    }
    this.ctx.delegation.forward(iq, sender, grant.managing);
  }

  // --- #configuration: XEP-0050 command urn:xmpp:delegation:2#configure ------------------------

  private handleCommands(iq: Element, payload: Element, namespace: string, sender: string, senderIsComponent: boolean): boolean {
    const node = configureNode(this.ns);
    const user = !senderIsComponent && this.isLocalUser(sender) ? bareJid(sender) : undefined;
    if (namespace === NS.discoItems && payload.attrs.node === COMMANDS_NS) {
      // SRV-CLI-08 (SHOULD): the command is listed among the server's commands (XEP-0050 §2.2); the fault hides it.
      const result = iqResult(iq);
      const query = result.c("query", { xmlns: NS.discoItems, node: COMMANDS_NS });
      if (user && !this.ctx.has("SRV-CLI-08")) query.c("item", { jid: this.domain, node, name: "Configure delegations (XEP-0355)" });
      this.answer(iq, result);
      return true;
    }
    if (namespace === NS.discoInfo && payload.attrs.node === node) {
      const result = iqResult(iq);
      const query = result.c("query", { xmlns: NS.discoInfo, node });
      query.c("identity", { category: "automation", type: "command-node", name: "Configure delegations (XEP-0355)" });
      query.c("feature", { var: COMMANDS_NS });
      query.c("feature", { var: NS.dataForms });
      this.answer(iq, result);
      return true;
    }
    if (namespace !== COMMANDS_NS || payload.name !== "command" || payload.attrs.node !== node || iq.attrs.type !== "set") return false;
    if (!user) {
      this.answer(iq, iqError(iq, "forbidden", "auth"));
      return true;
    }
    this.runConfigure(iq, payload, user);
    return true;
  }

  /** SRV-CLI-14 (#configuration): at least check the grants given to a managing entity, and revoke them. */
  private runConfigure(iq: Element, command: Element, user: string): void {
    const node = configureNode(this.ns);
    const action = command.attrs.action ?? "execute";
    const sessionId = typeof command.attrs.sessionid === "string" ? command.attrs.sessionid : undefined;
    const submitted = dataForm(command, "submit");
    const reply = (status: string) => {
      const result = iqResult(iq);
      const el = result.c("command", { xmlns: COMMANDS_NS, node, sessionid: sessionId ?? "", status });
      return { result, el };
    };
    if (sessionId !== undefined && this.commandSessions.get(sessionId) !== user) {
      const error = iqError(iq, "bad-request", "modify");
      error.getChild("error")?.c("bad-sessionid", { xmlns: COMMANDS_NS });
      return this.answer(iq, error);
    }
    if (action === "cancel") {
      if (sessionId) this.commandSessions.delete(sessionId);
      return this.answer(iq, reply("canceled").result);
    }
    if (!sessionId || !submitted) {
      // First stage: the form listing every grant (XEP-0050 §3.4, single-stage "complete").
      const id = randomUUID();
      this.commandSessions.set(id, user);
      const result = iqResult(iq);
      const el = result.c("command", { xmlns: COMMANDS_NS, node, sessionid: id, status: "executing" });
      el.c("actions", { execute: "complete" }).c("complete");
      el.cnode(configureForm(`${node}`, this.listings(user)));
      return this.answer(iq, result);
    }
    this.commandSessions.delete(sessionId);
    const values = formValues(submitted);
    const changed = new Set<string>();
    for (const [namespace, grant] of this.grantsOf(user)) {
      const keep = values.get(grant.managing);
      if (keep === undefined || keep.includes(namespace) || grant.hidden) continue;
      changed.add(grant.managing);
      // SRV-CLI-14 fault: the revocation is advertised and confirmed, but the grant keeps being forwarded.
      if (this.ctx.has("SRV-CLI-14")) grant.hidden = true;
      else this.grantsOf(user).delete(namespace);
    }
    for (const managing of changed) this.advertise(user, managing, "revoke"); // SRV-CLI-09 (#rules 3)
    const { result, el } = reply("completed");
    el.c("note", { type: "info" }).t(changed.size ? "Delegations revoked." : "No change.");
    this.answer(iq, result);
  }

  private listings(user: string): GrantListing[] {
    const live = this.ctx.sessionsOf(user);
    const byManaging = new Map<string, string[]>();
    for (const [namespace, grant] of this.grantsOf(user)) {
      if (grant.hidden) continue;
      // SRV-CLI-10 fault: grants kept from an earlier session are not shown (so they cannot be checked nor revoked).
      if (this.ctx.has("SRV-CLI-10") && grant.kept && !live.some((s) => sameJid(s, grant.session))) continue;
      byManaging.set(grant.managing, [...(byManaging.get(grant.managing) ?? []), namespace]);
    }
    return [...byManaging].map(([managing, namespaces]) => ({ managing, namespaces }));
  }

  // --- helpers ----------------------------------------------------------------------------------

  private grantsOf(user: string): Map<string, Grant> {
    let grants = this.grants.get(user);
    if (!grants) this.grants.set(user, (grants = new Map()));
    return grants;
  }

  /** Answers an IQ the server handled; an IQ without 'to' gets an answer without 'from' (RFC 6120 §8.1.2.1). */
  private answer(iq: Element, reply: Element): void {
    if (!iq.attrs.to) delete reply.attrs.from;
    this.ctx.route(reply);
  }
}
