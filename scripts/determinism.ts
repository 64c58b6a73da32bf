// Runs the whole server-role suite N times against the embedded mock and checks the verdicts never change.
// Usage: node --import tsx scripts/determinism.ts [runs=20] [fault]
import { loadSuite } from "../src/scenario/load.js";
import { runSuite } from "../src/runner/runner.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { isServerFault } from "../mocks/server/index.js";

const runs = Number(process.argv[2] ?? 20);
const faultArg = process.argv[3];
if (faultArg && !isServerFault(faultArg)) throw new Error(`unknown fault ${faultArg}`);
const fault = faultArg && isServerFault(faultArg) ? faultArg : undefined;

const scenarios = await loadSuite("server");
const signatures = new Map<string, number>();
const started = Date.now();
for (let i = 0; i < runs; i++) {
  const driver = new MockServerDriver({ version: 2, faults: fault ? [fault] : [] });
  const outcome = await runSuite(scenarios, driver, await driver.prepare(), { concurrency: 4, scenarioDeadlineMs: 20_000 });
  const signature = outcome.results.map((r) => `${r.id}=${r.verdict}${r.failedRequirement ? `(${r.failedRequirement})` : ""}`).join(" ");
  signatures.set(signature, (signatures.get(signature) ?? 0) + 1);
  process.stdout.write(`run ${i + 1}/${runs}: ${outcome.results.filter((r) => r.verdict === "pass").length}/${outcome.results.length} pass\n`);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (signatures.size === 1) {
  process.stdout.write(`deterministic: ${runs} runs × ${scenarios.length} scenarios, identical verdicts (${seconds} s)\n`);
} else {
  process.stdout.write(`NOT deterministic: ${signatures.size} different verdict sets over ${runs} runs\n`);
  for (const [s, n] of signatures) process.stdout.write(`  ${n}×: ${s}\n`);
  process.exitCode = 1;
}
