import { randomBytes } from "node:crypto";
import type { Scenario } from "../scenario/model.js";
import type { TargetDescription, TargetDriver } from "./environment.js";
import type { ScenarioResult } from "./result.js";
import { runScenario } from "./run-scenario.js";
import { versionFor } from "./spec-selection.js";

export interface SuiteOptions {
  concurrency: number;
  /** Limit for one scenario. */
  scenarioDeadlineMs: number;
  signal?: AbortSignal;
  onResult?: (result: ScenarioResult) => void;
  onSetupError?: (message: string) => void;
}

export interface SuiteOutcome {
  target: TargetDescription;
  results: ScenarioResult[];
  interrupted: boolean;
}

/**
 * Runs scenarios concurrently (at most `concurrency` at once). Scenarios that
 * need the same exclusive resource (a component JID on a shared server) wait
 * for each other; the order of results follows the input order.
 */
export async function runSuite(scenarios: Scenario[], driver: TargetDriver, target: TargetDescription, options: SuiteOptions): Promise<SuiteOutcome> {
  const results = new Map<Scenario, ScenarioResult>();
  const waiting = [...scenarios.filter((s) => s.startFirst), ...scenarios.filter((s) => !s.startFirst)];
  const held = new Set<string>();
  let running = 0;

  await new Promise<void>((resolveAll) => {
    const pump = () => {
      if (options.signal?.aborted) {
        // Never started: reported as such, so no requirement looks merely "not supported".
        for (const scenario of waiting.splice(0)) {
          const result = notRun(scenario, "not run: the run was interrupted");
          results.set(scenario, result);
          options.onResult?.(result);
        }
      }
      if (waiting.length === 0 && running === 0) return resolveAll();
      while (running < options.concurrency) {
        const index = waiting.findIndex((s) => driver.exclusiveResources(s).every((r) => !held.has(r)));
        if (index < 0) break;
        const [scenario] = waiting.splice(index, 1);
        const resources = new Set(driver.exclusiveResources(scenario));
        for (const r of resources) held.add(r);
        running++;
        const uid = randomBytes(3).toString("hex");
        const release = (resource: string) => {
          if (!resources.delete(resource)) return;
          held.delete(resource);
          pump();
        };
        void runScenario(scenario, driver, uid, { version: versionFor(target, scenario), deadlineMs: options.scenarioDeadlineMs, signal: options.signal, release, onSetupError: options.onSetupError })
          .then((result) => {
            results.set(scenario, result);
            options.onResult?.(result);
          })
          .finally(() => {
            for (const r of resources) held.delete(r);
            running--;
            pump();
          });
      }
    };
    options.signal?.addEventListener("abort", () => pump(), { once: true });
    pump();
  });

  return {
    target,
    results: scenarios.filter((s) => results.has(s)).map((s) => results.get(s)!),
    interrupted: Boolean(options.signal?.aborted),
  };
}

function notRun(scenario: Scenario, reason: string): ScenarioResult {
  return {
    id: scenario.id,
    title: scenario.title,
    role: scenario.role,
    file: scenario.file,
    requirements: scenario.requirements,
    verdict: "error",
    reason,
    notes: [],
    readings: {},
    durationMs: 0,
    transcript: [],
  };
}
