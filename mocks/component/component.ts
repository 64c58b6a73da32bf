import { component as xmppComponent, type XmppComponent } from "@xmpp/component";
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { Element, childElements, firstChildElement, namespaceOf } from "../../src/xml/element.js";
import { bareJid, parseJid, sameJid } from "../jids.js";
import { NS, bareNestingNode, delegationNamespace, nestingNode } from "../../src/protocol/namespaces.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";
import type { ProtocolVersion } from "../../src/target/types.js";
import { ClientMode, managedEntity } from "./client-mode.js";
import type { ComponentFault, ComponentReadings } from "./faults.js";
import { PEP_FEATURES, PepStore, type PepAnswer } from "./pep.js";
import { PrivilegedEntity } from "./privilege.js";
import { realClock, type MockClock, type MockTimer } from "../clock.js";
import { toXml } from "../xml-text.js";
import { faultSwitches, type FaultSwitches } from "../fault-switches.js";

export const MOCK_COMPONENT_SOFTWARE = "xep0355-mock-component";

/** What the mock does with one forward (programmable, for scenarios about the server's robustness). */
export type ForwardBehaviour =
  | { kind: "normal" }
  /** Sends its (correct) answer twice. */
  | { kind: "twice" }
  /** Never answers. */
  | { kind: "never" }
  /** Closes its stream instead of answering. */
  | { kind: "disconnect" }
  /** Answers after `ms`. */
  | { kind: "delay"; ms: number };

/**
 * Marker a scenario may put in the inner IQ (next to the payload) to choose the
 * behaviour: `<behaviour xmlns='urn:xep0355-suite:mock-component' kind='twice|never|disconnect|delay' ms='…'/>`.
 */
export const BEHAVIOUR_NS = "urn:xep0355-suite:mock-component";

export interface MockComponentOptions {
  /** Where the server listens for components (XEP-0114). */
  host: string;
  port: number;
  /** The component's JID and secret. */
  jid: string;
  secret: string;
  /** The only entity it trusts for advertisements and forwards. */
  serverDomain: string;
  version: ProtocolVersion;
  faults: ComponentFault[];
  /** Which reading of each ambiguous G row to follow (default: ME-REP-04 keeps-from). */
  readings?: ComponentReadings;
  /** Namespaces it implements and will manage once the server delegates them (default: pubsub). */
  delegatedNamespaces?: string[];
  /**
   * Client mode (#client_usecases, catalogue section H; default true): on a user's presence
   * subscription it asks for that user's delegations, and serves what that user grants.
   * False: an admin-mode-only managing entity (it ignores both).
   */
  clientMode?: boolean;
  /** Per-forward behaviour, besides the in-stanza marker. */
  forwardBehaviour?: (inner: Element, forward: Element) => ForwardBehaviour;
  connectTimeoutMs?: number;
  log?: (line: string) => void;
  /** The timers of what it does on its own (default: Node's; a WireQuiescence when the runner asks). */
  clock?: MockClock;
  /** Sees its TCP socket once connected, before anything goes through it (mocks/quiescence.ts). */
  onSocket?: (socket: Socket) => void;
}

export interface RunningMockComponent {
  /** Namespaces its server currently delegates to it (from the last trusted advertisement). */
  readonly delegated: ReadonlySet<string>;
  /** Client-mode grants: user bare JID → namespaces (from the last advertisement for that user). */
  readonly clientGrants: ReadonlyMap<string, ReadonlySet<string>>;
  stop(): Promise<void>;
}

type StanzaError = { condition: string; type: "cancel" | "auth" | "modify" | "wait" };

/**
 * The reference managing entity (catalogue sections G and H): a XEP-0114
 * component on @xmpp/component's component() serving a small PEP through
 * XEP-0355 forwards, in admin mode (what its server advertises) and in client
 * mode (what each user grants, client-mode.ts). Its reconnect is off (a managing
 * entity under test that comes back by itself would hide a server's failure),
 * and IQ requests never reach its iq-callee: every answer, and every silence,
 * is this mock's decision (faults, `never`, `delay`), never a default reply.
 */
export class MockComponent implements RunningMockComponent {
  private readonly faults: FaultSwitches<ComponentFault>;
  private readonly managed: string[];
  private readonly pep: PepStore;
  private advertised = new Set<string>();
  /** Fault ME-SEC-03 only: whoever sent the first advertisement, taken for the server. */
  private firstAdvertiser: string | undefined;
  private readonly pending = new Map<string, (answer: Element | undefined) => void>();
  private readonly client: ClientMode | undefined;
  /** Its XEP-0356 side (privilege.ts): what its server grants, the PEP notifications, XEP-0376 subscriptions. */
  private readonly privilege: PrivilegedEntity;
  private readonly timers = new Set<MockTimer>();
  private readonly clock: MockClock;
  private connection: XmppComponent | undefined;
  private outgoing: string[] = [];
  private stopped = false;

  constructor(private readonly options: MockComponentOptions) {
    this.faults = faultSwitches(options.faults);
    this.clock = options.clock ?? realClock;
    this.managed = options.delegatedNamespaces ?? [NS.pubsub];
    this.pep = new PepStore(options.serverDomain.toLowerCase());
    this.privilege = new PrivilegedEntity({
      jid: options.jid,
      serverDomain: options.serverDomain,
      version: options.version,
      has: (fault) => this.has(fault),
      send: (stanza) => this.send(stanza),
      later: (ms, action) => this.later(ms, action),
      log: (line) => this.log(line),
    });
    if (options.clientMode ?? true) {
      this.client = new ClientMode({
        jid: options.jid,
        serverDomain: options.serverDomain,
        ns: delegationNamespace(options.version),
        namespaces: this.managed,
        has: (fault) => this.has(fault),
        send: (stanza) => this.send(stanza),
        later: (ms, action) => this.later(ms, action),
        log: (line) => this.log(line),
      });
    }
  }

  get delegated(): ReadonlySet<string> {
    return this.advertised;
  }

  get clientGrants(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.client?.granted ?? new Map();
  }

  private get ns(): string {
    return delegationNamespace(this.options.version);
  }

  private has(fault: ComponentFault): boolean {
    return this.faults.has(fault);
  }

  private log(line: string): void {
    this.options.log?.(`[mock-component ${this.options.jid}] ${line}`);
  }

  async start(): Promise<void> {
    const service = `xmpp://${this.options.host}:${this.options.port}`;
    const timeout = this.options.connectTimeoutMs ?? 5000;
    const connection = xmppComponent({ service, domain: this.options.jid, password: this.options.secret });
    connection.reconnect.stop();
    connection.timeout = timeout;
    guardParser(connection);
    this.connection = connection;
    connection.on("error", (err: Error) => this.log(`connection error: ${err.message}`));
    connection.on("connect", () => {
      if (!connection.socket) return;
      this.options.onSocket?.(connection.socket);
      // Answers go out as separate small writes: with Nagle each would wait out the server's delayed ACK.
      connection.socket.setNoDelay(true);
    });
    // IQ requests bypass the middleware, so its iq-callee never answers one by itself; the rest
    // (messages, presences, answers to our own queries) goes through it, ending here.
    const [middleware] = connection.listeners("element") as ((el: Element) => void)[];
    connection.removeAllListeners("element");
    connection.on("element", (received: Element) => {
      if (received.name === "handshake") return;
      const type = received.attrs.type;
      if (received.name === "iq" && (type === "get" || type === "set")) this.handle(received);
      else middleware?.(received);
    });
    connection.middleware.use((ctx) => this.handle(ctx.stanza));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        connection.start(),
        new Promise((_, reject) => {
          // Off the mock's clock: a bound on its start, not something it does on its own (clock-exempt).
          timer = setTimeout(() => reject(new Error(`mock component handshake timed out after ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Elements come from xmpp.js's own copy of ltx: used as they are (the helpers check shapes, not classes). */
  private handle(received: Element): void {
    try {
      this.onElement(received);
    } catch (err) {
      this.log(`internal error on <${received.name}>: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    for (const timer of this.timers) timer.cancel();
    for (const done of this.pending.values()) done(undefined);
    const connection = this.connection;
    if (!connection) return;
    if (connection.status !== "offline" && connection.status !== "disconnect") {
      // A bound on its stop (clock-exempt).
      await Promise.race([connection.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    }
    connection.socket?.destroy();
    connection.removeAllListeners();
    connection.on("error", () => undefined);
  }

  // --- outbound ---------------------------------------------------------------

  /** Everything sent while handling one read leaves in one write (one TCP segment, not one per answer). */
  private send(stanza: Element): void {
    if (!this.connection || this.stopped) return;
    stanza.attrs.from ??= this.options.jid;
    if (this.outgoing.length === 0) queueMicrotask(this.flushOutgoing);
    this.outgoing.push(toXml(stanza));
  }

  private readonly flushOutgoing = (): void => this.flush();

  private flush(): void {
    const text = this.outgoing.length === 1 ? this.outgoing[0] : this.outgoing.join("");
    this.outgoing = [];
    const connection = this.connection;
    if (!text || !connection || connection.status === "offline") return;
    void connection.write(text).catch((err: Error) => this.log(`write failed: ${err.message}`));
  }

  private later(ms: number, action: () => void): MockTimer {
    const timer = this.clock.after(ms, () => {
      this.timers.delete(timer);
      action();
    });
    this.timers.add(timer);
    return timer;
  }

  /** An IQ to the server (or a user's bare JID through it), resolved with its answer or undefined after 1 s. */
  private query(to: string, payload: Element): Promise<Element | undefined> {
    const id = `q-${randomUUID()}`;
    const iq = new Element("iq", { type: "get", id, to, from: this.options.jid });
    iq.cnode(payload);
    return new Promise((resolve) => {
      const timer = this.later(1000, () => done(undefined));
      const done = (answer: Element | undefined) => {
        timer.cancel();
        this.timers.delete(timer);
        this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, done);
      this.send(iq);
    });
  }

  // --- inbound ----------------------------------------------------------------

  private onElement(el: Element): void {
    if (el.name === "message") return this.onMessage(el);
    if (el.name === "presence") {
      // #client_delegation: a user's subscription is the client-mode trigger (client-mode.ts).
      if (this.client && sameJid(el.attrs.to, this.options.jid)) this.client.onPresence(el);
      return;
    }
    if (el.name !== "iq") return;
    const type = el.attrs.type;
    if (type === "result" || type === "error") {
      if (this.client?.onAnswer(el)) return;
      if (this.privilege.onAnswer(el)) return;
      this.pending.get(String(el.attrs.id))?.(el);
      return;
    }
    if (type !== "get" && type !== "set") return;
    const payload = firstChildElement(el);
    const namespace = payload ? namespaceOf(payload) : undefined;
    if (payload?.name === "delegation" && namespace === this.ns) return void this.onForward(el, payload);
    if (this.privilege.isRosterPush(el)) return this.send(iqResult(el));
    switch (namespace) {
      case NS.discoInfo:
        return this.send(this.discoInfo(el, payload!));
      case NS.discoItems: {
        const result = iqResult(el);
        result.c("query", { xmlns: NS.discoItems, node: payload!.attrs.node });
        return this.send(result);
      }
      case NS.version:
        return this.send(this.version(el));
      case NS.ping:
        return this.send(iqResult(el));
      default:
        return this.send(iqError(el, "service-unavailable"));
    }
  }

  /**
   * #admin_perm: the server tells which namespaces are delegated; each advertisement replaces the
   * previous one. With a 'to' (#client_delegation), it is a user's client-mode grant instead.
   */
  private onMessage(message: Element): void {
    if (this.privilege.onMessage(message)) return;
    const delegation = message.getChild("delegation", this.ns);
    if (!delegation) return;
    if (!this.trustedAdvertiser(message.attrs.from)) {
      this.log(`ignored a delegation advertisement from ${message.attrs.from ?? "(no from)"}`);
      return;
    }
    if (delegation.attrs.to !== undefined) {
      if (this.client) this.client.onAdvertisement(delegation);
      else this.log(`ignored a client-mode advertisement for ${delegation.attrs.to} (client mode off)`);
      return;
    }
    this.advertised = new Set(
      delegation
        .getChildren("delegated")
        .map((d) => d.attrs.namespace)
        .filter((n): n is string => typeof n === "string"),
    );
    this.log(`delegated: ${[...this.advertised].join(", ") || "(none)"}`);
  }

  /** ME-SEC-01: only the server may forward. */
  private trustedForwarder(from: string | undefined): boolean {
    return this.has("ME-SEC-01") || sameJid(from, this.options.serverDomain);
  }

  /**
   * ME-SEC-03: only the server's own advertisement counts, whatever arrived before it; the
   * server's JID is configuration, never learnt from the stream.
   */
  private trustedAdvertiser(from: string | undefined): boolean {
    if (this.has("ME-SEC-03")) {
      this.firstAdvertiser ??= from ?? "";
      return sameJid(from, this.firstAdvertiser);
    }
    return sameJid(from, this.options.serverDomain);
  }

  // --- disco (#disco_nesting) ----------------------------------------------------

  private discoInfo(iq: Element, query: Element): Element {
    const node = query.attrs.node as string | undefined;
    const result = iqResult(iq);
    if (node === undefined) {
      const info = result.c("query", { xmlns: NS.discoInfo });
      info.c("identity", { category: "pubsub", type: "pep", name: MOCK_COMPONENT_SOFTWARE });
      const features: string[] = [NS.discoInfo, NS.discoItems, NS.version, NS.ping];
      if (!this.has("ME-DSC-01")) features.push(this.ns);
      for (const namespace of this.managed) features.push(...PEP_FEATURES(namespace));
      for (const f of new Set(features)) info.c("feature", { var: f });
      return result;
    }
    for (const namespace of this.managed) {
      if (node === nestingNode(this.options.version, namespace)) {
        if (this.has("ME-DSC-02")) break;
        const info = result.c("query", { xmlns: NS.discoInfo, node });
        for (const f of PEP_FEATURES(namespace)) info.c("feature", { var: f });
        return result;
      }
      if (node === bareNestingNode(this.options.version, namespace)) {
        if (this.has("ME-DSC-03")) break;
        const info = result.c("query", { xmlns: NS.discoInfo, node });
        info.c("identity", { category: "pubsub", type: "pep" });
        for (const f of PEP_FEATURES(namespace)) info.c("feature", { var: f });
        return result;
      }
    }
    return iqError(iq, "item-not-found");
  }

  private version(iq: Element): Element {
    const result = iqResult(iq);
    const query = result.c("query", { xmlns: NS.version });
    query.c("name").t(MOCK_COMPONENT_SOFTWARE);
    query.c("version").t("0.5");
    return result;
  }

  // --- forwards (#stanza_forward) ------------------------------------------------

  /** Synchronous unless serving needs a query of its own (a fault) or a privileged answer: no promise per forward. */
  private onForward(outer: Element, delegation: Element): void | Promise<void> {
    // ME-SEC-01: a forward from anyone but the server is refused, before anything in it is looked at.
    if (!this.trustedForwarder(outer.attrs.from)) {
      this.log(`refused a forward from ${outer.attrs.from ?? "(no from)"}`);
      return this.send(iqError(outer, "forbidden", "auth"));
    }
    const inner = this.innerIq(outer, delegation);
    if (typeof inner === "string") {
      this.log(`malformed forward ${outer.attrs.id}: ${inner}`);
      // ME-ROB-02: an error answer, and the stream goes on.
      if (this.has("ME-ROB-02")) return this.send(iqResult(outer));
      return this.send(iqError(outer, "bad-request", "modify"));
    }
    const behaviour = this.behaviourFor(inner, outer);
    if (behaviour.kind === "disconnect") {
      this.log(`closing the stream instead of answering ${outer.attrs.id}`);
      return this.stop();
    }
    if (behaviour.kind === "never") return;

    const payload = childElements(inner).find((c) => namespaceOf(c) !== BEHAVIOUR_NS);
    const namespace = payload ? namespaceOf(payload) ?? "" : "";
    const refusal = this.refusal(namespace, inner);
    if (refusal) {
      this.log(`refused a forward: ${refusal}`);
      return this.send(iqError(outer, "not-allowed"));
    }
    // ME-REP-03: the request is the user's (inner from), never the server's.
    const requester = bareJid(String(this.has("ME-REP-03") ? outer.attrs.from : inner.attrs.from));
    const to = inner.attrs.to as string | undefined;
    const owner = to && parseJid(to).local ? bareJid(to) : requester;
    const answer = payload ? this.serve(inner, payload, namespace, requester, owner) : { error: { condition: "bad-request", type: "modify" as const } };
    if (answer instanceof Promise) return answer.then((served) => this.answerForward(outer, inner, served, owner, behaviour));
    this.answerForward(outer, inner, answer, owner, behaviour);
  }

  private answerForward(outer: Element, inner: Element, answer: PepAnswer, owner: string, behaviour: ForwardBehaviour): void {
    const reply = this.wrap(outer, inner, answer);
    if (behaviour.kind === "delay") this.later(behaviour.ms, () => this.deliver(reply, outer, inner, answer, owner, behaviour));
    else this.deliver(reply, outer, inner, answer, owner, behaviour);
  }

  private deliver(reply: Element, outer: Element, inner: Element, answer: PepAnswer, owner: string, behaviour: ForwardBehaviour): void {
    this.send(reply);
    this.privilege.served(inner, answer, owner);
    if (behaviour.kind === "twice") this.send(this.wrap(outer, inner, answer));
  }

  /**
   * Why a forward in `namespace` is not ours to serve, or undefined. Admin mode (#admin_perm):
   * what the server delegated, for everyone. Client mode (ME-CLI-02, #client_forward): what the
   * user the forward is about granted. Anything else (ME-ROB-01): an error answer.
   */
  private refusal(namespace: string, inner: Element): string | undefined {
    if (!this.managed.includes(namespace) && !this.privilege.serves(namespace)) return this.has("ME-ROB-01") ? undefined : `'${namespace}' is not a namespace it implements`;
    if (this.advertised.has(namespace)) return undefined;
    if (this.client) {
      const user = managedEntity(inner, this.options.serverDomain, this.options.jid);
      if (this.client.allows(user, namespace)) return undefined;
      // ME-CLI-02: a namespace it manages in client mode, not granted by this user (or revoked).
      if (this.client.governs(namespace)) return `'${namespace}' is not granted by ${user ?? "any user this forward is about"} (client mode)`;
    }
    return this.has("ME-ROB-01") ? undefined : `'${namespace}' was not delegated`;
  }

  /** The one inner IQ of a well-formed forward, or why the forward is malformed. */
  private innerIq(outer: Element, delegation: Element): Element | string {
    if (outer.attrs.type !== "set") return `outer type '${outer.attrs.type}'`;
    const forwarded = delegation.getChildren("forwarded", NS.forward);
    if (forwarded.length !== 1) return forwarded.length ? "several <forwarded/>" : "no <forwarded/>";
    const iqs = childElements(forwarded[0]).filter((c) => c.name === "iq");
    if (iqs.length !== 1) return iqs.length ? `${iqs.length} inner IQs` : "no inner IQ";
    const inner = iqs[0];
    const ns = namespaceOf(inner);
    if (this.has("ME-ROB-03")) {
      // The fault: only the one shape it was written for.
      if (childElements(forwarded[0]).length !== 1) return "something besides the inner IQ in <forwarded/>";
      if (ns !== NS.client) return `inner IQ in namespace '${ns}'`;
    }
    // ME-ROB-03: XEP-0297 allows a <delay/> next to the stanza (ignored here), and the spec's
    // §7.2.4/§7.2.5 examples leave the inner IQ unqualified, i.e. in urn:xmpp:forward:0.
    if (ns !== undefined && ns !== NS.client && ns !== NS.forward) return `inner IQ in namespace '${ns}'`;
    if (!inner.attrs.from) return "inner IQ without 'from'";
    if (!inner.attrs.id) return "inner IQ without 'id'";
    if (inner.attrs.type !== "get" && inner.attrs.type !== "set") return `inner IQ of type '${inner.attrs.type}'`;
    return inner;
  }

  private behaviourFor(inner: Element, outer: Element): ForwardBehaviour {
    const marker = inner.getChild("behaviour", BEHAVIOUR_NS);
    if (marker) {
      const kind = String(marker.attrs.kind);
      if (kind === "delay") return { kind, ms: Number(marker.attrs.ms ?? 1000) };
      if (kind === "twice" || kind === "never" || kind === "disconnect" || kind === "normal") return { kind };
    }
    return this.options.forwardBehaviour?.(inner, outer) ?? { kind: "normal" };
  }

  private serve(inner: Element, payload: Element, namespace: string, requester: string, owner: string): PepAnswer | Promise<PepAnswer> {
    if (this.privilege.serves(namespace)) return this.privilege.serve(inner, payload, requester, owner);
    if (namespace === NS.pubsub) {
      const answer = this.pep.handle(inner, requester, owner);
      if ("error" in answer && answer.error.condition === "item-not-found" && this.has("ME-SEC-02") && owner !== requester) {
        // The fault: tells apart a missing account from a missing node.
        return this.query(owner, new Element("query", { xmlns: NS.discoInfo })).then((info) =>
          !info || info.attrs.type === "error" ? { error: { condition: "service-unavailable", type: "cancel" } } : answer,
        );
      }
      return answer;
    }
    if (namespace === NS.version && inner.attrs.type === "get") {
      return { payload: this.version(inner).getChild("query", NS.version)! };
    }
    void payload;
    return { error: { condition: "feature-not-implemented", type: "cancel" } };
  }

  /** ME-REP-01/02: `<iq type='result' to=server id=outer><delegation><forwarded><iq xmlns='jabber:client' id=original to=sender>`. */
  private wrap(outer: Element, inner: Element, answer: PepAnswer): Element {
    const error: StanzaError | undefined = "error" in answer ? answer.error : undefined;
    const reply = new Element("iq", {
      xmlns: NS.client,
      type: error ? "error" : "result",
      id: inner.attrs.id,
      to: inner.attrs.from,
    });
    // ME-REP-04 (ambiguous): from = the original 'to' (keeps-from), none as in the spec's examples (no-from), or its own JID (other-from).
    const fromReading = this.options.readings?.["ME-REP-04"] ?? "keeps-from";
    if (fromReading === "other-from") reply.attrs.from = this.options.jid;
    else if (inner.attrs.to && fromReading === "keeps-from") reply.attrs.from = inner.attrs.to;
    if (this.has("ME-REP-02")) {
      reply.attrs.to = bareJid(String(inner.attrs.from));
      reply.attrs.id = `${inner.attrs.id}-reply`;
    }
    if (error) reply.c("error", { type: error.type }).c(error.condition, { xmlns: NS.stanzaErrors });
    else if ("payload" in answer && answer.payload) reply.cnode(answer.payload);
    const result = iqResult(outer);
    const forwarded = this.has("ME-REP-01")
      ? result.c("forwarded", { xmlns: NS.forward })
      : result.c("delegation", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward });
    forwarded.cnode(reply);
    return result;
  }
}

/**
 * xmpp.js's parser throws from inside its socket handler on some bad input (e.g. an unclosed
 * `<stream:error>` followed by `</stream:stream>`): an uncaught exception. The reference component
 * answers bad input as RFC 6120 §4.9.3.1 says instead: xmpp.js's own parser-error path sends
 * `<bad-format/>` and closes.
 */
function guardParser(connection: XmppComponent): void {
  const target = connection as unknown as { Parser: new () => { write(data: string): void; emit(event: string, error: unknown): boolean; listenerCount(event: string): number } };
  const Original = target.Parser;
  target.Parser = class GuardedParser extends Original {
    write(data: string): void {
      try {
        super.write(data);
      } catch (err) {
        // Once xmpp.js has detached from a parser (the stream is ending), nobody listens: drop the rest.
        if (this.listenerCount("error") > 0) this.emit("error", err);
      }
    }
  };
}
