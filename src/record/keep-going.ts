import { Transcript } from "../actors/transcript.js";
import { ScenarioContext, ScenarioError, StepFailure } from "../runner/context.js";
import type { TargetDriver } from "../runner/environment.js";
import { runTextScenario } from "../runner/interpreter.js";
import type { TranscriptEntry } from "../runner/result.js";
import type { Step, TextScenario } from "../scenario/model.js";

export interface StepOutcome {
  step: Step;
  status: "ok" | "fail" | "error" | "skipped";
  message?: string;
  requirement?: string;
  expected?: string;
  received?: string[];
}

export interface KeepGoingResult {
  outcomes: StepOutcome[];
  transcript: TranscriptEntry[];
  /** Why the run could not start or stopped early (environment, deadline). */
  aborted?: string;
}

/**
 * Runs a text scenario step by step and, unlike the runner, goes on after a
 * failing step, so a replay against another server lists every step where it
 * behaves differently (the runner's verdict is the first of them). A step
 * whose actor could not connect, or that uses a capture an earlier failing
 * step did not capture, is an error and skipped; the steps after it still run.
 */
export async function runKeepGoing(
  scenario: TextScenario,
  driver: TargetDriver,
  uid: string,
  options: { deadlineMs: number; signal?: AbortSignal },
): Promise<KeepGoingResult> {
  const transcript = new Transcript();
  const outcomes: StepOutcome[] = [];
  const deadline = Date.now() + options.deadlineMs;
  let env: Awaited<ReturnType<TargetDriver["open"]>> | undefined;
  let ctx: ScenarioContext | undefined;
  try {
    try {
      env = await driver.open(scenario, uid);
      ctx = new ScenarioContext(scenario, env, transcript, uid);
    } catch (err) {
      return { outcomes, transcript: transcript.entries, aborted: err instanceof Error ? err.message : String(err) };
    }
    const failedActors = new Set<string>();
    for (const step of scenario.steps) {
      if (options.signal?.aborted) return { outcomes, transcript: transcript.entries, aborted: "interrupted" };
      if (Date.now() > deadline) return { outcomes, transcript: transcript.entries, aborted: `deadline of ${options.deadlineMs} ms reached` };
      if ("actor" in step && failedActors.has(step.actor)) {
        outcomes.push({ step, status: "skipped", message: `${step.actor} is not connected` });
        continue;
      }
      try {
        await runTextScenario({ ...scenario, steps: [step] }, ctx);
        outcomes.push({ step, status: "ok" });
      } catch (err) {
        // the interpreter prefixes "line N (step): "; the outcome names the step already
        const message = (err instanceof Error ? err.message : String(err)).replace(/^line \d+ \([^)]*\): /, "");
        const capture = /capture \{\$([\w.-]+)\} used before it was captured/.exec(message);
        if (err instanceof StepFailure) {
          outcomes.push({ step, status: "fail", message, requirement: err.requirement, expected: err.expected, received: err.received });
        } else if (capture) {
          outcomes.push({ step, status: "skipped", message: `needs {$${capture[1]}}, which an earlier failing step did not capture` });
        } else if (step.kind === "disconnect" && /not connected/.test(message)) {
          outcomes.push({ step, status: "skipped", message: `${step.actor}'s stream had already closed` });
        } else {
          outcomes.push({ step, status: "error", message: err instanceof ScenarioError ? message : `internal error: ${message}` });
          if (step.kind === "connect") failedActors.add(step.actor);
        }
      }
    }
    return { outcomes, transcript: transcript.entries };
  } finally {
    await ctx?.dispose().catch(() => undefined);
    await env?.close().catch(() => undefined);
  }
}
