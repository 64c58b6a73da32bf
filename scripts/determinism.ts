// Runs `npm start` (both roles against the embedded mocks, each run its own process, as a user runs it) N times
// and checks the verdicts never change. Usage: node --import tsx scripts/determinism.ts [runs=20] [fault]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isComponentFault } from "../mocks/component/index.js";
import { isServerFault } from "../mocks/server/index.js";
import type { RunResult } from "../src/runner/result.js";

const runs = Number(process.argv[2] ?? 20);
const fault = process.argv[3];
if (fault && !isServerFault(fault) && !isComponentFault(fault)) throw new Error(`unknown fault ${fault}`);

const signatures = new Map<string, number>();
const started = Date.now();
let scenarios = 0;
for (let i = 0; i < runs; i++) {
  const reports = mkdtempSync(join(tmpdir(), "xep0355-determinism-"));
  // Exactly `npm start` (scripts/start.mjs: the compiled copy of the current sources), as a user runs it.
  const args = ["start", "--silent", "--", "--quiet", "--reports", reports, ...(fault ? ["--mock-fault", fault] : [])];
  const t0 = Date.now();
  const child = spawnSync("npm", args, { encoding: "utf8" });
  const run = JSON.parse(readFileSync(join(reports, "results.json"), "utf8")) as RunResult;
  rmSync(reports, { recursive: true, force: true });
  // A warning on stderr (MaxListenersExceededWarning, …) is a difference too.
  const stderr = child.stderr.trim();
  const signature =
    run.scenarios.map((r) => `${r.id}=${r.verdict}${r.failedRequirement ? `(${r.failedRequirement})` : ""}`).join(" ") + (stderr ? ` stderr: ${stderr}` : "");
  signatures.set(signature, (signatures.get(signature) ?? 0) + 1);
  scenarios = run.scenarios.length;
  const passing = run.scenarios.filter((r) => r.verdict === "pass").length;
  process.stdout.write(`run ${i + 1}/${runs}: exit ${child.status}, ${passing}/${run.scenarios.length} pass, ${Date.now() - t0} ms\n`);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (signatures.size === 1) {
  process.stdout.write(`deterministic: ${runs} runs × ${scenarios} scenarios, identical verdicts (${seconds} s)\n`);
} else {
  process.stdout.write(`NOT deterministic: ${signatures.size} different verdict sets over ${runs} runs\n`);
  for (const [s, n] of signatures) process.stdout.write(`  ${n}×: ${s}\n`);
  process.exitCode = 1;
}
