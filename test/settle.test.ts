import { readdirSync, readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGING_JID, MOCK_DOMAIN, OTHER_JID, startMockServer, type MockServer } from "../mocks/server/index.js";
import { WireQuiescence } from "../mocks/quiescence.js";
import { isSettlePing } from "../src/actors/settle-ping.js";
import type { RecordedEvent, Recording } from "../src/record/recording.js";
import { writeScript } from "../src/record/script-writer.js";
import { serverEnvironment } from "../src/runner/drivers/server-environment.js";
import type { TargetDriver } from "../src/runner/environment.js";
import { runScenario } from "../src/runner/run-scenario.js";
import { loadSuite } from "../src/scenario/load.js";
import type { ServerTarget } from "../src/target/types.js";
import { parseXml } from "../src/xml/element.js";

/**
 * A TCP relay that holds every chunk from the client side for `delayMs` before passing it on, in
 * order (what Nagle plus a delayed ACK does to small writes, worse): the managing entity's answers
 * to the nesting queries reach the server late, while the users' connections are not delayed.
 */
async function delayingRelay(upstreamPort: number, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: upstreamPort, noDelay: true });
    client.setNoDelay(true);
    for (const s of [client, upstream]) sockets.add(s);
    let queue = Promise.resolve();
    client.on("data", (data) => {
      queue = queue.then(() => new Promise<void>((resolve) => setTimeout(() => (upstream.write(data), resolve()), delayMs)));
    });
    upstream.on("data", (data) => client.write(data));
    client.on("close", () => void queue.then(() => upstream.end()));
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("the managing entity's settle step (srv-dsc-05 race)", () => {
  let server: MockServer;
  let relay: Awaited<ReturnType<typeof delayingRelay>>;
  beforeAll(async () => {
    server = await startMockServer();
    relay = await delayingRelay(server.componentPort, 60);
  });
  afterAll(async () => {
    await relay.close();
    await server.stop();
  });

  /** The mock server as a configured target, its component port behind the relay: no quiescence, real waits only. */
  function driver(): TargetDriver {
    const o = server.options;
    const target: ServerTarget = {
      role: "server",
      name: "mock behind a slow relay",
      host: "127.0.0.1",
      domain: MOCK_DOMAIN,
      c2sPort: server.c2sPort,
      componentPort: relay.port,
      version: 2,
      accounts: { juliet: { username: "juliet", password: o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
      components: { managing: { jid: MANAGING_JID, secret: o.components[MANAGING_JID] }, other: { jid: OTHER_JID, secret: o.components[OTHER_JID] } },
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
      undelegatedNamespace: "jabber:iq:version",
      foreignDomain: "montague.example",
      features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: true, clientMode: true },
      // A quiet window shorter than the relay's delay: waiting for silence would not be enough.
      timeouts: { step: 1500, quiet: 40, connect: 3000 },
    };
    return {
      role: "server",
      prepare: async () => ({ role: "server", name: target.name, protocolVersion: 2 }),
      unsupported: () => undefined,
      open: async () => serverEnvironment(target, 2, async () => undefined),
      exclusiveResources: () => [],
      close: async () => undefined,
    };
  }

  it("waits for the server to have taken in the nesting answers, however late they arrive", async () => {
    const scenarios = (await loadSuite("server")).filter((s) => ["srv-dsc-05-bare-nesting", "srv-dsc-02-nested-features", "srv-dsc-06-forms"].includes(s.id));
    expect(scenarios).toHaveLength(3);
    for (const scenario of scenarios) {
      // One at a time: each connects the managing entity afresh (the mock drops its nesting cache on disconnect).
      const result = await runScenario(scenario, driver(), "settle", { version: 2, deadlineMs: 20_000 });
      expect(result.verdict, `${scenario.id}: ${result.reason}`).toBe("pass");
      const pings = result.transcript.filter((e) => e.direction === "out" && e.data.includes("xep0355-settle-"));
      expect(pings.length, `${scenario.id}: the managing entity pinged its server after connecting`).toBeGreaterThan(0);
    }
  });
});

describe("settle pings in recordings", () => {
  it("are recognised by id, and the script writer leaves them and their answers out", () => {
    expect(isSettlePing(parseXml("<iq type='get' id='xep0355-settle-1'><ping xmlns='urn:xmpp:ping'/></iq>"))).toBe(true);
    expect(isSettlePing(parseXml("<iq type='result' id='xep0355-settle-1'/>"))).toBe(true);
    expect(isSettlePing(parseXml("<iq type='get' id='q1'><ping xmlns='urn:xmpp:ping'/></iq>"))).toBe(false);
    let seq = 0;
    const events: RecordedEvent[] = [];
    const add = (e: Omit<RecordedEvent, "seq" | "t" | "conn">) => events.push({ ...e, seq: ++seq, t: seq, conn: 1 } as RecordedEvent);
    add({ kind: "stream-start", dir: "up", attrs: { xmlns: "jabber:component:accept", to: "pubsub.example.org" } } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "up", xml: "<handshake>[redacted]</handshake>" } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "down", xml: "<handshake/>" } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "down", xml: `<message from="example.org" to="pubsub.example.org" id="adv"><delegation xmlns="urn:xmpp:delegation:2"><delegated namespace="urn:x"/></delegation></message>` } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "up", xml: `<iq type="get" id="xep0355-settle-abc" from="pubsub.example.org" to="example.org"><ping xmlns="urn:xmpp:ping"/></iq>` } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "down", xml: `<iq type="result" id="xep0355-settle-abc" from="example.org" to="pubsub.example.org"/>` } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    add({ kind: "stanza", dir: "up", xml: `<iq type="get" id="mine" from="pubsub.example.org" to="example.org"><ping xmlns="urn:xmpp:ping"/></iq>` } as Omit<RecordedEvent, "seq" | "t" | "conn">);
    const recording: Recording = { startedAt: "2026-01-02T03:04:05.000Z", connections: [{ id: 1, listen: "l", upstream: "u", openedAt: 0 }], events };
    const script = writeScript(recording).text;
    expect(script).not.toContain("xep0355-settle-");
    expect(script).toContain("id='mine'"); // a ping of the recorded party's own stays
  });
});

describe("WireQuiescence (the embedded mocks' idea of 'nothing more can happen')", () => {
  /** A connected pair on loopback, both ends watched: `a` the suite's end, `b` the mock's. */
  async function pair(q: WireQuiescence): Promise<{ a: Socket; b: Socket; close(): Promise<void> }> {
    let accepted: (s: Socket) => void = () => undefined;
    const got = new Promise<Socket>((resolve) => (accepted = resolve));
    const server = createServer((s) => {
      q.watch(s, "mock");
      accepted(s);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const a = connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port });
    await new Promise<void>((resolve) => a.once("connect", () => resolve()));
    q.watch(a, "suite");
    const b = await got;
    return {
      a,
      b,
      close: async () => {
        a.destroy();
        b.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it("is quiet only once every byte written has been read, and wakes on an arrival", async () => {
    const q = new WireQuiescence();
    const { a, b, close } = await pair(q);
    try {
      expect(await q.settle(Date.now() + 5000, false)).toBe("quiet");
      b.on("data", () => b.write("<pong/>"));
      a.on("data", () => undefined);
      a.write("<ping/>");
      // The mock answers: an arrival first, then quiet once the answer is read.
      expect(await q.settle(Date.now() + 5000, true)).toBe("arrival");
      expect(await q.settle(Date.now() + 5000, false)).toBe("quiet");
    } finally {
      await close();
    }
  });

  it("is not quiet while a mock timer is due before the deadline, and skipping moves the mocks' clock", async () => {
    const q = new WireQuiescence();
    let fired = 0;
    q.after(50, () => fired++);
    expect(await q.settle(Date.now() + 20, false)).toBe("quiet"); // due after that deadline
    expect(await q.settle(Date.now() + 5000, false)).toBe("quiet"); // once it has fired
    expect(fired).toBe(1);
    q.after(60_000, () => fired++);
    const deadline = Date.now() + 59_990;
    expect(await q.settle(deadline, false)).toBe("quiet");
    q.skipTo(deadline);
    // The 60 s timer is now ~10 ms away on the mocks' clock.
    expect(await q.settle(Date.now() + 5000, false)).toBe("quiet");
    expect(fired).toBe(2);
  });

  it("a cancelled timer no longer counts", async () => {
    const q = new WireQuiescence();
    const timer = q.after(60_000, () => undefined);
    timer.cancel();
    expect(await q.settle(Date.now() + 120_000, false)).toBe("quiet");
  });
});

describe("the mocks act on their own only through their clock (what WireQuiescence relies on)", () => {
  it("no timer in mocks/ outside mocks/clock.ts and mocks/quiescence.ts, but bounds on start and stop marked clock-exempt", () => {
    const root = fileURLToPath(new URL("../mocks", import.meta.url));
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
    const offenders: string[] = [];
    for (const file of files(root)) {
      if (file.endsWith("/clock.ts") || file.endsWith("/quiescence.ts")) continue;
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (!/\b(setTimeout|setInterval|setImmediate)\(/.test(line)) return;
        if ((lines[i - 1] ?? "").includes("clock-exempt")) return;
        offenders.push(`${file.slice(root.length + 1)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders, "a mock timer the quiescence cannot see: use the mock's clock (mocks/clock.ts)").toEqual([]);
  });
});
