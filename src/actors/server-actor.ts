import { createHash, randomUUID } from "node:crypto";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { parseJid, sameJid } from "../protocol/jid.js";
import { NS, delegationNamespace } from "../protocol/namespaces.js";
import { iqError, iqResult, streamError } from "../protocol/stanzas.js";
import type { ComponentCredentials, Delegation, ProtocolVersion } from "../target/types.js";
import { Element, clone, serialize } from "../xml/element.js";
import type { Captures } from "../xml/matcher.js";
import { StreamParser } from "../xml/stream-parser.js";
import type { Actor } from "./actor.js";
import { Inbox } from "./inbox.js";
import type { Transcript } from "./transcript.js";

/** What the suite, playing the delegating server, tells and answers a component. */
export interface ServerRole {
  /** The domain the suite pretends to serve (the `from` of advertisements and forwards). */
  domain: string;
  /** The component expected to connect, and its XEP-0114 secret. */
  component: ComponentCredentials;
  version: ProtocolVersion;
  /** Advertised after the handshake (#admin_perm). */
  delegations: Delegation[];
  /** XEP-0356 permissions, sent as one `urn:xmpp:privilege:2` advertisement when given. */
  privileges?: { roster?: string; message?: string; presence?: string };
  /** Local parts of the accounts that exist on `domain` (the rest get RFC 6121 §8.5.1 errors). */
  accounts: string[];
}

export interface ServerActorOptions extends ServerRole {
  /** Where to listen (own listener only); port 0 = ephemeral. */
  host: string;
  port: number;
  connectTimeoutMs: number;
}

/** Something the link saw, replayed to whoever adopts it. */
type LinkEvent =
  | { kind: "bytes"; direction: "in" | "out"; data: string }
  | { kind: "stanza"; stanza: Element }
  | { kind: "auto"; stanza: Element; at: number }
  | { kind: "note"; text: string }
  | { kind: "closed"; reason: string };

/**
 * One accepted XEP-0114 connection, server side: stream header with an id,
 * SHA-1 handshake (#example-3), `<handshake/>`, then stanzas. The queries a
 * real server answers (disco#info and roster gets to the server or users'
 * bare JIDs) are answered here, from the first stanza on; everything else
 * (and every byte) is kept as events until an actor adopts the link.
 */
export class ComponentLink {
  readonly streamId = randomUUID();
  private readonly parser = new StreamParser();
  private state: "header" | "handshake" | "ready" | "closed" = "header";
  private buffer: LinkEvent[] = [];
  private sink: ((event: LinkEvent) => void) | undefined;
  private closeReason = "";
  /** Why the handshake failed, when it did. */
  failure: string | undefined;
  readonly autoAnswered: { at: number; stanza: Element }[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly role: () => ServerRole,
    private readonly events: { ready(link: ComponentLink): boolean; closed(link: ComponentLink): void },
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (data: string) => {
      this.emit({ kind: "bytes", direction: "in", data });
      this.parser.write(data);
    });
    socket.on("close", () => this.finish("the component closed the TCP connection"));
    socket.on("error", (err) => this.finish(`socket error: ${err.message}`));
    this.parser.on("streamStart", (attrs) => this.onStreamStart(attrs));
    this.parser.on("stanza", (stanza) => this.onStanza(stanza));
    this.parser.on("streamEnd", () => {
      this.write("</stream:stream>");
      this.socket.end();
      this.finish("the component closed its stream");
    });
    this.parser.on("error", (err) => this.fail("not-well-formed", err.message));
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  get open(): boolean {
    return this.state !== "closed";
  }

  /** Hands every past and future event to `sink` (one adopter at a time). */
  adopt(sink: (event: LinkEvent) => void): void {
    this.sink = sink;
    const past = this.buffer;
    this.buffer = [];
    for (const event of past) sink(event);
  }

  /** The adopter leaves: events are buffered again for the next one. */
  release(): void {
    this.sink = undefined;
  }

  write(text: string): void {
    if (this.state === "closed" || !this.socket.writable) throw new Error("the component's stream is closed");
    this.emit({ kind: "bytes", direction: "out", data: text });
    this.socket.write(text);
  }

  send(stanza: Element): void {
    this.write(serialize(stanza));
  }

  /** Closes the stream cleanly (`</stream:stream>`) and waits a little for the TCP close. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    try {
      this.write("</stream:stream>");
    } catch {
      // already unwritable
    }
    this.socket.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.finish("the suite closed the stream");
  }

  destroy(): void {
    this.socket.destroy();
    this.finish("the suite dropped the connection");
  }

  /** Closes with a stream error (RFC 6120 §4.9). */
  fail(condition: string, text?: string): void {
    if (this.state === "closed") return;
    this.failure ??= text ? `${condition}: ${text}` : condition;
    try {
      this.write(streamError(condition, text));
    } catch {
      // already unwritable
    }
    this.socket.end();
    this.finish(`stream error ${condition}${text ? ` (${text})` : ""}`);
  }

  private emit(event: LinkEvent): void {
    if (this.sink) this.sink(event);
    else this.buffer.push(event);
  }

  private finish(reason: string): void {
    if (this.state === "closed") return;
    const wasReady = this.state === "ready";
    this.state = "closed";
    this.closeReason = reason;
    if (!wasReady) this.failure ??= reason;
    this.emit({ kind: "closed", reason: this.closeReason });
    this.events.closed(this);
  }

  private onStreamStart(attrs: Record<string, string>): void {
    if (this.state !== "header") return this.fail("not-authorized", "stream restarted");
    const role = this.role();
    const to = attrs.to ?? "";
    this.write(
      `<?xml version='1.0'?><stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' id='${this.streamId}' from='${to.replace(/'/g, "&apos;")}'>`,
    );
    if (!sameJid(to, role.component.jid)) return this.fail("host-unknown", `expected the component ${role.component.jid}, got '${to}'`);
    this.state = "handshake";
  }

  private onStanza(stanza: Element): void {
    if (this.state === "handshake") return this.onHandshake(stanza);
    if (this.state !== "ready") return;
    const answer = autoAnswer(stanza, this.role());
    if (answer) {
      const at = Date.now();
      this.autoAnswered.push({ at, stanza });
      this.emit({ kind: "auto", stanza, at });
      try {
        this.send(answer);
      } catch {
        // closed meanwhile
      }
      return;
    }
    this.emit({ kind: "stanza", stanza });
  }

  private onHandshake(stanza: Element): void {
    const expected = createHash("sha1").update(this.streamId + this.role().component.secret).digest("hex");
    if (stanza.name !== "handshake" || stanza.getText().trim().toLowerCase() !== expected) {
      return this.fail("not-authorized", stanza.name === "handshake" ? "wrong handshake digest" : `<${stanza.name}/> before the handshake`);
    }
    if (!this.events.ready(this)) return this.fail("conflict", "the component is already connected");
    this.state = "ready";
    this.write("<handshake/>");
    this.emit({ kind: "note", text: "handshake verified" });
  }
}

/**
 * What a real server answers by itself for a component (never the scenario's
 * business): disco#info to the server or a local bare JID, roster gets to a
 * local bare JID (XEP-0356 privileged components send them; every other
 * account is a contact with subscription both). Non-existent
 * accounts get service-unavailable (RFC 6121 §8.5.1), so a component cannot
 * learn more than a real server would tell it.
 */
export function autoAnswer(stanza: Element, role: ServerRole): Element | undefined {
  if (stanza.name !== "iq" || stanza.attrs.type !== "get") return undefined;
  const to = stanza.attrs.to;
  if (!to) return undefined;
  const jid = parseJid(to);
  if (jid.resource !== undefined || jid.domain !== role.domain.toLowerCase()) return undefined;
  const disco = stanza.getChild("query", NS.discoInfo);
  const roster = stanza.getChild("query", NS.roster);
  if (!disco && !roster) return undefined;
  if (jid.local !== undefined && !role.accounts.map((a) => a.toLowerCase()).includes(jid.local)) {
    return iqError(stanza, "service-unavailable");
  }
  if (roster) {
    if (jid.local === undefined) return iqError(stanza, "service-unavailable");
    // The suite's users are each other's contacts (so a PEP "presence" access model lets romeo read juliet's nodes).
    const result = iqResult(stanza);
    const query = result.c("query", { xmlns: NS.roster });
    for (const account of role.accounts) {
      if (account.toLowerCase() !== jid.local) query.c("item", { jid: `${account.toLowerCase()}@${role.domain}`, subscription: "both" });
    }
    return result;
  }
  const node = disco!.attrs.node;
  if (node !== undefined) return iqError(stanza, "item-not-found");
  const result = iqResult(stanza);
  const query = result.c("query", { xmlns: NS.discoInfo });
  if (jid.local !== undefined) query.c("identity", { category: "account", type: "registered" });
  else {
    query.c("identity", { category: "server", type: "im", name: "xep0355-suite" });
    query.c("feature", { var: delegationNamespace(role.version) });
  }
  query.c("feature", { var: NS.discoInfo });
  return result;
}

/**
 * Listens for XEP-0114 connections of one component. Keeps the current ready
 * link; a second connection while one is ready is refused (conflict).
 */
export class ComponentListener {
  private server: Server | undefined;
  private current: ComponentLink | undefined;
  private readonly links = new Set<ComponentLink>();
  private lastFailure: string | undefined;
  private waiters = new Set<(link: ComponentLink) => void>();

  constructor(private role: ServerRole) {}

  /** Scenario-specific settings (e.g. the accounts the cast names); applies to the current link too. */
  setRole(role: ServerRole): void {
    this.role = role;
  }

  get serverRole(): ServerRole {
    return this.role;
  }

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    return this.port;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The ready link if there is one, else the next one to complete its handshake within `timeoutMs`. */
  waitForLink(timeoutMs: number): Promise<ComponentLink> {
    if (this.current?.ready) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(settle);
        const why = this.lastFailure ? `; last attempt: ${this.lastFailure}` : this.links.size ? "; a connection is open but has not completed the handshake" : "; no connection at all";
        reject(new Error(`the component did not connect and complete the XEP-0114 handshake within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      const settle = (link: ComponentLink) => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        resolve(link);
      };
      this.waiters.add(settle);
    });
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) link.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const link: ComponentLink = new ComponentLink(socket, () => this.role, {
      ready: (l) => {
        if (this.current?.ready && this.current !== l) return false;
        this.current = l;
        queueMicrotask(() => {
          for (const waiter of [...this.waiters]) waiter(l);
        });
        return true;
      },
      closed: (l) => {
        this.links.delete(l);
        if (l.failure) this.lastFailure = l.failure;
        if (this.current === l) this.current = undefined;
      },
    });
    this.links.add(link);
  }
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
    const link = await this.listener.waitForLink(this.connectTimeoutMs);
    if (this.link !== link) {
      this.link?.release();
      this.link = link;
      link.adopt((event) => this.onEvent(event));
    }
    for (const stanza of this.advertisements()) link.send(stanza);
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
    if (role.privileges && Object.keys(role.privileges).length) {
      const privilege = new Element("message", { from: role.domain, to: role.component.jid, id: `priv-${randomUUID()}` });
      const perms = privilege.c("privilege", { xmlns: NS.privilege });
      for (const [access, type] of Object.entries(role.privileges)) if (type) perms.c("perm", { access, type });
      out.push(privilege);
    }
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
    if (!link?.open) throw new Error(`${this.name} has no open stream with the component (missing '${this.name} connects'?)`);
    link.write(text);
  }

  expect(pattern: Element, timeoutMs: number, captures: Captures) {
    return this.inbox.expect(pattern, timeoutMs, captures);
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
