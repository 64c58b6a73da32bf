import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = new URL("../bin/xep0355", import.meta.url).pathname;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], options: { interruptAfterMs?: number } = {}): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    if (options.interruptAfterMs) setTimeout(() => child.kill("SIGINT"), options.interruptAfterMs);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
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

describe("xep0355 CLI", () => {
  it("runs the server suite against the embedded mock, exits 0 and writes the reports", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--role", "server", "--reports", dir]);
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
    [["run", "--bogus"], /Unknown option '--bogus'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["run", "--role", "server", "--scenarios", "test/fixtures/bad-scenario"], /broken.scenario:10: unknown step 'juliet sendz:'/],
    [["run", "--target", "test/fixtures/does-not-exist.json"], /target file test\/fixtures\/does-not-exist.json: cannot read it/],
    [["run", "--target", "package.json"], /field 'role' is missing/],
    [["run", "--mock-fault", "SRV-NOPE-01"], /unknown fault 'SRV-NOPE-01'/],
  ])("%j gives a one-line error and exits 2", async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 3 within the connect timeout when the target is unreachable, reports written", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--target", "test/fixtures/unreachable-server.json", "--reports", dir, "--quiet"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/target unreachable/);
    expect(r.ms).toBeLessThan(10_000);
    expect(JSON.parse(await readFile(join(dir, "results.json"), "utf8")).scenarios[0].verdict).toBe("error");
  });

  it("Ctrl-C still writes the reports for what finished", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--role", "server", "--concurrency", "1", "--reports", dir], { interruptAfterMs: 2500 });
    expect(r.code).toBe(130);
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    expect(results.interrupted).toBe(true);
    expect(results.scenarios.length).toBeGreaterThan(0);
    expect(await readFile(join(dir, "junit.xml"), "utf8")).toContain("<testsuite");
  });

  it("--run-deadline stops a run that takes too long: every scenario is reported, unfinished ones as errors", async () => {
    const dir = await reportsDir();
    const r = await cli(["run", "--role", "server", "--concurrency", "1", "--run-deadline", "1500", "--reports", dir, "--quiet"]);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("run deadline of 1500 ms reached");
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    expect(results.interrupted).toBe(true);
    expect(results.scenarios.length).toBeGreaterThan(40);
    expect(results.scenarios.some((s: { reason: string }) => s.reason === "not run: the run was interrupted")).toBe(true);
  });

  it("list --requirements --json gives every requirement with its scenarios", async () => {
    const r = await cli(["list", "--requirements", "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; level: string; scenarios: string[] }[];
    expect(rows.find((x) => x.id === "SRV-REP-03")?.scenarios).toContain("srv-rep-03-wrong-inner-id");
    expect(rows.find((x) => x.id === "ME-REP-01")?.scenarios.length).toBeGreaterThan(0);
  });

  it("never writes secrets or SASL payloads into the reports", async () => {
    const dir = await reportsDir();
    await cli(["run", "--role", "server", "--reports", dir, "--quiet"]);
    const everything = (await readFile(join(dir, "results.json"), "utf8")) + (await readFile(join(dir, "junit.xml"), "utf8"));
    for (const secret of ["managing-secret", "other-secret", "juliet-pass", "romeo-pass", Buffer.from("\0juliet\0juliet-pass").toString("base64")]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain("[redacted]");
  });
});
