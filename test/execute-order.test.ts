import { describe, expect, it } from "vitest";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { executeRun } from "../src/runner/execute.js";
import type { CodeScenario } from "../src/scenario/model.js";

function scenario(id: string, run: CodeScenario["run"]): CodeScenario {
  return { kind: "code", id, title: id, role: "server", file: `${id}.scenario.ts`, requirements: ["SRV-ADV-01"], needs: [], versions: [1, 2], cast: [], run };
}

describe("executeRun's order", () => {
  it("lists scenarios, and each requirement's scenarios, in the plan's order, not in the order they ended", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The first waits for the second to end: it always ends last.
    const first = scenario("order-first", () => gate);
    const second = scenario("order-second", async () => {
      setImmediate(open);
    });
    const ended: string[] = [];
    const { run } = await executeRun([{ scenarios: [first, second], driver: new MockServerDriver({ version: 2, faults: [] }) }], {
      concurrency: 2,
      scenarioDeadlineMs: 60_000,
      strict: false,
      onlyCovered: true,
      onResult: (r) => ended.push(r.id),
    });
    expect(ended).toEqual(["order-second", "order-first"]);
    expect(run.scenarios.map((s) => s.id)).toEqual(["order-first", "order-second"]);
    expect(run.requirements.find((r) => r.id === "SRV-ADV-01")?.scenarios).toEqual(["order-first", "order-second"]);
  });
});
