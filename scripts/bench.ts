// Measures how long the suites take against the embedded mocks (wall clock), per role and concurrency.
// Usage: npm run bench
import { loadSuite } from "../src/scenario/load.js";
import { runSuite } from "../src/runner/runner.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { MockComponentDriver } from "../src/runner/drivers/mock-component-driver.js";
import type { TargetDriver } from "../src/runner/environment.js";
import type { Role } from "../src/scenario/model.js";

const repeats = 3;
const rows: string[] = [];
for (const role of ["server", "component"] as Role[]) {
  const scenarios = await loadSuite(role);
  for (const concurrency of [1, 4, 8]) {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const driver: TargetDriver = role === "server" ? new MockServerDriver({ version: 2, faults: [] }) : new MockComponentDriver({ version: 2, faults: [] });
      const started = process.hrtime.bigint();
      await runSuite(scenarios, driver, await driver.prepare(), { concurrency, scenarioDeadlineMs: 20_000 });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      await driver.close();
    }
    times.sort((a, b) => a - b);
    rows.push(`${role.padEnd(10)} ${String(scenarios.length).padStart(3)} scenarios  concurrency ${String(concurrency).padStart(2)}  median ${times[1].toFixed(0).padStart(6)} ms  (min ${times[0].toFixed(0)}, max ${times[2].toFixed(0)})`);
  }
}
process.stdout.write(rows.join("\n") + "\n");
