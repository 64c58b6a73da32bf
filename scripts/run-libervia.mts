// Launches libervia-pubsub (with its own PostgreSQL), runs the component-role suite against it, stops everything.
// What `xep0355 run --launch libervia-pubsub` does, until the CLI is wired.
//
// Usage: node --import tsx scripts/run-libervia.mts [options]
//   --runs N              repeat N times (fresh component and database each time); verdicts must not change
//   --reports DIR         where results.json / junit.xml go (default reports)
//   --expect FILE         compare with pinned verdicts (default suites/expected/libervia-pubsub.json, if present)
//   --write-expected FILE pin today's verdicts
//   --only IDS            scenario ids or requirement IDs, comma-separated
//   --logs DIR            keep libervia-pubsub's and PostgreSQL's logs in DIR/<run>/
//   --concurrency N       (default 4; the component's one connection serialises scenarios anyway)
// Exit: 0 verdicts as expected (or all MUSTs pass without an expected file), 1 otherwise, 3 launch failed, 130 Ctrl-C.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { EXIT } from "../src/cli/errors.js";
import { writeReports } from "../src/cli/reports.js";
import { overallVerdict } from "../src/report/aggregate.js";
import { formatRequirementTable, formatScenarioLine, formatSummary } from "../src/report/console.js";
import { compareWithExpected, readExpected, writeExpected } from "../src/report/expected.js";
import { LaunchedComponentDriver } from "../src/runner/drivers/launched-component-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { loadSuite } from "../src/scenario/load.js";
import { componentLaunchers } from "../src/launchers/component-launchers.js";

const DEFAULT_EXPECTED = "suites/expected/libervia-pubsub.json";
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    reports: { type: "string", default: "reports" },
    expect: { type: "string" },
    "write-expected": { type: "string" },
    only: { type: "string" },
    logs: { type: "string" },
    concurrency: { type: "string", default: "4" },
  },
});
const runs = Number(values.runs);
const expectPath = values.expect ?? (values["write-expected"] || !fs.existsSync(DEFAULT_EXPECTED) ? undefined : DEFAULT_EXPECTED);
const expected = expectPath ? await readExpected(expectPath) : undefined;

let scenarios = await loadSuite("component");
if (values.only) {
  const wanted = new Set(values.only.split(","));
  scenarios = scenarios.filter((s) => wanted.has(s.id) || s.requirements.some((r) => wanted.has(r)));
}

const abort = new AbortController();
const onSignal = () => {
  if (abort.signal.aborted) process.exit(EXIT.interrupted);
  process.stderr.write("\ninterrupted: finishing the running scenario, stopping libervia-pubsub and PostgreSQL (Ctrl-C again to quit now)\n");
  abort.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const signatures = new Map<string, number[]>();
let exit: number = EXIT.compliant;
for (let i = 1; i <= runs && !abort.signal.aborted; i++) {
  if (runs > 1) process.stdout.write(`\n=== run ${i}/${runs}\n`);
  const driver = new LaunchedComponentDriver(componentLaunchers["libervia-pubsub"], { logDir: values.logs });
  const { run, unreachable } = await executeRun([{ scenarios, driver }], {
    concurrency: Number(values.concurrency),
    scenarioDeadlineMs: 60_000,
    strict: false,
    signal: abort.signal,
    onTarget: (t) => process.stdout.write(`${t.role} role: ${t.name} — ${t.software} — XEP-0355 ${t.protocolVersion}\n`),
    onResult: (r) => process.stdout.write(`${formatScenarioLine(r)}\n`),
  });
  const paths = await writeReports(run, values.reports);
  if (values["write-expected"]) {
    await writeExpected(run, "libervia-pubsub", values["write-expected"]);
    process.stdout.write(`expected verdicts written to ${values["write-expected"]}\n`);
  }
  process.stdout.write(`\n${formatRequirementTable(run.requirements, { scenarios: run.scenarios })}\n${formatSummary(run)}\n`);
  process.stdout.write(`reports: ${paths.join(", ")}\n`);
  const t = driver.timings;
  process.stdout.write(
    `timings: set-up ${t.setupMs} ms (${Object.entries(t.setupPhases ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}), ` +
      `component start→handshake ${t.connectMs} ms, prepare ${t.prepareMs} ms, suite ${t.suiteMs} ms, tear-down ${t.teardownMs} ms, ` +
      `whole run ${run.durationMs} ms\n`,
  );
  for (const line of unreachable) process.stderr.write(`run-libervia: ${line}\n`);
  const signature = run.scenarios.map((s) => `${s.id}=${s.verdict}`).join(" ");
  signatures.set(signature, [...(signatures.get(signature) ?? []), i]);
  if (run.interrupted) exit = EXIT.interrupted;
  else if (unreachable.length) exit = Math.max(exit, EXIT.unreachable);
  else if (expected) {
    const differences = compareWithExpected(run, expected);
    if (differences.length) {
      exit = Math.max(exit, EXIT.notCompliant);
      process.stdout.write(`verdicts differ from ${expectPath}:\n${differences.map((d) => `  ${d}`).join("\n")}\n`);
    } else process.stdout.write(`verdicts match ${expectPath} (${run.scenarios.length} scenarios)\n`);
  } else if (!overallVerdict(run.requirements).compliant) exit = Math.max(exit, EXIT.notCompliant);
}
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
if (runs > 1) {
  process.stdout.write(signatures.size === 1 ? `\ndeterministic: ${runs} runs, identical verdicts\n` : `\nNOT deterministic: ${signatures.size} verdict sets\n`);
  for (const [s, list] of signatures) if (signatures.size > 1) process.stdout.write(`  runs ${list.join(",")}: ${s}\n`);
  if (signatures.size > 1) exit = Math.max(exit, EXIT.notCompliant);
}
process.exitCode = exit;
