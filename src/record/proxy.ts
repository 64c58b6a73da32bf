import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Element } from "../xml/element.js";
import type { Direction, RecordedConnection, RecordedEvent, Recording } from "./recording.js";
import { SecretBag, isSecretElement, redactedXml } from "./redact.js";
import { DirectionTap } from "./stream-tap.js";

export interface ProxyRoute {
  listenHost: string;
  /** 0 picks a free port (see RecordingProxy.addresses). */
  listenPort: number;
  upstreamHost: string;
  upstreamPort: number;
}

export interface RecordingProxyOptions {
  routes: ProxyRoute[];
  /** Called for each event as it is recorded (live log); never with secrets. */
  onEvent?: (event: RecordedEvent, connection: RecordedConnection) => void;
}

interface Live {
  info: RecordedConnection;
  client: Socket;
  upstream: Socket;
  taps: Record<Direction, DirectionTap>;
  closedBy?: "client" | "server" | "proxy";
  reason?: string;
  open: number;
}

/**
 * A transparent TCP proxy in front of a server's c2s and/or component ports.
 * Bytes go through unchanged in both directions (written on before they are
 * parsed, back-pressure respected); both XML streams are parsed on the side
 * into a Recording. Nothing the recorded traffic does (malformed XML, binary
 * data, resets) can throw out of the proxy.
 */
export class RecordingProxy {
  readonly recording: Recording;
  /** Credentials seen on the wire, for scrubbing; never part of the recording. */
  readonly secrets = new SecretBag();
  private readonly servers: Server[] = [];
  private readonly live = new Set<Live>();
  /** Called on every change of the connections' state (accepted, stream header seen, closed). */
  private readonly changeWaiters = new Set<() => void>();
  private readonly started = Date.now();
  private seq = 0;
  private stopped = false;
  private frozen = false;

  constructor(private readonly options: RecordingProxyOptions) {
    this.recording = { startedAt: new Date(this.started).toISOString(), connections: [], events: [] };
  }

  async start(): Promise<void> {
    try {
      for (const route of this.options.routes) {
        const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, route));
        server.on("error", () => undefined);
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(route.listenPort, route.listenHost, () => {
            server.off("error", reject);
            resolve();
          });
        });
        this.servers.push(server);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Where each route listens, in route order (the actual port when 0 was asked). */
  get addresses(): { host: string; port: number }[] {
    return this.servers.map((s) => {
      const a = s.address() as AddressInfo;
      return { host: a.address, port: a.port };
    });
  }

  /** Connections still open. */
  get openConnections(): number {
    return this.live.size;
  }

  /** Resolves once at least one connection was proxied and none is open any more. */
  whenIdle(): Promise<void> {
    return this.until(() => this.recording.connections.length > 0 && this.live.size === 0);
  }

  /**
   * Resolves once the clients are done: at least one client stream was proxied and no client connection
   * (nor one whose stream has not started yet) is open. Components are not waited for: a managing entity
   * stays connected between sessions. Without any client stream, as whenIdle.
   */
  whenClientsDone(): Promise<void> {
    return this.until(() => {
      const pending = [...this.live].some((l) => l.info.stream === undefined || l.info.stream === "client");
      if (pending) return false;
      if (this.recording.connections.some((c) => c.stream === "client")) return true;
      return this.recording.connections.length > 0 && this.live.size === 0;
    });
  }

  private until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.changeWaiters.delete(check);
        resolve();
      };
      this.changeWaiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.changeWaiters]) check();
  }

  /**
   * Ends the recording now, before the connections are cut: what arrives from here on (a component
   * closing its stream because the same Ctrl-C reached it) is passed on but not recorded, and the
   * connections still open count as open when the recording stopped. Idempotent; stop() calls it.
   */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    for (const l of this.live) {
      l.closedBy ??= "proxy";
      l.reason ??= "the recording stopped";
    }
  }

  /** Stops listening and cuts the connections still open; the recording is complete afterwards. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.freeze();
    this.stopped = true;
    // close() only calls back once every connection has ended: cut them first
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const l of [...this.live]) {
      l.client.destroy();
      l.upstream.destroy();
    }
    await closed;
    // 'close' events come on the next ticks
    for (let i = 0; i < 50 && this.live.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    for (const l of [...this.live]) this.finish(l);
  }

  private accept(client: Socket, route: ProxyRoute): void {
    const info: RecordedConnection = {
      id: this.recording.connections.length + 1,
      listen: `${route.listenHost}:${(client.localPort ?? route.listenPort)}`,
      upstream: `${route.upstreamHost}:${route.upstreamPort}`,
      openedAt: Date.now() - this.started,
    };
    if (this.stopped || this.frozen) {
      client.destroy();
      return;
    }
    this.recording.connections.push(info);
    const upstream = connect({ host: route.upstreamHost, port: route.upstreamPort, allowHalfOpen: true });
    const l: Live = { info, client, upstream, open: 2, taps: undefined as never };
    l.taps = { up: this.tapFor(l, "up"), down: this.tapFor(l, "down") };
    this.live.add(l);
    this.changed();
    let connected = false;
    upstream.once("connect", () => (connected = true));

    this.pipe(l, client, upstream, "up");
    this.pipe(l, upstream, client, "down");
    client.on("end", () => {
      l.closedBy ??= "client";
      upstream.end();
    });
    upstream.on("end", () => {
      l.closedBy ??= "server";
      client.end();
    });
    client.on("error", (err) => {
      l.closedBy ??= "client";
      l.reason ??= `client socket: ${err.message}`;
      upstream.destroy();
    });
    upstream.on("error", (err) => {
      l.closedBy ??= "server";
      l.reason ??= connected ? `server socket: ${err.message}` : `cannot reach ${info.upstream}: ${err.message}`;
      client.destroy();
    });
    const closed = () => {
      if (--l.open === 0) this.finish(l);
    };
    client.once("close", closed);
    upstream.once("close", closed);
  }

  /** Copies bytes from `from` to `to` unchanged, then parses them; pauses `from` while `to` is full. */
  private pipe(l: Live, from: Socket, to: Socket, dir: Direction): void {
    from.on("data", (chunk: Buffer) => {
      if (!to.destroyed && !to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
      try {
        l.taps[dir].write(chunk);
      } catch (err) {
        // StreamParser and DirectionTap do not throw; this is belt and braces.
        l.taps[dir].stopParsing();
        this.record(l, { kind: "malformed", dir, error: `internal: ${err instanceof Error ? err.message : String(err)}`, text: "", truncated: false });
      }
    });
  }

  private tapFor(l: Live, dir: Direction): DirectionTap {
    return new DirectionTap({
      streamStart: (attrs) => {
        if (dir === "up" && l.info.stream === undefined && !this.frozen) {
          l.info.stream = attrs.xmlns === NS_CLIENT ? "client" : attrs.xmlns === NS_COMPONENT ? "component" : "other";
          this.changed();
        }
        this.record(l, { kind: "stream-start", dir, attrs });
      },
      stanza: (el) => this.onStanza(l, dir, el),
      streamEnd: () => {
        // who closed first: the side that ended its stream, even when the other side's TCP FIN arrives before
        if (!this.frozen) l.closedBy ??= dir === "up" ? "client" : "server";
        this.record(l, { kind: "stream-end", dir });
      },
      malformed: (error, text, truncated) => this.record(l, { kind: "malformed", dir, error, text: this.secrets.scrub(text), truncated }),
      strayText: (text) => this.record(l, { kind: "stray-text", dir, text: this.secrets.scrub(text.slice(0, 512)) }),
    });
  }

  private onStanza(l: Live, dir: Direction, el: Element): void {
    if (isSecretElement(el)) this.secrets.learn(el);
    this.record(l, { kind: "stanza", dir, xml: isSecretElement(el) ? redactedXml(el) : this.secrets.scrub(el.toString()) });
    // STARTTLS (RFC 6120 §5.4.2.3): after <proceed/> both directions carry TLS records.
    if (dir === "down" && el.name === "proceed" && el.attrs.xmlns === NS_TLS) {
      l.taps.up.stopParsing();
      l.taps.down.stopParsing();
      this.record(l, { kind: "tls", dir });
    }
  }

  private record(l: Live, event: DistributiveOmit<RecordedEvent, "seq" | "t" | "conn">): void {
    if (this.frozen && event.kind !== "closed" && event.kind !== "unparsed") return;
    const full = { ...event, seq: ++this.seq, t: Date.now() - this.started, conn: l.info.id } as RecordedEvent;
    this.recording.events.push(full);
    try {
      this.options.onEvent?.(full, l.info);
    } catch {
      // a logging problem must not stop the traffic
    }
  }

  private finish(l: Live): void {
    if (!this.live.delete(l)) return;
    for (const dir of ["up", "down"] as const) {
      l.taps[dir].finish();
      if (l.taps[dir].unparsedBytes > 0) this.record(l, { kind: "unparsed", dir, bytes: l.taps[dir].unparsedBytes });
    }
    l.info.closedAt = Date.now() - this.started;
    this.record(l, { kind: "closed", by: l.closedBy ?? "client", reason: l.reason });
    this.changed();
  }
}

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_CLIENT = "jabber:client";
const NS_COMPONENT = "jabber:component:accept";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
