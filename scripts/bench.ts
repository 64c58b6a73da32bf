// How long a conformance run against the embedded mocks takes, as a user runs it: each run is a
// whole `xep0355 run` process (start-up, both mocks, every scenario, every report), timed from
// outside. A run counts only if it reaches the reference verdicts (exit 0, every scenario `pass`):
// a faster run that fails is not faster. Prints the median of each case; takes about 20–30 s.
// Usage: npm run bench [-- --repeats N] [--json]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { RunResult } from "../src/runner/result.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COMPILED = join(ROOT, "dist", "bin", "xep0355.js");

interface Case {
  label: string;
  command: string[];
}

interface Sample {
  wallMs: number;
  /** The scenarios' part of it (results.json durationMs): the rest is start-up, the mocks and the reports. */
  runMs: number;
  scenarios: number;
  passing: number;
  exit: number | null;
  problem?: string;
}

const { values } = parseArgs({ options: { repeats: { type: "string", default: "3" }, json: { type: "boolean", default: false } } });
const repeats = Math.max(1, Math.min(20, Number(values.repeats) || 3));

const node = process.execPath;
const cases: Case[] = [
  // What a user types: the compiled copy of the current sources (scripts/start.mjs), built if they changed.
  { label: "npm start (both roles)", command: ["npm", "start", "--silent", "--"] },
  { label: "run, both roles (bin/xep0355)", command: [node, join(ROOT, "bin", "xep0355"), "run"] },
  { label: "run --role server", command: [node, join(ROOT, "bin", "xep0355"), "run", "--role", "server"] },
  { label: "run --role component", command: [node, join(ROOT, "bin", "xep0355"), "run", "--role", "component"] },
];
// The compiled package (npm run build), when there is one: what `npx xep0355` runs.
if (existsSync(COMPILED)) cases.push({ label: "run, both roles (dist/, compiled)", command: [node, COMPILED, "run"] });

function once(c: Case): Sample {
  const reports = mkdtempSync(join(tmpdir(), "xep0355-bench-"));
  try {
    const started = performance.now();
    const child = spawnSync(c.command[0], [...c.command.slice(1), "--quiet", "--reports", reports], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    const wallMs = performance.now() - started;
    let run: RunResult | undefined;
    try {
      run = JSON.parse(readFileSync(join(reports, "results.json"), "utf8")) as RunResult;
    } catch {
      // no report: the problem says so below
    }
    const scenarios = run?.scenarios.length ?? 0;
    const passing = run?.scenarios.filter((s) => s.verdict === "pass").length ?? 0;
    const warning = child.stderr.trim();
    const problem = !run
      ? `no results.json (exit ${child.status}): ${warning.split("\n")[0] ?? ""}`
      : child.status !== 0
        ? `exit ${child.status}`
        : passing !== scenarios
          ? `${scenarios - passing} scenario(s) not passing: ${run.scenarios.filter((s) => s.verdict !== "pass").map((s) => `${s.id}=${s.verdict}`).slice(0, 5).join(", ")}`
          : warning
            ? `printed on stderr: ${warning.split("\n")[0]}`
            : undefined;
    return { wallMs, runMs: run?.durationMs ?? 0, scenarios, passing, exit: child.status, problem };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);

const began = performance.now();
// Unmeasured warm-ups, short: they load every module and scenario file (tsx transforms them, npm start builds
// its copy if the sources changed), but run two scenarios.
for (const c of cases.slice(0, 2)) once({ ...c, command: [...c.command, "--only", "SRV-ADV-01,ME-DSC-01"] });
const rows = cases.map((c) => {
  const samples = Array.from({ length: repeats }, () => once(c));
  const walls = samples.map((s) => s.wallMs);
  const problems = [...new Set(samples.flatMap((s) => (s.problem ? [s.problem] : [])))];
  return {
    case: c.label,
    command: c.command.slice(1).map((a) => a.replace(ROOT, "")).join(" "),
    runs: samples.length,
    medianS: Number(seconds(median(walls))),
    minS: Number(seconds(Math.min(...walls))),
    maxS: Number(seconds(Math.max(...walls))),
    scenarioPhaseS: Number(seconds(median(samples.map((s) => s.runMs)))),
    scenarios: samples[0].scenarios,
    verdict: problems.length === 0 ? "ok" : `FAILED: ${problems.join("; ")}`,
  };
});
const total = (performance.now() - began) / 1000;

if (values.json) {
  process.stdout.write(`${JSON.stringify({ node: process.version, repeats, rows, totalS: Number(total.toFixed(1)) }, null, 2)}\n`);
} else {
  const header = ["case", "median s", "min–max s", "scenario phase s", "scenarios", "verdict"];
  const table = rows.map((r) => [r.case, r.medianS.toFixed(2), `${r.minS.toFixed(2)}–${r.maxS.toFixed(2)}`, r.scenarioPhaseS.toFixed(2), String(r.scenarios), r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  process.stdout.write(`whole processes, median of ${repeats} after short warm-ups (Node ${process.version}); a run counts only with exit 0 and every scenario passing\n\n`);
  process.stdout.write(`${line(header)}\n${table.map(line).join("\n")}\n\ntotal ${total.toFixed(1)} s\n`);
}
process.exitCode = rows.every((r) => r.verdict === "ok") ? 0 : 1;
