import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openReplayTarget, replayOnce } from "../src/cli/replay-command.js";
import { cleanupNeeds, failureSignature, minimizeScenario, renderMinimized } from "../src/minimize/minimize-scenario.js";
import { SUITES_DIR } from "../src/scenario/load.js";
import type { TextScenario } from "../src/scenario/model.js";
import { parseScenario } from "../src/scenario/parse.js";

const FILE = join(SUITES_DIR, "server", "prv-ros-01-set-with-get-only.scenario");

describe("minimize a scenario with finally:", () => {
  it("keeps the clean-up steps, what they need, and the cast they use, and the script still fails the same way", async () => {
    const source = await readFile(FILE, "utf8");
    const scenario = parseScenario(source, FILE);
    expect(scenario.cleanup?.length).toBeGreaterThan(0);
    const needed = cleanupNeeds(scenario).map((s) => s.text);
    expect(needed).toContain("juliet connects");

    // PRV-ROS-01's fault: the get-only reader's roster set is applied, so the scenario fails and its clean-up has work to do.
    const target = await openReplayTarget({ against: "mock-server", "mock-fault": ["PRV-ROS-01"], timeout: "500" }, scenario, "minimize");
    try {
      const run = (s: TextScenario) => replayOnce(s, target);
      const minimized = await minimizeScenario(scenario, run);
      expect(minimized.original.verdict).toBe("fail");
      expect(minimized.steps.map((s) => s.text)).toContain("juliet connects");

      const text = renderMinimized(source, scenario, minimized.steps, ["minimized in a test"]);
      expect(text).toMatch(/\nfinally:\n/);
      const written = parseScenario(text, "minimized.scenario");
      expect(written.cleanup?.map((s) => s.text)).toEqual(scenario.cleanup?.map((s) => s.text));
      expect(written.cast.map((c) => c.name)).toContain("juliet");
      expect(written.steps).toHaveLength(minimized.steps.length);
      const again = await run(written);
      expect(failureSignature(again, written.steps)?.key).toBe(minimized.signature.key);
    } finally {
      await target.driver.close();
    }
  });
});
