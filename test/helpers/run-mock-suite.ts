import { loadSuite } from "../../src/scenario/load.js";
import { runSuite } from "../../src/runner/runner.js";
import { MockServerDriver } from "../../src/runner/drivers/mock-server-driver.js";
import type { ServerFault } from "../../mocks/server/index.js";
import type { ScenarioResult } from "../../src/runner/result.js";

/** Runs the whole server-role suite against the embedded mock server with the given faults. */
export async function runServerSuite(faults: ServerFault[] = [], version: 1 | 2 = 2, concurrency = 16): Promise<ScenarioResult[]> {
  const scenarios = await loadSuite("server");
  const driver = new MockServerDriver({ version, faults });
  const outcome = await runSuite(scenarios, driver, await driver.prepare(), { concurrency, scenarioDeadlineMs: 20_000 });
  return outcome.results;
}

export function describeResults(results: ScenarioResult[]): string {
  return results.map((r) => `${r.verdict.padEnd(14)} ${r.id} ${r.reason}`).join("\n");
}
