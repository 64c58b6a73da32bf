import { createHash } from "node:crypto";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startMockServer } from "../mocks/server/index.js";
import { fuzzMockServer } from "../scripts/fuzz.js";
import { runCommand } from "./helpers/cli.js";
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
  const { run, unreachable, setupErrors } = await executeRun([{ driver: new ServerTargetDriver(t), scenarios }], { concurrency: 2, scenarioDeadlineMs: 10_000, strict: false });
  return { run, unreachable, setupErrors };
}

describe("a misbehaving target gets a clear verdict within its timeout", () => {
  it("a target that accepts TCP and never answers: unreachable after the connect timeout", async () => {
    const port = await fakeServer(() => undefined);
    const { run: result, unreachable } = await run(target(port, port), ["srv-fwd-01-no-to"]);
    expect(unreachable[0]).toMatch(/target unreachable: .*timed out/);
    expect(result.scenarios[0].verdict).toBe("error");
  });

  it("a target that sends malformed XML: unreachable, with the parser's complaint", async () => {
    const port = await fakeServer((s) => s.end("<stream:stream><<<not xml"));
    const { unreachable } = await run(target(port, port), ["srv-fwd-01-no-to"]);
    expect(unreachable[0]).toMatch(/target unreachable: .*(refused the target's input|closed the connection)/);
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
    const { run: result } = await executeRun([{ driver, scenarios }], { concurrency: 1, scenarioDeadlineMs: 10_000, strict: false });
    // A dropped connection is no evidence about the rule: the suite could not reach a verdict.
    expect(result.scenarios[0].verdict).toBe("error");
    expect(result.scenarios[0].reason).toMatch(/stream (closed|already closed)|could not/);
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

describe("the mock server looks names up safely (issue 15, class 6)", () => {
  /** Opens a XEP-0114 stream as `jid` and sends the digest a plain-object lookup would have taken for its secret. */
  async function handshakeAs(port: number, jid: string, secretByPrototype: string): Promise<string> {
    const socket = createConnection({ host: "127.0.0.1", port });
    sockets.push(socket);
    socket.setEncoding("utf8");
    let received = "";
    const done = new Promise<string>((resolve) => {
      socket.on("close", () => resolve(received));
      setTimeout(() => resolve(received), 1500).unref();
    });
    socket.on("data", (d: string) => {
      received += d;
      const id = /id=['"]([^'"]+)['"]/.exec(received)?.[1];
      if (id && !received.includes("sent")) {
        received += "<!--sent-->";
        socket.write(`<handshake>${createHash("sha1").update(id + secretByPrototype).digest("hex")}</handshake>`);
      }
      if (/<handshake\/>|<\/stream:stream>/.test(d)) socket.end();
    });
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${jid}'>`);
    return done;
  }

  it("a component named __proto__ or constructor is an unknown host, never let in", async () => {
    const mock = await startMockServer();
    try {
      for (const [jid, asString] of [["__proto__", String({})], ["constructor", String(Object)], ["toString", String(Object.prototype.toString)]]) {
        const answer = await handshakeAs(mock.componentPort, jid, asString);
        expect(answer, jid).toMatch(/host-unknown/);
        expect(answer, jid).not.toContain("<handshake/>");
      }
    } finally {
      await mock.stop();
    }
  });
});

describe("fuzzing the mock server (scripts/fuzz.ts, a few hundred inputs)", () => {
  it("no exception escapes the mock server, and a delegated round trip works afterwards", async () => {
    const outcome = await fuzzMockServer({ count: 300, seed: 15, concurrency: 32 });
    expect(outcome.crashes.map((c) => c.error)).toEqual([]);
    expect(outcome.roundTrip).toBeUndefined();
  });
});

describe("the process safety net (src/cli/process-guard.ts)", () => {
  it("an exception no handler caught stops the run as Ctrl-C would (reports get written), exit 70, secrets redacted", async () => {
    const guard = new URL("../src/cli/process-guard.ts", import.meta.url).pathname;
    const redact = new URL("../src/record/redact.ts", import.meta.url).pathname;
    const script = [
      `import { installProcessGuard, guardedExitCode } from ${JSON.stringify(guard)};`,
      `import { runSecrets } from ${JSON.stringify(redact)};`,
      "installProcessGuard();",
      "runSecrets.add('s3cret-in-a-stack');",
      // What run-command does on Ctrl-C: finish, write the reports, return 130.
      "process.on('SIGINT', () => { console.log('reports written'); process.exitCode = guardedExitCode(130); });",
      "setTimeout(() => { throw new Error('boom near s3cret-in-a-stack'); }, 10);",
    ].join("\n");
    const outcome = await runCommand(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { killAfterMs: 20_000 });
    expect(outcome.stdout).toContain("reports written");
    expect(outcome.stderr).toMatch(/internal error \(uncaught exception, caught by the safety net\): Error: boom near \[redacted\]/);
    expect(outcome.stderr).not.toContain("s3cret-in-a-stack");
    expect(outcome.code).toBe(70);
  });
});
