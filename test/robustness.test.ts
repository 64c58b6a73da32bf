import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startMockServer } from "../mocks/server/index.js";
import { ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { loadSuite } from "../src/scenario/load.js";
import { parseScenario } from "../src/scenario/parse.js";
import type { ServerTarget } from "../src/target/types.js";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A TCP "server" that does `behave` with every connection. */
async function fakeServer(behave: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    behave(socket);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

function target(c2sPort: number, componentPort: number, accounts = { juliet: "juliet-pass", romeo: "romeo-pass" }, secret = "managing-secret"): ServerTarget {
  return {
    role: "server",
    name: "misbehaving",
    host: "127.0.0.1",
    domain: "capulet.test",
    c2sPort,
    componentPort,
    version: 2,
    accounts: { juliet: { username: "juliet", password: accounts.juliet }, romeo: { username: "romeo", password: accounts.romeo } },
    components: { managing: { jid: "pubsub.capulet.test", secret } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    undelegatedNamespace: "jabber:iq:version",
    foreignDomain: "montague.example",
    features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
    timeouts: { step: 1000, quiet: 200, connect: 1500 },
  };
}

async function run(t: ServerTarget, only: string[]) {
  const scenarios = (await loadSuite("server")).filter((s) => only.includes(s.id));
  const started = Date.now();
  const { run, unreachable, setupErrors } = await executeRun([{ driver: new ServerTargetDriver(t), scenarios }], { concurrency: 2, scenarioDeadlineMs: 10_000, strict: false });
  return { run, unreachable, setupErrors, ms: Date.now() - started };
}

describe("a misbehaving target gets a clear verdict within its timeout", () => {
  it("a target that accepts TCP and never answers: unreachable after the connect timeout", async () => {
    const port = await fakeServer(() => undefined);
    const { run: result, unreachable, ms } = await run(target(port, port), ["srv-fwd-01-no-to"]);
    expect(unreachable[0]).toMatch(/target unreachable: .*timed out/);
    expect(result.scenarios[0].verdict).toBe("error");
    expect(ms).toBeLessThan(5000);
  });

  it("a target that sends malformed XML: unreachable, with the parser's complaint", async () => {
    const port = await fakeServer((s) => s.end("<stream:stream><<<not xml"));
    const { unreachable, ms } = await run(target(port, port), ["srv-fwd-01-no-to"]);
    expect(unreachable[0]).toMatch(/target unreachable/);
    expect(ms).toBeLessThan(5000);
  });

  it("a target that dies in the middle of a scenario: the scenario fails or errors within its step timeout", async () => {
    const mock = await startMockServer();
    const t = target(mock.c2sPort, mock.componentPort);
    const scenarios = [
      parseScenario(
        "id: dies\ntitle: t\nrole: server\nrequirements: SRV-FWD-01\ncast:\n  juliet: client\n  me: component managing\n" +
          "me connects\njuliet connects\nwait 1000ms\njuliet sends:\n  <iq type='get' id='x'><pubsub xmlns='${ns.plain}'/></iq>\n" +
          "me receives:\n  <iq type='set'/>\n",
        "dies.scenario",
      ),
    ];
    const driver = new ServerTargetDriver(t);
    setTimeout(() => void mock.stop(), 800);
    const started = Date.now();
    const { run: result } = await executeRun([{ driver, scenarios }], { concurrency: 1, scenarioDeadlineMs: 10_000, strict: false });
    expect(["fail", "error"]).toContain(result.scenarios[0].verdict);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it("a wrong component secret is a set-up error naming the credential, not a conformance failure", async () => {
    const mock = await startMockServer();
    try {
      const { run: result, setupErrors } = await run(target(mock.c2sPort, mock.componentPort, undefined, "Wr0ng-s3cret-x"), ["srv-adv-01-advertisement"]);
      expect(result.scenarios[0].verdict).toBe("error");
      expect(result.scenarios[0].reason).toMatch(/set-up error: .*the target refused the handshake of component pubsub.capulet.test \(not-authorized\): check components.managing.secret/);
      expect(setupErrors).toEqual([expect.stringContaining("components.managing.secret")]);
      expect(JSON.stringify(result)).not.toContain("managing-secret");
      expect(JSON.stringify(result)).not.toContain("Wr0ng-s3cret-x");
    } finally {
      await mock.stop();
    }
  });

  it("a refused login is a set-up error naming the account", async () => {
    const mock = await startMockServer();
    try {
      // juliet's login is the driver's first probe: the run ends before any scenario (exit 3).
      const juliet = await run(target(mock.c2sPort, mock.componentPort, { juliet: "not-her-password", romeo: "romeo-pass" }), ["srv-fwd-01-no-to"]);
      expect(juliet.unreachable).toEqual([expect.stringMatching(/set-up error: the target refused the login of juliet on .*\(not-authorized\): check accounts.juliet/)]);
      // romeo's is found by the scenario that logs him in.
      const romeo = await run(target(mock.c2sPort, mock.componentPort, { juliet: "juliet-pass", romeo: "not-his-password" }), ["srv-rep-02-addresses-server"]);
      expect(romeo.setupErrors).toEqual([expect.stringMatching(/refused the login of romeo@capulet.test \(not-authorized\): check accounts.romeo/)]);
    } finally {
      await mock.stop();
    }
  });
});
