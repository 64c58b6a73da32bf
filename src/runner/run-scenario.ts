import { Transcript } from "../actors/transcript.js";
import type { Scenario } from "../scenario/model.js";
import type { ScenarioResult } from "./result.js";
import { NotSupportedError, ScenarioContext, ScenarioError, SetupError, StepFailure } from "./context.js";
import type { TargetDriver } from "./environment.js";
import { runTextScenario } from "./interpreter.js";
import { scenarioSpec, specNamespace } from "./spec-selection.js";

export interface RunScenarioOptions {
  version: 1 | 2;
  /** Hard limit for the whole scenario. */
  deadlineMs: number;
  /** Stop early (Ctrl-C). */
  signal?: AbortSignal;
  /** Gives an exclusive resource back before the scenario ends (see ScenarioContext.release). */
  release?: (resource: string) => void;
  /** The target refused a credential of the target file (SetupError). */
  onSetupError?: (message: string) => void;
}

/** Runs one scenario against a target and turns what happened into a verdict with its evidence. */
export async function runScenario(scenario: Scenario, driver: TargetDriver, uid: string, options: RunScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const transcript = new Transcript();
  const base = {
    id: scenario.id,
    title: scenario.title,
    role: scenario.role,
    file: scenario.file,
    requirements: scenario.requirements,
    notes: [] as string[],
    readings: {} as Record<string, string>,
    transcript: transcript.entries,
  };
  let ctx: ScenarioContext | undefined;
  const finish = (verdict: ScenarioResult["verdict"], reason: string, extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
    ...base,
    ...(ctx && ctx.checked.size > 0 ? { checked: [...ctx.checked] } : {}),
    verdict,
    reason,
    durationMs: Date.now() - started,
    ...extra,
  });

  if (!scenario.versions.includes(options.version)) {
    return finish("not-applicable", `applies to protocol version ${scenario.versions.join(", ")} only; target speaks ${specNamespace(scenarioSpec(scenario), options.version)}`);
  }
  const missing = driver.unsupported(scenario.needs);
  // A scenario that can show the feature is absent runs anyway, for the evidence (Scenario.probesSupport).
  if (missing && !scenario.probesSupport) return finish("not-supported", missing);

  let env: Awaited<ReturnType<TargetDriver["open"]>> | undefined;
  try {
    env = await driver.open(scenario, uid);
    ctx = new ScenarioContext(scenario, env, transcript, uid, options.release, missing);
    base.notes = ctx.notes;
    base.readings = ctx.readings;
    const body = scenario.kind === "text" ? runTextScenario(scenario, ctx) : scenario.run(ctx);
    await raceDeadline(body, options.deadlineMs, options.signal);
    return finish("pass", "");
  } catch (err) {
    if (err instanceof NotSupportedError) return finish("not-supported", err.message);
    if (err instanceof StepFailure) {
      return finish("fail", `${err.requirement}: ${err.message}`, {
        failedRequirement: err.requirement,
        evidence: { step: err.message, line: 0, expected: err.expected, received: err.received },
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof SetupError) {
      options.onSetupError?.(message);
      return finish("error", `set-up error: ${message}`);
    }
    return finish("error", err instanceof ScenarioError || err instanceof DeadlineError ? message : `internal error: ${message}`);
  } finally {
    await ctx?.dispose().catch(() => undefined);
    await env?.close().catch(() => undefined);
  }
}

class DeadlineError extends Error {}

function raceDeadline(body: Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(`scenario exceeded its deadline of ${ms} ms`)), ms);
    const onAbort = () => reject(new DeadlineError("interrupted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    body.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}
