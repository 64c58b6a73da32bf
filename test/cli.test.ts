import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startMockServer } from "../mocks/server/index.js";
import { BIN, DEV_BIN, runCli, runCommand, type CommandOutcome } from "./helpers/cli.js";

type Outcome = CommandOutcome;

function cli(args: string[], options: { interruptAfterMs?: number; interruptOnOutput?: RegExp } = {}): Promise<Outcome> {
  return runCli(args, { env: { NO_COLOR: "1" }, ...options });
}

const made: string[] = [];
const reportsDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "xep0355-cli-"));
  made.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

/** One whole server-role run against the embedded mock, shared by the tests that read its output and reports. */
let wholeRun: Promise<{ dir: string; r: Outcome }> | undefined;
const wholeServerRun = () => (wholeRun ??= reportsDir().then(async (dir) => ({ dir, r: await cli(["run", "--role", "server", "--reports", dir]) })));

// Each case runs its own command, on its own reports folder (and mock, where it needs one): side by side, so
// that one's waits (a connect timeout, a scenario's quiet window) overlap another's start-up. A few at a time:
// more would only share the same two cores among more start-ups.
vi.setConfig({ maxConcurrency: 4 });
describe.concurrent("xep0355 CLI", () => {
  it("runs the server suite against the embedded mock, exits 0 and writes the reports", async () => {
    const { dir, r } = await wholeServerRun();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compliant: all \d+ MUST requirements pass/);
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    expect(results.scenarios.length).toBeGreaterThan(40);
    expect(await readFile(join(dir, "junit.xml"), "utf8")).toContain("<testsuite");
  });

  it("exits 1 and names the failing requirement when a MUST fails (mock fault)", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--role", "server", "--mock-fault", "SRV-REP-05", "--only", "SRV-REP-05", "--reports", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("SRV-REP-05");
    expect(r.stdout).toMatch(/not compliant: .*SRV-REP-05/);
  });

  it.each([
    [["run", "--bogus"], /^xep0355 run: unknown option --bogus \(see xep0355 run --help\)$/],
    [["run", "--reprots", "x"], /^xep0355 run: unknown option --reprots; did you mean --reports\? \(see xep0355 run --help\)$/],
    [["run", "--target"], /^xep0355 run: option --target needs a value \(see xep0355 run --help\)$/],
    [["run", "--quiet=yes"], /^xep0355 run: option --quiet takes no value/],
    [["list", "extra"], /^xep0355 list: unexpected argument 'extra' \(see xep0355 list --help\)$/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["run", "--role", "server", "--scenarios", "test/fixtures/bad-scenario"], /broken.scenario:10: unknown step 'juliet sendz:'/],
    [["run", "--scenarios", "test/fixtures/nothing-here"], /^xep0355 run: --scenarios test\/fixtures\/nothing-here: no such file or folder$/],
    [["run", "--role", "component", "--scenarios", "suites/server/adv-01-advertisement.scenario"], /is a server scenario, but the run tests the component role/],
    [["run", "--mock-fault", "SRV-NOPE-01"], /unknown fault 'SRV-NOPE-01'/],
    [["run", "--reports", "package.json"], /^xep0355 run: --reports package.json: is a file; --reports takes a folder/],
    [["run", "--reports", "/proc/nope"], /^xep0355 run: --reports \/proc\/nope: cannot create the folder \(ENOENT\)$/],
  ])("%j gives a one-line error and exits 2, before running anything", async (args, message) => {
    const r = await runCli(args as string[], { env: { NO_COLOR: "1" }, killAfterMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it.each([
    [["run", "--target", "test/fixtures/does-not-exist.json"], /target file test\/fixtures\/does-not-exist.json: cannot read it/],
    [["run", "--target", "package.json"], /field 'role' is missing/],
  ])("%j: an unusable target file is a set-up problem, exit 3 with one line", async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a typo in a target file is refused with the field and what it meant, before anything runs", async () => {
    const mock = await startMockServer();
    try {
      const dir = await reportsDir();
      const { features, ...rest } = mockTarget(mock);
      const file = join(dir, "typo.json");
      await writeFile(file, JSON.stringify({ ...rest, featurs: features }));
      const r = await cli(["run", "--target", file, "--reports", join(dir, "reports")]);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`xep0355: target file ${file}: field 'featurs' is not a server target field (did you mean 'features'?)\n`);
      expect(r.stdout).toBe("");
    } finally {
      await mock.stop();
    }
  });

  it("--scenarios takes a single file, and files and folders together", async () => {
    const dir = await reportsDir();
    await mkdir(join(dir, "more"));
    await copyFile("suites/server/adv-01-advertisement.scenario", join(dir, "more", "adv-01.scenario"));
    const one = await cli(["run", "--scenarios", "suites/server/fwd-01-no-to.scenario", "--reports", join(dir, "r1"), "--quiet"]);
    const ids = async (r: string) => (JSON.parse(await readFile(join(dir, r, "results.json"), "utf8")) as { scenarios: { id: string }[] }).scenarios.map((s) => s.id);
    expect(one.stderr).toBe("");
    expect(await ids("r1")).toEqual(["srv-fwd-01-no-to"]);
    const both = await cli(["run", "--scenarios", `suites/server/fwd-01-no-to.scenario,${join(dir, "more")}`, "--scenarios", "suites/component/me-rep-01-wrapped-reply.scenario", "--reports", join(dir, "r2"), "--quiet"]);
    expect(both.stderr).toBe("");
    expect((await ids("r2")).sort()).toEqual(["me-rep-01-wrapped-reply", "srv-adv-01-advertisement", "srv-fwd-01-no-to"]);
  });

  it("NO_COLOR turns the colours off on a terminal; FORCE_COLOR turns them on in a pipe", async () => {
    const sgr = /\x1b\[(3\d|9\d)m/;
    const dir = await reportsDir();
    // script(1) gives the command a terminal of its own
    const onTerminal = (env: string) => runCommand("script", ["-qec", `env -u FORCE_COLOR ${env} '${BIN}' run --role server --only SRV-ADV-01 --reports '${dir}'`, "/dev/null"]);
    expect((await onTerminal("NO_COLOR=")).stdout).toMatch(sgr);
    expect((await onTerminal("NO_COLOR=1")).stdout).not.toMatch(sgr);
    expect((await runCli(["run", "--role", "server", "--only", "SRV-ADV-01", "--reports", await reportsDir()], { env: { FORCE_COLOR: "1", NO_COLOR: "" } })).stdout).toMatch(sgr);
  });

  it("exits 3 within the connect timeout when the target is unreachable, reports written", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--target", "test/fixtures/unreachable-server.json", "--reports", dir, "--quiet"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/target unreachable/);
    expect(r.ms).toBeLessThan(10_000);
    expect(JSON.parse(await readFile(join(dir, "results.json"), "utf8")).scenarios[0].verdict).toBe("error");
  });

  it("a refused component handshake is a set-up error: exit 3, naming the credential, no verdict", async () => {
    const mock = await startMockServer();
    try {
      const dir = await reportsDir();
      const file = join(dir, "target.json");
      await writeFile(file, JSON.stringify(mockTarget(mock, { secret: "Not-the-s3cret" })));
      const r = await cli(["run", "--target", file, "--only", "srv-adv-01-advertisement", "--reports", join(dir, "reports"), "--quiet"]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/set-up error, no verdict: server: .*refused the handshake of component pubsub.capulet.test \(not-authorized\): check components.managing.secret in the target file/);
      expect(r.stdout).not.toMatch(/compliant/);
      expect(r.stdout + r.stderr).not.toContain("Not-the-s3cret");
    } finally {
      await mock.stop();
    }
  });

  it("a MUST without a scenario is untested: never compliant, exit 1 (features.clientMode declared, no client-mode scenario)", async () => {
    const mock = await startMockServer();
    try {
      const dir = await reportsDir();
      const file = join(dir, "target.json");
      await writeFile(file, JSON.stringify(mockTarget(mock, { clientMode: true })));
      // One scenario (not --only, which reports only what it covers): every other row is reported too.
      await mkdir(join(dir, "one"));
      await copyFile("suites/server/adv-01-advertisement.scenario", join(dir, "one", "adv-01.scenario"));
      const r = await cli(["run", "--target", file, "--scenarios", join(dir, "one"), "--reports", join(dir, "reports"), "--quiet"]);
      const results = JSON.parse(await readFile(join(dir, "reports", "results.json"), "utf8")) as { requirements: { id: string; verdict: string }[] };
      expect(results.requirements.find((x) => x.id === "SRV-CLI-01")?.verdict).toBe("untested");
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/incomplete: .*untested: .*SRV-CLI-01/);
    } finally {
      await mock.stop();
    }
  });

  it("--strict counts not-supported as failure: exit 1, blaming only the requirement that was not supported", async () => {
    // The mock as `serve mock-server` runs it (keepGrants off) behind a target file declaring client mode but not
    // features.keptGrants: SRV-CLI-10/11 (#rules 1, a MAY) are its only not-supported rows.
    const mock = await startMockServer();
    try {
      const dir = await reportsDir();
      const file = join(dir, "target.json");
      await writeFile(file, JSON.stringify(mockTarget(mock, { clientMode: true })));
      const r = await cli(["run", "--target", file, "--strict", "--only", "SRV-CLI-10,SRV-CLI-11,SRV-CLI-03", "--reports", join(dir, "reports"), "--quiet"]);
      expect(r.code).toBe(1);
      const results = JSON.parse(await readFile(join(dir, "reports", "results.json"), "utf8")) as { requirements: { id: string; verdict: string; level: string }[] };
      const failing = results.requirements.filter((x) => x.verdict === "fail").map((x) => x.id);
      expect(failing.sort(), failing.join(", ")).toEqual(["SRV-CLI-10", "SRV-CLI-11"]);
    } finally {
      await mock.stop();
    }
  });

  it("--version prints the suite's version, from the compiled command and from the sources through tsx (XEP0355_TSX=1 bin/xep0355)", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^xep0355 \d+\.\d+\.\d+ /);
    const dev = await runCommand(DEV_BIN, ["--version"], { env: { XEP0355_TSX: "1" } });
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toBe(r.stdout);
  });

  it("a reader that goes away (list | head) ends the output quietly", async () => {
    const r = await runCommand("bash", ["-c", `'${BIN}' list --requirements | head -1`], { env: { NO_COLOR: "1" } });
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toBe("");
  });

  it("Ctrl-C still writes the reports for what finished", async () => {
    const dir = await reportsDir();
    // Once the run has printed its target line: a fixed delay raced a slow start-up on a busy machine.
    const r = await cli(["run", "--role", "server", "--concurrency", "1", "--reports", dir], { interruptOnOutput: /server role:/ });
    expect(r.code).toBe(130);
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    expect(results.interrupted).toBe(true);
    expect(results.scenarios.length).toBeGreaterThan(0);
    expect(await readFile(join(dir, "junit.xml"), "utf8")).toContain("<testsuite");
  });

  it("--run-deadline stops a run that takes too long: every scenario is reported, unfinished ones as errors", async () => {
    const dir = await reportsDir();
    // Against the mocks a window ends once nothing more can happen (mocks/quiescence.ts): one at a time, the
    // suite still takes well over 100 ms (more than a hundred logins), never under it.
    const r = await cli(["run", "--role", "server", "--concurrency", "1", "--run-deadline", "100", "--reports", dir, "--quiet"]);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("run deadline of 100 ms reached");
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    expect(results.interrupted).toBe(true);
    expect(results.scenarios.length).toBeGreaterThan(40);
    expect(results.scenarios.some((s: { reason: string }) => s.reason === "not run: the run was interrupted")).toBe(true);
  });

  it("list --requirements --json gives every requirement with its scenarios (the sources through tsx, XEP0355_TSX=1: .scenario.ts modules loaded as TypeScript)", async () => {
    const r = await runCommand(DEV_BIN, ["list", "--requirements", "--json"], { env: { NO_COLOR: "1", XEP0355_TSX: "1" } });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; level: string; scenarios: string[] }[];
    expect(rows.find((x) => x.id === "SRV-REP-03")?.scenarios).toContain("srv-rep-03-wrong-inner-id");
    expect(rows.find((x) => x.id === "ME-REP-01")?.scenarios.length).toBeGreaterThan(0);
  });

  it("never writes secrets or SASL payloads into the reports", async () => {
    const { dir } = await wholeServerRun();
    const everything = (await readFile(join(dir, "results.json"), "utf8")) + (await readFile(join(dir, "junit.xml"), "utf8"));
    for (const secret of ["managing-secret", "other-secret", "juliet-pass", "romeo-pass", Buffer.from("\0juliet\0juliet-pass").toString("base64")]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain("[redacted]");
  });
});

/** A target file for an in-process mock server (its default accounts and components). */
function mockTarget(mock: { c2sPort: number; componentPort: number }, options: { secret?: string; clientMode?: boolean } = {}) {
  return {
    role: "server",
    name: "mock server through a target file",
    host: "127.0.0.1",
    domain: "capulet.test",
    c2sPort: mock.c2sPort,
    componentPort: mock.componentPort,
    version: 2,
    accounts: { juliet: { username: "juliet", password: "juliet-pass" }, romeo: { username: "romeo", password: "romeo-pass" } },
    components: { managing: { jid: "pubsub.capulet.test", secret: options.secret ?? "managing-secret" }, other: { jid: "other.capulet.test", secret: "other-secret" } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
    features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: true, clientMode: options.clientMode ?? false },
    timeouts: { step: 1500, quiet: 200, connect: 3000 },
  };
}
