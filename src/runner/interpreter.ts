import type { Step, TextScenario } from "../scenario/model.js";
import { ScenarioContext, ScenarioError, StepFailure } from "./context.js";

/**
 * Runs the steps of a text scenario in order; the first failing check ends them. The `finally:` steps
 * run after them whatever happened; one that fails is noted and ends the clean-up, never the verdict.
 */
export async function runTextScenario(scenario: TextScenario, ctx: ScenarioContext): Promise<void> {
  try {
    for (const step of scenario.steps) {
      try {
        await runStep(step, ctx);
      } catch (err) {
        if (err instanceof Error) err.message = `line ${step.line} (${step.text}): ${err.message}`;
        throw err;
      }
    }
  } finally {
    for (const step of scenario.cleanup ?? []) {
      try {
        await runStep(step, ctx);
      } catch (err) {
        ctx.note(`clean-up stopped at line ${step.line} (${step.text}): ${err instanceof Error ? err.message : String(err)}`);
        break;
      }
    }
  }
}

async function runStep(step: Step, ctx: ScenarioContext): Promise<void> {
  const requirement = step.requirement ?? ctx.defaultRequirement;
  switch (step.kind) {
    case "connect":
      if (step.withoutAdvertising) return ctx.connectWithoutAdvertising(step.actor);
      // `A connects [ID]`: being let in is what the step checks (e.g. SRV-ADV-07, a restarted ME is never refused).
      if (step.requirement) {
        try {
          return await ctx.connect(step.actor);
        } catch (err) {
          if (!(err instanceof ScenarioError)) throw err;
          throw new StepFailure(requirement, err.message);
        }
      }
      return ctx.connect(step.actor);
    case "disconnect":
      return ctx.disconnect(step.actor);
    case "send":
      return ctx.send(step.actor, step.xml, step.raw);
    case "receive":
      if (step.otherwiseNotSupported) await ctx.receiveOrNotSupported(step.actor, step.xml, { requirement, withinMs: step.withinMs });
      else await ctx.receive(step.actor, step.xml, { requirement, withinMs: step.withinMs });
      return;
    case "has-received":
      await ctx.hasReceived(step.actor, step.xml, { requirement, withinMs: step.withinMs });
      return;
    case "receive-nothing":
      return ctx.receiveNothing(step.actor, step.xml, { requirement, withinMs: step.withinMs });
    case "asked-at-most": {
      const count = ctx.askedCount(step.actor, step.xml);
      if (count > step.times) {
        throw new StepFailure(requirement, `${step.actor} was asked ${count} times, at most ${step.times} expected`, `≤ ${step.times}`, [String(count)]);
      }
      return;
    }
    case "receive-one-of":
      await ctx.receiveOneOf(step.actor, step.alternatives, { requirement, withinMs: step.withinMs });
      return;
    case "it-matches-one-of":
      ctx.checkLastReceivedOneOf(step.alternatives, requirement);
      return;
    case "it-matches":
      return ctx.checkLastReceived(step.xml, requirement);
    case "wait":
      return ctx.wait(step.ms);
  }
}
