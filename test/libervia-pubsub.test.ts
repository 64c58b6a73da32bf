import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { stat } from "../src/launchers/procs.js";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compareWithExpected, readExpected } from "../src/report/expected.js";
import { LaunchedComponentDriver } from "../src/runner/drivers/launched-component-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { loadSuite } from "../src/scenario/load.js";
import { componentLaunchers } from "../src/launchers/component-launchers.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const EXPECTED = path.join(ROOT, "suites/expected/libervia-pubsub.json");

function packageInstalled(name: string): boolean {
  try {
    return execFileSync("dpkg-query", ["-W", "-f", "${Status}", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes("install ok installed");
  } catch {
    return false;
  }
}

const installed = fs.existsSync("/usr/bin/twistd3") && packageInstalled("libervia-pubsub") && fs.existsSync("/usr/lib/postgresql");

interface Proc {
  pid: number;
  start: string;
  /** command line when seen */
  cmd: string;
}


/** Live processes whose command line mentions `dir` (postgres -D DIR/…, twistd3 --logfile=DIR/…, the watchdog), and all their descendants (PostgreSQL's backends). */
function processesOf(dir: string): Proc[] {
  const all = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number);
  const roots: number[] = [];
  const children = new Map<number, number[]>();
  for (const pid of all) {
    if (pid === process.pid) continue;
    const s = stat(pid);
    if (!s || s.zombie) continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) roots.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.shift()!;
    if (out.has(pid)) continue;
    out.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...out].map((pid) => ({ pid, start: stat(pid)?.start ?? "", cmd: commandLine(pid) }));
}

function stillAlive(procs: Proc[]): Proc[] {
  return procs.filter((p) => {
    const s = stat(p.pid);
    return s !== undefined && !s.zombie && s.start === p.start;
  });
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "?";
  }
}

const commandOf = (p: Proc): string => p.cmd;

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe("libervia-pubsub, launched", () => {
  it.skipIf(!installed)("reaches the pinned verdicts, then leaves no process and no file behind", async () => {
    const expected = await readExpected(EXPECTED);
    const scenarios = await loadSuite("component");
    const driver = new LaunchedComponentDriver(componentLaunchers["libervia-pubsub"]);
    let dir: string | undefined;
    let procs: Proc[] = [];
    const { run, unreachable } = await executeRun([{ scenarios, driver }], {
      concurrency: 16, // as the CLI: the scenarios spread over the launcher's instances
      scenarioDeadlineMs: 60_000,
      strict: false,
      onTarget: () => {
        // prepared: PostgreSQL and twistd3 run, the component is connected
        dir = driver.component?.workDir;
        if (dir) procs = processesOf(dir);
      },
    });

    expect(unreachable).toEqual([]);
    expect(run.targets[0]?.software).toBe(expected.software);
    const summary = run.scenarios.map((s) => `${s.verdict.padEnd(6)} ${s.id}${s.reason ? ` — ${s.reason}` : ""}`).join("\n");
    expect(compareWithExpected(run, expected), summary).toEqual([]);

    expect(dir).toBeDefined();
    const commands = procs.map(commandOf).join("\n");
    expect(commands).toMatch(/twistd3 .*libervia-pubsub/);
    expect(commands).toMatch(/postgres -D /);
    expect(procs.length).toBeGreaterThanOrEqual(4); // watchdog, postmaster (+ its workers and backends), twistd3
    // one twistd3 per instance, each with its own connection, on the one PostgreSQL
    expect(procs.filter((p) => /twistd3 /.test(p.cmd))).toHaveLength(componentLaunchers["libervia-pubsub"].instances ?? 1);

    // executeRun closed the driver: everything is gone already
    expect(stillAlive(procs).map(commandOf)).toEqual([]);
    expect(processesOf(dir!)).toEqual([]);
    expect(fs.existsSync(dir!)).toBe(false);
    expect(driver.timings.setupMs).toBeGreaterThan(0);
    expect(driver.timings.teardownMs).toBeGreaterThanOrEqual(0);
    await driver.close(); // idempotent
  }, 120_000);

  it.skipIf(!installed)("another() starts a further instance on the same database; the launch's stop() ends it too", async () => {
    const launched = await componentLaunchers["libervia-pubsub"].launch();
    try {
      const second = await launched.another!();
      expect(second.target.listenPort).not.toBe(launched.target.listenPort);
      expect(second.target.component.secret).not.toBe(launched.target.component.secret);
      expect(second.target.component.jid).toBe(launched.target.component.jid);
      expect(second.workDir.startsWith(`${launched.workDir}/`)).toBe(true);
      await second.start();
      expect(processesOf(second.workDir).map(commandOf).join("\n")).toMatch(/twistd3 .*libervia-pubsub/);
      await launched.stop();
      expect(processesOf(launched.workDir)).toEqual([]);
      expect(fs.existsSync(launched.workDir)).toBe(false);
    } finally {
      await launched.stop();
    }
  }, 60_000);

  it.skipIf(!installed)("a launch copies the stored template cluster instead of running initdb", async () => {
    // the first launch on a machine stores the template (its phases: initdb, schema, template)
    const first = await componentLaunchers["libervia-pubsub"].launch();
    await first.stop();
    const second = await componentLaunchers["libervia-pubsub"].launch();
    await second.stop();
    expect(Object.keys(second.timings.setupPhases ?? {})).toEqual(["copy"]);
  }, 60_000);

  it.skipIf(!installed)("stop() is idempotent and also cleans up a component that never started", async () => {
    const launched = await componentLaunchers["libervia-pubsub"].launch();
    const dir = launched.workDir;
    expect(fs.existsSync(dir)).toBe(true);
    const procs = processesOf(dir);
    expect(procs.map(commandOf).join("\n")).toMatch(/postgres -D /);
    await Promise.all([launched.stop(), launched.stop()]);
    await launched.stop();
    expect(stillAlive(procs).map(commandOf)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
    await expect(launched.start()).rejects.toThrow(/after stop/);
  }, 60_000);

  /**
   * A child Node process launches and starts libervia-pubsub, then dies: by a signal it does not
   * handle (the safety net cleans up and re-raises), by a signal its own handler turns into exit
   * (the net defers, then 'exit' cleans up), or by SIGKILL (the watchdog cleans up).
   */
  const CHILD = `
    const { liberviaPubsubLauncher } = await import(${JSON.stringify(path.join(ROOT, "src/launchers/libervia-pubsub.ts"))});
    if (process.env.HOST_HANDLER) process.on("SIGTERM", () => setTimeout(() => process.exit(143), 200));
    const launched = await liberviaPubsubLauncher.launch();
    await launched.start();
    // a second instance: its twistd3 must go too
    await (await launched.another()).start();
    console.log("READY " + launched.workDir);
    setInterval(() => {}, 1000);
  `;

  for (const [how, signal, env] of [
    ["SIGINT, unhandled", "SIGINT", {}],
    ["SIGTERM, handled by the host program", "SIGTERM", { HOST_HANDLER: "1" }],
    ["SIGKILL (watchdog)", "SIGKILL", {}],
  ] as const) {
    it.skipIf(!installed)(`a suite process that dies (${how}) leaves nothing behind`, async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      let procs: Proc[] = [];
      let dir: string | undefined;
      try {
        expect(await until(() => output.includes("READY") || child.exitCode !== null, 30_000), output).toBe(true);
        expect(output).toContain("READY");
        dir = output.match(/READY (\S+)/)?.[1];
        expect(dir).toMatch(/xep0355-libervia-/);
        procs = processesOf(dir!).filter((p) => p.pid !== child.pid);
        expect(procs.filter((p) => /twistd3 .*libervia-pubsub/.test(p.cmd))).toHaveLength(2);
        child.kill(signal);
        await exited;
        // the watchdog polls once a second, then gives PostgreSQL up to 3 s
        const clean = await until(() => stillAlive(procs).length === 0 && !fs.existsSync(dir!), signal === "SIGKILL" ? 8000 : 3000);
        expect(stillAlive(procs).map(commandOf), output).toEqual([]);
        expect(fs.existsSync(dir!)).toBe(false);
        expect(clean).toBe(true);
      } finally {
        // a failed check must not leave the test's own processes behind
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        for (const p of stillAlive(procs)) process.kill(p.pid, "SIGKILL");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
