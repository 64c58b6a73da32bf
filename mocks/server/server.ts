import { createServer, type Server, type AddressInfo, type Socket } from "node:net";
import { Element, firstChildElement, namespaceOf } from "../../src/xml/element.js";
import { bareJid, isFullJid, parseJid, sameJid } from "../jids.js";
import { NS } from "../../src/protocol/namespaces.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";
import { ClientSession } from "./c2s.js";
import { ComponentSession } from "./component-accept.js";
import { DelegationService } from "./delegation.js";
import { ClientModeService } from "./client-mode.js";
import { ImService } from "./im.js";
import { PrivilegeService } from "./privilege.js";
import type { ServerFault } from "./faults.js";
import { faultSwitches, type FaultSwitches } from "../fault-switches.js";
import type { MockServerOptions } from "./options.js";
import { INTERNAL_FEATURES, PepStore, mamQuery, versionAnswer } from "./services.js";

export const MOCK_SERVER_SOFTWARE = "xep0355-mock-server";

/** The embedded reference delegating server: c2s, XEP-0114 accept, routing, disco, PEP, and XEP-0355 admin mode. */
export class MockServer {
  private readonly clients = new Map<string, ClientSession>();
  private readonly components = new Map<string, ComponentSession>();
  private readonly heldIqs = new Map<string, Element[]>();
  private readonly pep = new PepStore();
  readonly delegation: DelegationService;
  /** XEP-0355 client mode (section F), next to admin mode: mocks/server/client-mode.ts. */
  readonly clientMode: ClientModeService;
  /** RFC 6121 rosters and presence (mocks/server/im.ts), and XEP-0356 on top of them (mocks/server/privilege.ts). */
  readonly im: ImService;
  readonly privilege: PrivilegeService;
  private c2sListener?: Server;
  private componentListener?: Server;
  private readonly faults: FaultSwitches<ServerFault>;

  constructor(readonly options: MockServerOptions) {
    this.faults = faultSwitches(options.faults);
    this.delegation = new DelegationService({
      options,
      has: (fault) => this.faults.has(fault),
      isComponentOnline: (jid) => this.components.get(jid.toLowerCase())?.ready ?? false,
      sendToComponent: (jid, stanza) => this.components.get(jid.toLowerCase())?.send(stanza),
      dropComponent: (jid, condition) => {
        const session = this.components.get(jid.toLowerCase());
        if (condition) session?.fail(condition);
        else session?.drop();
      },
      route: (stanza) => this.route(stanza),
      ownItems: (bare) => this.ownItems(bare, true),
      log: (line) => this.log(line),
    });
    this.clientMode = new ClientModeService({
      options,
      has: (fault) => this.faults.has(fault),
      delegation: this.delegation,
      isComponentOnline: (jid) => this.components.get(jid.toLowerCase())?.ready ?? false,
      route: (stanza) => this.route(stanza),
      sessionsOf: (bare) => [...this.clients.values()].filter((s) => s.ready && s.bareJid === bareJid(bare)).map((s) => s.fullJid),
      log: (line) => this.log(line),
    });
    this.im = new ImService({
      domain: options.domain,
      isAccount: (local) => Object.hasOwn(options.accounts, local),
      route: (stanza) => this.route(stanza),
      deliver: (full, stanza) => {
        const session = this.clients.get(full);
        if (session?.ready) session.send(stanza);
      },
      rosterChanged: (owner, item, removed) => this.privilege.rosterChanged(owner, item, removed),
      presence: (event) => this.privilege.presence(event),
    });
    this.privilege = new PrivilegeService({
      options,
      has: (fault) => this.faults.has(fault),
      isComponentOnline: (jid) => this.components.get(jid.toLowerCase())?.ready ?? false,
      sendToComponent: (jid, stanza) => this.components.get(jid.toLowerCase())?.send(stanza),
      route: (stanza) => this.route(stanza),
      im: this.im,
      executeAs: (iq, sender, privileged, loopBack) => this.executeAs(iq, sender, privileged, loopBack),
      log: (line) => this.log(line),
    });
  }

  get c2sPort(): number {
    return (this.c2sListener?.address() as AddressInfo).port;
  }

  get componentPort(): number {
    return (this.componentListener?.address() as AddressInfo).port;
  }

  get domain(): string {
    return this.options.domain;
  }

  async start(): Promise<void> {
    this.c2sListener = await listen(this.options.host, this.options.c2sPort, (socket) => {
      new ClientSession(socket, {
        domain: this.domain,
        checkPassword: (user, password) => Object.hasOwn(this.options.accounts, user.toLowerCase()) && this.options.accounts[user.toLowerCase()] === password,
        bind: (session) => {
          if (this.clients.has(session.fullJid)) return false;
          this.clients.set(session.fullJid, session);
          return true;
        },
        onStanza: (session, stanza) => this.fromClient(session, stanza),
        onClose: (session) => {
          if (this.clients.get(session.fullJid) === session) {
            this.clients.delete(session.fullJid);
            this.im.sessionEnded(session.fullJid);
          }
          this.clientMode.sessionEnded(session.fullJid); // #rules 2
        },
      });
    }, this.options.onSocket);
    this.componentListener = await listen(this.options.host, this.options.componentPort, (socket) => {
      new ComponentSession(socket, {
        secretFor: (jid) => (Object.hasOwn(this.options.components, jid) ? this.options.components[jid] : undefined),
        claim: (session) => {
          if (this.components.get(session.jid)?.ready) return false;
          this.components.set(session.jid, session);
          return true;
        },
        online: (session) => {
          void this.delegation.componentOnline(session.jid);
          this.privilege.componentOnline(session.jid);
          this.clientMode.componentOnline(session.jid);
        },
        onStanza: (session, stanza) => this.fromComponent(session, stanza),
        onClose: (session) => {
          if (this.components.get(session.jid) !== session) return;
          this.components.delete(session.jid);
          this.delegation.componentOffline(session.jid);
        },
      });
    }, this.options.onSocket);
  }

  async stop(): Promise<void> {
    this.delegation.stop();
    this.clientMode.stop();
    this.privilege.stop();
    for (const session of this.clients.values()) session.close();
    for (const session of this.components.values()) session.drop();
    await Promise.all([close(this.c2sListener), close(this.componentListener)]);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  // --- inbound --------------------------------------------------------------

  private fromClient(session: ClientSession, stanza: Element): void {
    if (this.clientMode.fromClient(session.fullJid, stanza)) return; // client mode: form answers, XEP-0050 probes
    if (stanza.name !== "iq") {
      this.delegation.forwardNonIq(stanza, session.fullJid); // SRV-ADV-06 fault only
      if (stanza.name === "presence") return this.im.fromClient(session.fullJid, stanza); // RFC 6121 §3, §4
      return this.route(stanza);
    }
    const sender = session.fullJid;
    // SRV-ORD-01 fault: the sender's traffic waits behind its pending forward.
    if (this.faults.has("SRV-ORD-01") && this.delegation.hasPendingFrom(sender)) {
      const held = this.heldIqs.get(sender) ?? [];
      held.push(stanza);
      this.heldIqs.set(sender, held);
      return;
    }
    this.handleIq(stanza, sender, false);
  }

  private fromComponent(session: ComponentSession, stanza: Element): void {
    const from = stanza.attrs.from ?? session.jid;
    // XEP-0114: a component may only send from its own domain.
    if (parseJid(from).domain !== session.jid) return;
    stanza.attrs.from = from;
    if (stanza.name === "iq" && (stanza.attrs.type === "result" || stanza.attrs.type === "error")) {
      if (this.isForServer(stanza.attrs.to) && this.delegation.handleNestingAnswer(stanza)) return;
    }
    // XEP-0356 privileged messages and IQs; IQ results and errors (the managing entity's replies) are never one.
    if ((stanza.name !== "iq" || stanza.attrs.type === "get" || stanza.attrs.type === "set") && this.privilege.fromComponent(session.jid, stanza)) return;
    if (stanza.name !== "iq") return this.route(stanza);
    this.handleIq(stanza, from, true);
  }

  private handleIq(iq: Element, sender: string, senderIsComponent: boolean): void {
    const type = iq.attrs.type;
    if (type === "result" || type === "error") {
      if (this.delegation.handleReply(iq, sender)) return this.releaseHeld();
      const misdirected = this.delegation.delegateFor(iq, sender, senderIsComponent);
      if (misdirected) return this.delegation.forward(iq, sender, misdirected); // SRV-FWD-10 fault only
      if (this.isForServer(iq.attrs.to)) return; // answers to nothing we asked: dropped
      return this.route(iq);
    }
    // SRV-REP-12 fault: anything wrapped like a reply is unwrapped and delivered, whoever sent it.
    if (this.faults.has("SRV-REP-12") && !senderIsComponent) {
      const inner = iq.getChild("delegation", this.delegation.ns)?.getChild("forwarded", NS.forward)?.getChild("iq");
      if (inner) return this.route(inner);
    }
    if (this.clientMode.handleIq(iq, sender, senderIsComponent)) return; // client mode (#client_usecases, #configuration)
    const managing = this.delegation.delegateFor(iq, sender, senderIsComponent);
    if (managing) return this.delegation.forward(iq, sender, managing);
    this.handleNormally(iq, sender);
  }

  /** What the server does with an IQ it does not forward (RFC 6120 §10). */
  private handleNormally(iq: Element, sender: string): void {
    const to = iq.attrs.to;
    if (to && isFullJid(to)) return this.route(iq);
    if (to && !this.isHosted(parseJid(to).domain)) {
      if (this.components.has(parseJid(to).domain) || Object.hasOwn(this.options.components, parseJid(to).domain)) return this.route(iq);
      return this.route(iqError(iq, "remote-server-not-found"));
    }
    const owner = to && parseJid(to).local ? bareJid(to) : sender.includes("@") ? bareJid(sender) : this.domain;
    const payload = firstChildElement(iq);
    const namespace = payload ? namespaceOf(payload) : undefined;
    const answer = (reply: Element) => {
      if (!to) delete reply.attrs.from;
      this.route(reply);
    };
    switch (namespace) {
      case NS.ping:
        return answer(iqResult(iq));
      case NS.version:
        if (to && parseJid(to).local) return answer(iqError(iq, "service-unavailable"));
        return answer(versionAnswer(iq, MOCK_SERVER_SOFTWARE, "0.5"));
      case NS.discoInfo:
        return void this.discoInfo(iq, to && parseJid(to).local ? owner : undefined).then(answer);
      case NS.discoItems:
        return answer(this.discoItems(iq, to && parseJid(to).local ? owner : undefined));
      case NS.pubsub:
        return answer(this.pep.handle(iq, sender.includes("@") ? bareJid(sender) : sender, owner));
      case NS.mam:
        return answer(mamQuery(iq));
      case NS.roster:
        return answer(this.privilege.roster(iq, sender, owner)); // RFC 6121 §2; XEP-0356 #priv_manage_roster
      default:
        return answer(iqError(iq, "service-unavailable"));
    }
  }

  /** XEP-0356 #sending_iq: a privileged IQ handled as its user sent it, never forwarded back to the entity that sent it (PRV-IQ-09). */
  private executeAs(iq: Element, sender: string, privileged: string, loopBack: boolean): void {
    const managing = this.delegation.delegateFor(iq, sender, false);
    if (managing && (loopBack || !sameJid(parseJid(managing).domain, parseJid(privileged).domain))) return this.delegation.forward(iq, sender, managing);
    this.handleNormally(iq, sender);
  }

  // --- disco (#disco) ---------------------------------------------------------------

  private async discoInfo(iq: Element, bare: string | undefined): Promise<Element> {
    const node = iq.getChild("query")?.attrs.node;
    if (node !== undefined) {
      if (bare && this.pep.nodesOf(bare).includes(node)) {
        const result = iqResult(iq);
        result.c("query", { xmlns: NS.discoInfo, node }).c("identity", { category: "pubsub", type: "leaf" });
        return result;
      }
      return iqError(iq, "item-not-found");
    }
    const result = iqResult(iq);
    const query = result.c("query", { xmlns: NS.discoInfo });
    if (bare) query.c("identity", { category: "account", type: "registered" });
    else query.c("identity", { category: "server", type: "im", name: MOCK_SERVER_SOFTWARE });
    const features = new Set<string>([NS.discoInfo, NS.discoItems]);
    if (!bare) {
      for (const f of [NS.ping, NS.version]) features.add(f);
      // SRV-DSC-01 (#disco_announce)
      if (!this.faults.has("SRV-DSC-01")) features.add(this.delegation.ns);
    }
    const active = new Set(this.delegation.activeNamespaces());
    // SRV-DSC-12: a filtered delegation shows the ME's features for the whole namespace too; the fault shows the server's own.
    const ownInstead = (namespace: string) =>
      this.faults.has("SRV-DSC-12") && Boolean(this.delegation.effectiveDelegations()[namespace]?.attributes?.length);
    for (const [namespace, internal] of Object.entries(INTERNAL_FEATURES)) {
      // SRV-DSC-03: the internal implementation's features give way to the ME's.
      if (active.has(namespace) && !this.faults.has("SRV-DSC-03") && !ownInstead(namespace)) continue;
      for (const f of internal) features.add(f);
    }
    const nested = await this.delegation.nestedInfo(bare !== undefined);
    const nestedFeatures = bare ? !this.faults.has("SRV-DSC-05") : !this.faults.has("SRV-DSC-02");
    for (const { namespace, info } of nested) {
      if (nestedFeatures && !ownInstead(namespace)) for (const f of info.features) features.add(f);
      if (bare && nestedFeatures && !ownInstead(namespace)) for (const identity of info.identities) query.cnode(identity);
      // SRV-DSC-06: XEP-0128 extensions of the ME are included.
      if (!this.faults.has("SRV-DSC-06")) for (const form of info.forms) query.cnode(form);
    }
    for (const f of features) query.c("feature", { var: f });
    return result;
  }

  private discoItems(iq: Element, bare: string | undefined): Element {
    const node = iq.getChild("query")?.attrs.node;
    if (!bare) {
      const result = iqResult(iq);
      const query = result.c("query", { xmlns: NS.discoItems });
      for (const jid of Object.keys(this.options.components)) query.c("item", { jid });
      return result;
    }
    if (node !== undefined) return iqError(iq, "item-not-found");
    const result = iqResult(iq);
    const query = result.c("query", { xmlns: NS.discoItems });
    for (const item of this.ownItems(bare, false)) query.cnode(item);
    return result;
  }

  /** The server's own items for a bare JID (its PEP nodes); `always` adds one so a mixing fault shows. */
  private ownItems(bare: string, always: boolean): Element[] {
    const items = this.pep.nodesOf(bare).map((node) => new Element("item", { jid: bare, node }));
    if (always && items.length === 0) items.push(new Element("item", { jid: bare, node: "mock-server-own-node" }));
    return items;
  }

  // --- routing ---------------------------------------------------------------------

  /** The delegating domain, and the second hosted domain where delegation is not activated (SRV-FWD-11). */
  private isHosted(domain: string): boolean {
    return sameJid(domain, this.domain) || sameJid(domain, this.options.undelegatedDomain);
  }

  private isForServer(to: string | undefined): boolean {
    return !to || sameJid(to, this.domain);
  }

  /** Delivers to a full JID, a bare JID's sessions, or a component; RFC 6120 §10.5 errors otherwise. */
  private route(stanza: Element): void {
    const to = stanza.attrs.to;
    if (!to) return;
    delete stanza.attrs.xmlns;
    const jid = parseJid(to);
    const component = this.components.get(jid.domain);
    if (component) return component.send(stanza);
    if (!this.isHosted(jid.domain)) {
      if (stanza.name === "iq" && (stanza.attrs.type === "get" || stanza.attrs.type === "set")) {
        this.route(iqError(stanza, "remote-server-not-found"));
      }
      return;
    }
    if (isFullJid(to)) {
      const session = this.clients.get(`${bareJid(to)}/${jid.resource}`);
      if (session?.ready) return session.send(stanza);
      if (stanza.name === "iq" && (stanza.attrs.type === "get" || stanza.attrs.type === "set")) {
        this.route(iqError(stanza, "service-unavailable"));
      }
      return;
    }
    if (stanza.name === "message") {
      for (const session of this.clients.values()) if (session.bareJid === bareJid(to) && session.ready) session.send(stanza);
    }
    if (stanza.name === "presence") return this.im.inbound(stanza); // RFC 6121 §3, §4.3
    if (stanza.name === "iq") this.privilege.handleResponse(stanza); // XEP-0356 #sending_iq: back to the privileged entity
  }

  private releaseHeld(): void {
    if (this.heldIqs.size === 0) return; // SRV-ORD-01 fault only
    for (const [sender, held] of [...this.heldIqs]) {
      if (this.delegation.hasPendingFrom(sender)) continue;
      this.heldIqs.delete(sender);
      for (const iq of held) this.handleIq(iq, sender, false);
    }
  }
}

function listen(host: string, port: number, onSocket: (socket: Socket) => void, watch?: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      watch?.(socket);
      onSocket(socket);
    });
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function close(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
