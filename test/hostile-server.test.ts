import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeReports } from "../src/cli/reports.js";
import { overallVerdict } from "../src/report/aggregate.js";
import { buildHtmlReport } from "../src/report/html.js";
import { ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import { executeRun } from "../src/runner/execute.js";
import type { RunResult } from "../src/runner/result.js";
import { loadSuite } from "../src/scenario/load.js";
import { loadTargetFile } from "../src/target/load.js";
import type { ServerTarget } from "../src/target/types.js";
import { runCli } from "./helpers/cli.js";
import { deepStanza, flood, hostileServer, serverTarget, type HostileRule } from "./helpers/hostile.js";

/**
 * A delegating server that misbehaves, before login (the driver's start-up probe: the suite
 * cannot start, exit 3) and after (a scenario's stream: that scenario errors). Whatever it sends,
 * the run ends with a verdict and every report, never a crash, a false pass or a leaked secret.
 */

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='hostile-1' from='capulet.test' version='1.0'>";
const STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

/** Class 1 of issue 15: input xmpp.js's parser threw on from inside its socket handler (or silently skipped). */
const BAD_XML: [name: string, bytes: string, named: RegExp][] = [
  ["an undefined entity", "<message>&foo;</message>", /undefined entity &foo;/],
  ["an illegal character reference", "<message>&#0;</message>", /illegal XML character \(0x0\)/],
  ["a mismatched end tag", "<message></iq>", /mismatched end tag <\/iq>/],
  ["a DOCTYPE", "<!DOCTYPE x [<!ENTITY e 'boom'>]><message>&e;</message>", /DOCTYPE/],
  ["data after </stream:stream>", "</stream:stream><message/>", /data after the end of the stream/],
  ["an empty <stream:error/>", "<stream:error/>", /could not process <stream:error>/],
];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function reportsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "xep0355-hostile-"));
  dirs.push(dir);
  return dir;
}

/** Every report file exists; returns their concatenated text. */
async function allReports(dir: string): Promise<string> {
  const files = ["junit.xml", "results.json", "index.html", "summary.md", "badge.svg"];
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
  const logs = await readdir(join(dir, "transcripts"));
  expect(logs.length).toBeGreaterThan(0);
  texts.push(...(await Promise.all(logs.map((f) => readFile(join(dir, "transcripts", f), "utf8")))));
  return texts.join("\n");
}

async function runAgainst(rules: { c2s?: HostileRule[]; component?: HostileRule[] }, only: string[], adjust: (t: ServerTarget) => void = () => undefined) {
  const hostile = await hostileServer(rules);
  adjust(hostile.target);
  try {
    const scenarios = (await loadSuite("server")).filter((s) => only.includes(s.id));
    expect(scenarios.length).toBe(only.length);
    const execution = await executeRun([{ driver: new ServerTargetDriver(hostile.target), scenarios }], { concurrency: 4, scenarioDeadlineMs: 10_000, strict: false, onlyCovered: true });
    const dir = await reportsDir();
    await writeReports(execution.run, dir);
    return { ...execution, dir, reports: await allReports(dir) };
  } finally {
    await hostile.close();
  }
}

/** Before login: the server's header, then `bytes`, on the probe's connection (and every other). */
const beforeLogin = (bytes: string): HostileRule => ({ action: (io) => (io.mute(), io.toSuite(HEADER + bytes)) });
/** After login: `bytes` once the suite's client is bound, on every connection but the probe's. */
const afterLogin = (bytes: string | ((io: Parameters<HostileRule["action"]>[0]) => void)): HostileRule => ({
  fromConnection: 1,
  after: /<\/bind>/,
  action: (io) => (typeof bytes === "string" ? io.toSuite(bytes) : bytes(io)),
});

// Every class at once: each test has its own hostile server; the floods (class 5) run alone afterwards.
describe.concurrent("a hostile server", () => {
  describe("class 1: bad XML from the server is a verdict, never a crash", () => {
    for (const [name, bytes, named] of BAD_XML) {
      it(`${name} before login: the suite cannot start (exit 3), the problem named and the bytes quoted`, async () => {
        const { unreachable, run, reports } = await runAgainst({ c2s: [beforeLogin(bytes)] }, ["srv-fwd-05-full-jid"]);
        expect(unreachable).toEqual([expect.stringMatching(named)]);
        expect(unreachable[0]).toContain("the suite refused the target's input");
        expect(run.scenarios[0].verdict).toBe("error");
        expect(reports).toContain("refused the target");
      });

      it(`${name} after login: the scenario that owned the stream errors, with the bytes quoted`, async () => {
        const { unreachable, run } = await runAgainst({ c2s: [afterLogin(bytes)] }, ["srv-fwd-05-full-jid"]);
        expect(unreachable).toEqual([]);
        const [s] = run.scenarios;
        expect(s.verdict).toBe("error");
        expect(s.reason).toMatch(named);
        // The bytes follow the bind result: they may reach the client before its login is complete.
        expect(s.reason).toMatch(/stream (closed|already closed)|login failed after \d+ ms/);
      });
    }
  });

  describe("class 2: a stanza 2,000 levels deep", () => {
    it("after login: refused past the depth limit (error), and every report is written", async () => {
      const { run, reports } = await runAgainst({ c2s: [afterLogin(deepStanza(2000))] }, ["srv-fwd-05-full-jid"]);
      expect(run.scenarios[0].verdict).toBe("error");
      expect(run.scenarios[0].reason).toMatch(/nested deeper than 64 levels \(|nested deeper than 64 levels/);
      expect(reports).toContain("<testsuites");
    });

    it("the HTML report renders a deep stanza truncated, saying so, instead of overflowing", () => {
      const deep = deepStanza(2000);
      const run: RunResult = {
        suiteVersion: "test",
        startedAt: new Date(0).toISOString(),
        durationMs: 1,
        targets: [{ role: "server", name: "t", protocolVersion: "0.5" }],
        interrupted: false,
        requirements: [],
        scenarios: [
          {
            id: "deep",
            title: "deep",
            role: "server",
            file: "deep.scenario",
            requirements: ["SRV-FWD-05"],
            verdict: "fail",
            reason: "SRV-FWD-05: juliet expected <iq/>: at /message: expected <iq>, received <message>",
            failedRequirement: "SRV-FWD-05",
            evidence: { step: "juliet expected <iq/>", line: 3, expected: "<iq type='result'/>", received: [deep] },
            notes: [],
            readings: {},
            durationMs: 1,
            transcript: [
              { t: 0, actor: "juliet", direction: "in", data: HEADER },
              { t: 1, actor: "juliet", direction: "in", data: deepStanza(60) },
              { t: 2, actor: "juliet", direction: "in", data: deep },
            ],
          },
        ],
      };
      const html = buildHtmlReport(run);
      expect(html).toContain("deeper level(s) not shown: nested more than 48 levels");
    });
  });

  /** The scenarios of issue 15 whose "receives nothing" passed on a dead managing-entity stream. */
  const NEGATIVE = [
    "srv-fwd-05-full-jid",
    "srv-fwd-06-foreign-domain",
    "srv-fwd-10-result-not-forwarded",
    "srv-fwd-10-undelegated-namespace",
    "srv-flt-02-attribute-missing",
    "srv-adv-05-delegation-namespace-not-forwarded",
  ];
  const withFiltering = (t: ServerTarget) => {
    t.features.filtering = true;
    t.delegations.filtered = { namespace: "urn:xmpp:mam:2", attributes: ["node"] };
  };

  describe("class 3: a negative check needs a live stream", () => {
    it("a server that drops every component right after the handshake gets no pass: each such scenario errors", async () => {
      const drop: HostileRule = { after: /<handshake\/>/, action: (io) => setTimeout(() => io.drop(), 5) };
      const { run } = await runAgainst({ component: [drop] }, NEGATIVE, withFiltering);
      expect(run.scenarios.map((s) => [s.id, s.verdict]).sort()).toEqual(NEGATIVE.map((id) => [id, "error"]).sort());
      for (const s of run.scenarios) expect(s.reason).toMatch(/stream (closed|already closed)|could not connect|stream is closed/);
      expect(overallVerdict(run.requirements, { partial: true }).compliant).toBe(false);
    });

    it("a stream that closes during the window is an error naming when, not a pass", async () => {
      // The managing entity's stream stays up for the handshake and the advertisement, then the server closes it.
      const late: HostileRule = { after: /<message[^>]*><delegation/, action: (io) => setTimeout(() => io.drop(), 60) };
      const { run } = await runAgainst({ component: [late] }, ["srv-fwd-05-full-jid"]);
      expect(run.scenarios[0].verdict).toBe("error");
      expect(run.scenarios[0].reason).toMatch(/me should receive nothing matching .*stream (closed after \d+ ms|already closed \d+ ms before).*"receives nothing" needs a live stream/);
    });
  });

  describe("class 4: secrets stay out of everything written", () => {
    /** The SASL PLAIN payload the suite sends, and the password in it, as the hostile server saw them. */
    const seen = { payload: "", password: "juliet-pass" };
    const echo = (kind: "sasl" | "stream"): HostileRule => ({
      watch: "from-suite",
      after: /<auth[^>]*>[^<]+<\/auth>/,
      passTrigger: false,
      action: (io, chunk) => {
        seen.payload = /<auth[^>]*>([^<]+)<\/auth>/.exec(chunk)?.[1] ?? "";
        const decoded = Buffer.from(seen.payload, "base64").toString("utf8").replace(/\0/g, " ");
        const text = `bad credentials ${seen.payload} (${decoded})`;
        // Split across two TCP segments, in the middle of the payload.
        const xml =
          kind === "sasl"
            ? `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>${text}</text></failure>`
            : `<stream:error><not-authorized xmlns='${STREAMS}'/><text xmlns='${STREAMS}'>${text}</text></stream:error></stream:stream>`;
        const cut = xml.indexOf(seen.payload) + 6;
        io.toSuite(xml.slice(0, cut));
        setTimeout(() => io.toSuite(xml.slice(cut)), 20);
      },
    });

    for (const kind of ["sasl", "stream"] as const) {
      it(`a server echoing the SASL payload and the password in its ${kind} error text, split across segments: redacted everywhere`, async () => {
        const { unreachable, run, reports } = await runAgainst({ c2s: [echo(kind)] }, ["srv-fwd-05-full-jid", "srv-dsc-01-feature"]);
        expect(seen.payload.length).toBeGreaterThan(8);
        expect(unreachable.length).toBe(1);
        const everything = JSON.stringify({ unreachable, run }) + reports;
        expect(everything).not.toContain(seen.payload);
        expect(everything).not.toContain(seen.password);
        expect(everything).not.toContain(seen.payload.slice(0, 12));
      });
    }

    it("after login, a stream error whose text holds a password: the reason and the transcript are redacted", async () => {
      const rule = afterLogin(`<stream:error><policy-violation xmlns='${STREAMS}'/><text xmlns='${STREAMS}'>romeo's password is romeo-pass</text></stream:error></stream:stream>`);
      const { run, reports } = await runAgainst({ c2s: [rule] }, ["srv-fwd-05-full-jid"]);
      expect(run.scenarios[0].verdict).toBe("error");
      expect(run.scenarios[0].reason).toContain("policy-violation");
      expect(run.scenarios[0].reason).toContain("[redacted]");
      expect(JSON.stringify(run) + reports).not.toContain("romeo-pass");
    });
  });

  describe("class 8: diagnostics say what the server did", () => {
    it("a stream error before login keeps its condition and text", async () => {
      const { unreachable } = await runAgainst({ c2s: [beforeLogin(`<stream:error><policy-violation xmlns='${STREAMS}'/><text xmlns='${STREAMS}'>go away, suite</text></stream:error></stream:stream>`)] }, ["srv-dsc-01-feature"]);
      expect(unreachable[0]).toMatch(/policy-violation/);
      expect(unreachable[0]).toContain("go away, suite");
    });

    it("a stream error in answer to the probe's first query keeps its text (not 'probe is not connected')", async () => {
      const rule: HostileRule = {
        watch: "from-suite",
        after: /probe-disco/,
        passTrigger: false,
        action: (io) => io.toSuite(`<stream:error><system-shutdown xmlns='${STREAMS}'/><text xmlns='${STREAMS}'>maintenance until noon</text></stream:error></stream:stream>`),
      };
      const { unreachable } = await runAgainst({ c2s: [rule] }, ["srv-dsc-01-feature"]);
      expect(unreachable[0]).toContain("maintenance until noon");
      expect(unreachable[0]).toContain("system-shutdown");
    });

    it("a server that closes during login: 'failed after N ms: the target closed the connection', not 'timed out'", async () => {
      const rule: HostileRule = { action: (io) => (io.mute(), io.toSuite(HEADER), setTimeout(() => io.drop(), 30)) };
      const { unreachable } = await runAgainst({ c2s: [rule] }, ["srv-dsc-01-feature"]);
      expect(unreachable[0]).toMatch(/login failed after \d+ ms: the target closed the connection/);
      expect(unreachable[0]).not.toMatch(/timed out/);
    });
  });

  describe("the command: exit codes and reports against a hostile server", () => {
    async function cli(rules: { c2s?: HostileRule[]; component?: HostileRule[] }, args: string[], adjust: (t: ServerTarget) => void = () => undefined) {
      const hostile = await hostileServer(rules);
      adjust(hostile.target);
      const dir = await reportsDir();
      const file = join(dir, "target.json");
      await writeFile(file, JSON.stringify(hostile.target));
      try {
        const outcome = await runCli(["run", "--target", file, "--reports", join(dir, "reports"), ...args], { killAfterMs: 60_000 });
        return { ...outcome, reports: await allReports(join(dir, "reports")) };
      } finally {
        await hostile.close();
      }
    }

    it("bad XML before login: exit 3, every report written", async () => {
      const { code, stderr, reports } = await cli({ c2s: [beforeLogin("<message>&foo;</message>")] }, ["--only", "srv-fwd-05-full-jid"]);
      expect(stderr).toMatch(/undefined entity &foo;/);
      expect(stderr).not.toMatch(/internal error/);
      expect(code).toBe(3);
      expect(reports).toContain("undefined entity");
    });

    it("dead component streams with --only: not 'compliant', exit 1", async () => {
      const drop: HostileRule = { after: /<handshake\/>/, action: (io) => setTimeout(() => io.drop(), 5) };
      const { code, stdout } = await cli({ component: [drop] }, ["--only", NEGATIVE.join(","), "--quiet"], withFiltering);
      expect(stdout).not.toMatch(/^compliant/m);
      expect(code).toBe(1);
    });

    it("class 7: a timeout beyond 2^31−1 ms is refused with a clear message, not turned into 1 ms", async () => {
      const dir = await reportsDir();
      const file = join(dir, "target.json");
      await writeFile(file, JSON.stringify({ ...serverTarget(5222, 5347), timeouts: { step: 99_999_999_999 } }));
      await expect(loadTargetFile(file)).rejects.toThrow(/timeouts\.step' must be a positive number of milliseconds, at most 2147483647/);
      const option = await runCli(["run", "--role", "server", "--timeout", "99999999999"], { killAfterMs: 30_000 });
      expect(option.stderr).toMatch(/--timeout must be at most 2147483647/);
      expect(option.code).toBe(2);
    });

    it("a password echoed in a stream error after login: not on the console, not in any report", async () => {
      const rule = afterLogin(`<stream:error><policy-violation xmlns='${STREAMS}'/><text xmlns='${STREAMS}'>juliet-pass romeo-pass</text></stream:error></stream:stream>`);
      const { stdout, stderr, reports } = await cli({ c2s: [rule] }, ["--only", "srv-fwd-05-full-jid"]);
      expect(stdout + stderr + reports).not.toMatch(/juliet-pass|romeo-pass/);
      expect(stdout).toContain("[redacted]");
    });
  });
});

// Not concurrent: a flood in this process slows every other test's streams down.
describe("class 5: floods are cut, counted and reported", () => {
  it("a flood of small stanzas after login: the stream is closed past the limit, the transcript cut and the cut reported", async () => {
    const { run, dir } = await runAgainst({ c2s: [afterLogin((io) => flood(io.suite, `<message from='x@capulet.test' to='juliet@capulet.test'><body>${"spam ".repeat(100)}</body></message>`, 40 * 1024 * 1024))] }, ["srv-fwd-05-full-jid"]);
    const [s] = run.scenarios;
    expect(s.verdict).toBe("error");
    expect(s.reason).toMatch(/a flood/);
    expect(s.notes.join("\n")).toMatch(/caps: the transcript reached its limit of \d+ KiB: \d+ more entr(y|ies) \([\d.]+ (KiB|MiB)\) counted, not recorded/);
    const json = await readFile(join(dir, "results.json"), "utf8");
    const html = await readFile(join(dir, "index.html"), "utf8");
    expect(json.length).toBeLessThan(4 * 1024 * 1024);
    expect(html.length).toBeLessThan(4 * 1024 * 1024);
  });

  it("one huge stanza: refused past the stanza limit", async () => {
    const { run } = await runAgainst({ c2s: [afterLogin((io) => (io.toSuite("<message to='juliet@capulet.test'><body>"), flood(io.suite, "x", 20 * 1024 * 1024)))] }, ["srv-fwd-05-full-jid"]);
    expect(run.scenarios[0].verdict).toBe("error");
    expect(run.scenarios[0].reason, run.scenarios[0].reason).toMatch(/a stanza larger than 512 KiB/);
  });
});
