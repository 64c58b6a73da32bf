import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { startMockServer } from "../../mocks/server/index.js";
import type { MockServer } from "../../mocks/server/server.js";
import type { ComponentTarget, ServerTarget } from "../../src/target/types.js";

/**
 * Hostile targets for tests: a TCP proxy in front of a healthy peer (the mock server, or the
 * suite's own listener for a component) that misbehaves at a chosen moment, on the target's
 * behalf. Everything before the trigger is real XMPP, so "after login" means after a real login.
 */

/** What an action can do to one proxied connection. */
export interface ProxyIo {
  /** Bytes to the suite, as if the target sent them. */
  toSuite(data: string | Buffer): void;
  /** Bytes to the healthy peer behind the proxy. */
  toPeer(data: string | Buffer): void;
  /** Stop passing the target's bytes to the suite (the target goes silent). */
  mute(): void;
  /** Drop both TCP connections, no stream error. */
  drop(): void;
  /** The suite's socket (for floods: its write callback gives back-pressure). */
  readonly suite: Socket;
}

export interface HostileRule {
  /** The rule applies to this connection and the ones after it (0-based; 1 spares a start-up probe). */
  fromConnection?: number;
  /** Which way the trigger looks: at what the target sends the suite (default), or at what the suite sends the target. */
  watch?: "from-target" | "from-suite";
  /** Fires once the watched bytes (accumulated) match; without it, at once when the connection opens. */
  after?: RegExp;
  /** Whether the chunk that fired is still passed on (default true). */
  passTrigger?: boolean;
  action(io: ProxyIo, trigger: string): void;
}

export interface HostileProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Listens on an ephemeral port and forwards each connection to `peerPort` (or the port it gives when the
 * connection comes: a peer listening on an ephemeral port of its own). `targetIs`: which
 * side of the proxied connection plays the target — "peer" (the mock server behind it, for the
 * server role) or "client" (the component that connects to the proxy, for the component role).
 */
export async function hostileProxy(peerPort: number | (() => number), targetIs: "peer" | "client", rules: HostileRule[]): Promise<HostileProxy> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((accepted) => {
    const index = count++;
    const peer = createConnection({ host: "127.0.0.1", port: typeof peerPort === "number" ? peerPort : peerPort() });
    for (const s of [accepted, peer]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    const suite = targetIs === "peer" ? accepted : peer;
    const target = targetIs === "peer" ? peer : accepted;
    let muted = false;
    const io: ProxyIo = {
      toSuite: (data) => {
        if (suite.writable) suite.write(data);
      },
      toPeer: (data) => {
        if (target.writable) target.write(data);
      },
      mute: () => (muted = true),
      drop: () => {
        accepted.destroy();
        peer.destroy();
      },
      suite,
    };
    const active = rules.filter((r) => index >= (r.fromConnection ?? 0));
    const fired = new Set<HostileRule>();
    const seen = { "from-target": "", "from-suite": "" };
    const pass = (from: "from-target" | "from-suite", data: Buffer) => {
      seen[from] = (seen[from] + data.toString("utf8")).slice(-64 * 1024);
      let forward = true;
      for (const rule of active) {
        if (fired.has(rule) || (rule.watch ?? "from-target") !== from || !rule.after?.test(seen[from])) continue;
        fired.add(rule);
        if (rule.passTrigger === false) forward = false;
        if (forward) (from === "from-target" ? io.toSuite : io.toPeer)(data);
        forward = false;
        rule.action(io, data.toString("utf8"));
      }
      if (!forward) return;
      if (from === "from-target" && !muted) io.toSuite(data);
      if (from === "from-suite") io.toPeer(data);
    };
    target.on("data", (d: Buffer) => pass("from-target", d));
    suite.on("data", (d: Buffer) => pass("from-suite", d));
    accepted.on("close", () => peer.destroy());
    peer.on("close", () => accepted.destroy());
    for (const rule of active) if (!rule.after) queueMicrotask(() => rule.action(io, ""));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return count;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The embedded mock server with hostile proxies in front of its c2s and component ports. */
export async function hostileServer(rules: { c2s?: HostileRule[]; component?: HostileRule[] }): Promise<{ target: ServerTarget; close(): Promise<void>; mock: MockServer }> {
  const mock = await startMockServer();
  const c2s = await hostileProxy(mock.c2sPort, "peer", rules.c2s ?? []);
  const component = await hostileProxy(mock.componentPort, "peer", rules.component ?? []);
  return {
    mock,
    target: serverTarget(c2s.port, component.port),
    close: async () => {
      await Promise.all([c2s.close(), component.close()]);
      await mock.stop();
    },
  };
}

/** A target file for the mock server's accounts and components, with short timeouts. */
export function serverTarget(c2sPort: number, componentPort: number): ServerTarget {
  return {
    role: "server",
    name: "hostile server",
    host: "127.0.0.1",
    domain: "capulet.test",
    c2sPort,
    componentPort,
    version: 2,
    accounts: { juliet: { username: "juliet", password: "juliet-pass" }, romeo: { username: "romeo", password: "romeo-pass" } },
    components: { managing: { jid: "pubsub.capulet.test", secret: "managing-secret" }, other: { jid: "other.capulet.test", secret: "other-secret" } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    undelegatedNamespace: "jabber:iq:version",
    foreignDomain: "montague.example",
    features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
    // A generous login timeout: these targets fail fast by closing; a busy machine must not turn that into a timeout.
    timeouts: { step: 2000, quiet: 150, connect: 4000, giveUp: 1500 },
  };
}

/** A component-role target: the suite listens on `listenPort` for the component pubsub.capulet.test. */
export function componentTarget(listenPort: number): ComponentTarget {
  return {
    role: "component",
    name: "hostile component",
    listenHost: "127.0.0.1",
    listenPort,
    domain: "capulet.test",
    component: { jid: "pubsub.capulet.test", secret: "managing-secret" },
    version: 2,
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    timeouts: { step: 2000, quiet: 150, connect: 1500 },
  };
}

/** Writes `total` characters of `unit` repeated, in 64 KiB writes, respecting back-pressure, until the socket goes. */
export function flood(socket: Socket, unit: string, total: number): void {
  const block = unit.repeat(Math.max(1, Math.floor(65536 / unit.length)));
  let sent = 0;
  const next = () => {
    while (sent < total && socket.writable) {
      sent += block.length;
      if (!socket.write(block)) return void socket.once("drain", next);
    }
  };
  next();
}

/** `n` nested elements (a stanza ~7 bytes per level). */
export function deepStanza(n: number): string {
  return `<message to='juliet@capulet.test'>${"<x>".repeat(n)}${"</x>".repeat(n)}</message>`;
}
