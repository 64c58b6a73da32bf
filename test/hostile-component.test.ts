import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startMockComponent } from "../mocks/component/index.js";
import { ComponentLink, type LinkEvent, type ServerRole } from "../src/actors/component-link.js";
import { writeReports } from "../src/cli/reports.js";
import { ComponentTargetDriver } from "../src/runner/drivers/component-target-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { loadSuite } from "../src/scenario/load.js";
import { parseScenario } from "../src/scenario/parse.js";
import type { Scenario } from "../src/scenario/model.js";
import { componentTarget, deepStanza, flood, hostileProxy, type HostileRule } from "./helpers/hostile.js";

/**
 * A managing entity that misbehaves towards the suite playing its server: before its handshake
 * (the suite cannot start, exit 3) and after (the scenario that owns the stream errors). It is the
 * embedded mock component behind a proxy that does the misbehaving.
 */

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='pubsub.capulet.test'>";

const BAD_XML: [name: string, bytes: string, named: RegExp][] = [
  ["an undefined entity", "<message>&foo;</message>", /undefined entity &foo;/],
  ["an illegal character reference", "<iq type='result'>&#xFFFF;</iq>", /illegal XML character \(0xffff\)/],
  ["a mismatched end tag", "<iq></message>", /mismatched end tag <\/message>/],
  ["a DOCTYPE", "<!DOCTYPE lol [<!ENTITY lol 'lol'>]>", /DOCTYPE/],
  ["data after </stream:stream>", "</stream:stream><iq type='result'/>", /data after the end of the stream/],
  ["a stanza 2,000 levels deep", deepStanza(2000), /nested deeper than 64 levels/],
];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function reportFiles(dir: string): Promise<string> {
  const files = ["junit.xml", "results.json", "index.html", "summary.md", "badge.svg"];
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
  const logs = await readdir(join(dir, "transcripts"));
  texts.push(...(await Promise.all(logs.map((f) => readFile(join(dir, "transcripts", f), "utf8")))));
  return texts.join("\n");
}

/** The component role against the mock component behind a hostile proxy; `scenarios` by id, or given. */
async function runAgainst(rules: HostileRule[], scenarios: string[] | Scenario[]) {
  // An ephemeral port of the suite's own: a port picked free beforehand can be taken by another test's socket.
  const driver = new ComponentTargetDriver(componentTarget(0));
  const proxy = await hostileProxy(() => driver.port, "client", rules);
  const suite = typeof scenarios[0] === "string" ? (await loadSuite("component")).filter((s) => (scenarios as string[]).includes(s.id)) : (scenarios as Scenario[]);
  expect(suite.length).toBe(scenarios.length);
  const running = executeRun([{ driver, scenarios: suite }], { concurrency: 1, scenarioDeadlineMs: 10_000, strict: false, onlyCovered: true });
  // prepare() listens at once; the component then connects (through the proxy) as a real one would.
  for (let waited = 0; !driver.port && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  const component = startMockComponent({ host: "127.0.0.1", port: proxy.port, jid: "pubsub.capulet.test", secret: "managing-secret", serverDomain: "capulet.test", version: 2, faults: [], connectTimeoutMs: 1500 });
  component.catch(() => undefined);
  try {
    const execution = await running;
    const dir = await mkdtemp(join(tmpdir(), "xep0355-hostile-me-"));
    dirs.push(dir);
    await writeReports(execution.run, dir);
    return { ...execution, reports: await reportFiles(dir) };
  } finally {
    await component.then((c) => c.stop()).catch(() => undefined);
    await proxy.close();
  }
}

const beforeHandshake = (bytes: string): HostileRule => ({ action: (io) => (io.mute(), io.toSuite(HEADER + bytes)) });
/** Once the suite sends a scenario's first forward (the start-up probe sends none). */
const afterForward = (action: (io: Parameters<HostileRule["action"]>[0]) => void): HostileRule => ({ watch: "from-suite", after: /<forwarded/, action });

describe.concurrent("component role, class 1/2: bad XML from the component is a verdict, never a crash", () => {
  for (const [name, bytes, named] of BAD_XML) {
    it(`${name} before the handshake: the suite cannot start (exit 3), the problem named`, async () => {
      const { unreachable, run, reports } = await runAgainst([beforeHandshake(bytes)], ["me-rep-01-wrapped-reply"]);
      expect(unreachable).toEqual([expect.stringMatching(named)]);
      expect(run.scenarios[0].verdict).toBe("error");
      expect(reports).toContain("refused the component's input");
    });

    it(`${name} during a scenario: that scenario errors, the bytes quoted`, async () => {
      const { unreachable, run } = await runAgainst([afterForward((io) => io.toSuite(bytes))], ["me-rep-01-wrapped-reply"]);
      expect(unreachable).toEqual([]);
      expect(run.scenarios[0].verdict).toBe("error");
      expect(run.scenarios[0].reason).toMatch(named);
      expect(run.scenarios[0].reason).toMatch(/stream (closed|already closed)/);
    });
  }
});

describe.concurrent("component role, class 3: dropped connections", () => {
  it("dropped during a 'server receives nothing' window: error, not a pass", async () => {
    const { run } = await runAgainst([{ watch: "from-suite", after: /sec01u-forged["']/, action: (io) => setTimeout(() => io.drop(), 20) }], ["me-sec-01-forward-from-user"]);
    expect(run.scenarios[0].verdict).toBe("error");
    expect(run.scenarios[0].reason).toMatch(/server should receive nothing matching .*stream closed after \d+ ms/);
  });

  it("a send after the component dropped names the closed stream, not a missing 'server connects'", async () => {
    const scenario = parseScenario(
      [
        "id: dropped-send",
        "title: t",
        "role: component",
        "requirements: ME-REP-01",
        "cast:",
        "  server: server",
        "server connects",
        "server sends:",
        "  <message id='drop-me' from='${server}' to='${component}'/>",
        "wait 200ms",
        "server sends:",
        "  <message id='after-drop' from='${server}' to='${component}'/>",
        "",
      ].join("\n"),
      "dropped-send.scenario",
    );
    const { run } = await runAgainst([{ watch: "from-suite", after: /drop-me/, action: (io) => io.drop() }], [scenario]);
    expect(run.scenarios[0].verdict).toBe("error");
    expect(run.scenarios[0].reason).toMatch(/the component's stream is closed: the component closed the TCP connection/);
    expect(run.scenarios[0].reason).not.toMatch(/missing 'server connects'/);
  });
});

describe.concurrent("component role, class 4: the handshake digest in two TCP segments", () => {
  it("is redacted in every report, and so is each half of it", async () => {
    const seen = { digest: "" };
    const split: HostileRule = {
      after: /<handshake>[0-9a-f]{40}<\/handshake>/,
      passTrigger: false,
      action: (io, chunk) => {
        seen.digest = /<handshake>([0-9a-f]{40})</.exec(chunk)?.[1] ?? "";
        const at = chunk.indexOf(seen.digest) + 20;
        io.toSuite(chunk.slice(0, at));
        setTimeout(() => io.toSuite(chunk.slice(at)), 20);
      },
    };
    const { run, reports } = await runAgainst([split], ["me-rep-01-wrapped-reply", "me-dsc-01-delegation-feature"]);
    expect(seen.digest).toMatch(/^[0-9a-f]{40}$/);
    const everything = JSON.stringify(run) + reports;
    expect(everything).not.toContain(seen.digest);
    expect(everything).not.toContain(seen.digest.slice(0, 20));
    expect(everything).not.toContain(seen.digest.slice(20));
    expect(everything).not.toContain("managing-secret");
  });
});

describe.concurrent("component role, class 5: floods", () => {
  it("a flood of stanzas during a scenario: the stream is closed past the limit, and the scenario errors", async () => {
    const { run, reports } = await runAgainst([afterForward((io) => flood(io.suite, "<message from='pubsub.capulet.test' to='capulet.test'/>", 16 * 1024 * 1024))], ["me-rep-01-wrapped-reply"]);
    expect(run.scenarios[0].verdict).toBe("error");
    expect(run.scenarios[0].reason).toMatch(/a flood/);
    expect(reports.length).toBeLessThan(8 * 1024 * 1024);
  });
});

describe("component role, class 5: what arrives between scenarios is not replayed into the next one", () => {
  it("a released link drops and counts what the component sends; the next adopter gets a note instead", async () => {
    const role: ServerRole = { domain: "capulet.test", component: { jid: "pubsub.capulet.test", secret: "s3cret-x" }, version: 2, delegations: [], accounts: [] };
    let link: ComponentLink | undefined;
    const server = createServer((socket) => (link = new ComponentLink(socket, () => role, { ready: () => true, closed: () => undefined })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client: Socket = createConnection({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
    client.setEncoding("utf8");
    let received = "";
    client.on("data", (d: string) => (received += d));
    const until = async (test: () => boolean) => {
      for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      client.write(HEADER);
      await until(() => /id='([^']+)'/.test(received));
      const id = /id='([^']+)'/.exec(received)?.[1] ?? "";
      client.write(`<handshake>${createHash("sha1").update(id + "s3cret-x").digest("hex")}</handshake>`);
      await until(() => received.includes("<handshake/>"));
      const first: LinkEvent[] = [];
      link!.adopt((e) => first.push(e));
      client.write("<message id='during-first'/>");
      await until(() => first.some((e) => e.kind === "stanza"));
      link!.release();
      client.write("<message id='between'/><message id='between-2'/>");
      await new Promise((r) => setTimeout(r, 50));
      const second: LinkEvent[] = [];
      link!.adopt((e) => second.push(e));
      client.write("<message id='during-second'/>");
      await until(() => second.some((e) => e.kind === "stanza"));
      const stanzas = second.filter((e) => e.kind === "stanza").map((e) => (e.kind === "stanza" ? e.stanza.attrs.id : ""));
      expect(stanzas).toEqual(["during-second"]);
      expect(second[0]).toMatchObject({ kind: "note", text: expect.stringMatching(/^\d+ events? \(\d+ B\) of the component's stream between scenarios were discarded/) });
      expect(JSON.stringify(second)).not.toMatch(/id='between/);
    } finally {
      client.destroy();
      link?.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
