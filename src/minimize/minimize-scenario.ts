import type { Step, TextScenario } from "../scenario/model.js";
import type { ScenarioResult } from "../runner/result.js";
import { ddmin } from "./ddmin.js";

/**
 * How a scenario run failed, for "still fails the same way": the failing
 * step's requirement when the step is tagged [ID], otherwise the failing step
 * itself (its text and stanza). Unless `loose`, also what kind of failure it
 * was (the stanza that came closest and where it differed, nothing arrived,
 * the stream closed, an unexpected stanza), so that dropping the stimulus of a
 * wrong answer (which makes the same step fail by timing out) does not count
 * as the same failure.
 */
export interface FailureSignature {
  /** Compared between runs. */
  key: string;
  /** For humans. */
  description: string;
}

export function failingStep(result: ScenarioResult, steps: Step[]): Step | undefined {
  const text = result.evidence?.step ?? result.reason;
  const m = /line (\d+) \(/.exec(text);
  if (!m) return undefined;
  const line = Number(m[1]);
  return steps.find((s) => s.line === line);
}

export function failureSignature(result: ScenarioResult, steps: Step[], loose = false): FailureSignature | undefined {
  if (result.verdict !== "fail") return undefined;
  const step = failingStep(result, steps);
  const which = step?.requirement
    ? { key: `requirement ${result.failedRequirement}`, description: `fails ${result.failedRequirement} (tagged step)` }
    : step
      ? { key: `step ${step.text}\n${"xml" in step ? step.xml : ""}`, description: `fails at '${step.text}' (line ${step.line})` }
      : { key: `requirement ${result.failedRequirement}`, description: `fails ${result.failedRequirement}` };
  if (loose) return which;
  const kind = failureKind(result);
  return { key: `${which.key}\n${kind}`, description: `${which.description}: ${kind}` };
}

/** The nature of the failure, with run-specific values (resources, uids, generated ids, durations) blanked. */
export function failureKind(result: ScenarioResult): string {
  const message = (result.evidence?.step ?? result.reason).replace(/^line \d+ \([^)]*\): /, "");
  const closest = /; closest: (.*)$/s.exec(message);
  if (closest) return `mismatch ${normalize(closest[1])}`;
  if (/stream closed/.test(message)) return "the stream closed";
  if (/nothing matching within/.test(message)) return "nothing matching arrived";
  const unexpected = /should receive .* but received <([\w:-]+)[^>]*?(?:\stype=["']([^"']*)["'])?/.exec(message);
  if (unexpected) return `an unexpected <${unexpected[1]}${unexpected[2] ? ` type='${unexpected[2]}'` : ""}> arrived`;
  return normalize(message);
}

function normalize(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "…")
    .replace(/-[0-9a-f]{6}\b/g, "-…")
    .replace(/\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{10,}\b/g, "…")
    .replace(/\d+ ms/g, "N ms");
}

/**
 * What a kept step needs: its actor's `connects` (the last one before it),
 * the step that first captures each {$name} it uses, for `it matches` the
 * `receives` it looks at, and for a `receives` whose pattern names a literal
 * id, the last earlier `sends` of a stanza with that id (the request a
 * response or a forward answers: without it the step can only time out).
 * Applied until nothing changes.
 */
export function stepClosure(all: Step[]): (candidate: Step[]) => Step[] {
  const position = new Map(all.map((s, i) => [s, i] as const));
  const captureDefinition = new Map<string, Step>();
  for (const step of all) {
    if (!("xml" in step) || !step.xml) continue;
    if (step.kind !== "receive" && step.kind !== "it-matches" && step.kind !== "receive-nothing" && step.kind !== "asked-at-most") continue;
    for (const name of capturesIn(step.xml)) if (!captureDefinition.has(name)) captureDefinition.set(name, step);
  }
  const needs = (step: Step): Step[] => {
    const i = position.get(step)!;
    const out: Step[] = [];
    if ("actor" in step && step.kind !== "connect") {
      for (let j = i - 1; j >= 0; j--) {
        const s = all[j];
        if (s.kind === "connect" && s.actor === step.actor) {
          out.push(s);
          break;
        }
      }
    }
    if (step.kind === "it-matches") {
      for (let j = i - 1; j >= 0; j--) {
        if (all[j].kind === "receive") {
          out.push(all[j]);
          break;
        }
      }
    }
    if (step.kind === "receive") {
      for (const id of literalIdsIn(step.xml)) {
        for (let j = i - 1; j >= 0; j--) {
          const s = all[j];
          if (s.kind === "send" && !s.raw && topLevelId(s.xml) === id) {
            out.push(s);
            break;
          }
        }
      }
    }
    if ("xml" in step && step.xml) {
      for (const name of capturesIn(step.xml)) {
        const def = captureDefinition.get(name);
        if (def && def !== step && position.get(def)! < i) out.push(def);
      }
    }
    return out;
  };
  return (candidate) => {
    const kept = new Set(candidate);
    const queue = [...candidate];
    while (queue.length) {
      for (const need of needs(queue.pop()!)) {
        if (!kept.has(need)) {
          kept.add(need);
          queue.push(need);
        }
      }
    }
    return all.filter((s) => kept.has(s));
  };
}

function literalIdsIn(xml: string): string[] {
  return [...xml.matchAll(/\sid=(["'])([^"'{}$]+)\1/g)].map((m) => m[2]);
}

function topLevelId(xml: string): string | undefined {
  return /^<[\w:-]+[^>]*?\sid=(["'])(.*?)\1/.exec(xml.trim())?.[2];
}

function capturesIn(xml: string): string[] {
  return [...xml.matchAll(/\{\$([A-Za-z_][\w.-]*)\}/g)].map((m) => m[1]);
}

/**
 * The failing step's own exchange: the request it answers (the last `sends`
 * of a stanza with an id its pattern names), the `receives` before it whose
 * pattern holds that id too (the forward), and the `sends` that use what
 * those captured (the managing entity's reply). When what fails is an
 * absence ("nothing arrived"), dropping the reply would fail the same way and
 * lose the bug; pinning the exchange keeps it.
 */
export function exchangeOf(failing: Step, all: Step[]): Step[] {
  const end = all.indexOf(failing);
  if (end < 0 || !("xml" in failing) || !failing.xml) return [];
  const id = topLevelId(failing.xml);
  if (!id || /[{}$]/.test(id)) return [];
  const before = all.slice(0, end);
  const pinned = new Set<Step>();
  const request = [...before].reverse().find((s) => s.kind === "send" && !s.raw && topLevelId(s.xml) === id);
  if (request) pinned.add(request);
  const captured = new Set<string>();
  for (const s of before) {
    if (s.kind === "receive" && literalIdsIn(s.xml).includes(id)) {
      pinned.add(s);
      for (const name of capturesIn(s.xml)) captured.add(name);
    }
  }
  for (const s of before) if (s.kind === "send" && capturesIn(s.xml).some((name) => captured.has(name))) pinned.add(s);
  return all.filter((s) => pinned.has(s));
}

export interface MinimizeOptions {
  loose?: boolean;
  /** Do not pin the failing step's exchange (see exchangeOf). */
  unpin?: boolean;
  /** Steps (by line in the file) that must stay. */
  keepLines?: number[];
  maxTests?: number;
  onOriginal?: (result: ScenarioResult, signature: FailureSignature | undefined) => void;
  onTest?: (steps: number, holds: boolean, tests: number, result: ScenarioResult) => void;
}

export interface Minimized {
  original: ScenarioResult;
  signature: FailureSignature;
  steps: Step[];
  /** Steps kept whatever the runs said (the failing step, its exchange, --keep, and what they need). */
  pinned: Step[];
  tests: number;
  exhausted: boolean;
}

export class NotFailing extends Error {
  constructor(readonly result: ScenarioResult) {
    super(
      result.verdict === "pass"
        ? "the scenario passes against this target: nothing to minimize"
        : `the scenario does not fail against this target (verdict ${result.verdict}${result.reason ? `: ${result.reason}` : ""}): nothing to minimize`,
    );
  }
}

/** Runs `scenario` once to learn how it fails, then drops steps with ddmin while it still fails that way. */
export async function minimizeScenario(
  scenario: TextScenario,
  run: (candidate: TextScenario) => Promise<ScenarioResult>,
  options: MinimizeOptions = {},
): Promise<Minimized> {
  const original = await run(scenario);
  const signature = failureSignature(original, scenario.steps, options.loose);
  options.onOriginal?.(original, signature);
  if (!signature) throw new NotFailing(original);
  const failing = failingStep(original, scenario.steps);
  const pinned = [
    ...(failing ? [failing] : []),
    ...(failing && !options.unpin ? exchangeOf(failing, scenario.steps) : []),
    ...scenario.steps.filter((s) => options.keepLines?.includes(s.line)),
  ];
  const closure = stepClosure(scenario.steps);
  // The `finally:` steps always run and are always written (renderMinimized): what they need stays too.
  pinned.push(...cleanupNeeds(scenario));
  const result = await ddmin(
    scenario.steps,
    async (steps) => {
      if (steps.length === 0) return false;
      const outcome = await run({ ...scenario, steps });
      const holds = failureSignature(outcome, steps, options.loose)?.key === signature.key;
      options.onTest?.(steps.length, holds, 0, outcome);
      return holds;
    },
    { close: (candidate) => closure([...candidate, ...pinned]), maxTests: options.maxTests },
  );
  return { original, signature, steps: result.items, pinned: closure(pinned), tests: result.tests + 1, exhausted: result.exhausted };
}

/**
 * The main steps the `finally:` steps need: each one's actor's last `connects`, and the step that
 * captures each {$name} they use (a clean-up without them could not undo what the kept steps did).
 */
export function cleanupNeeds(scenario: TextScenario): Step[] {
  const needs = new Set<Step>();
  const steps = scenario.steps;
  for (const step of scenario.cleanup ?? []) {
    if ("actor" in step) {
      const connect = [...steps].reverse().find((s) => s.kind === "connect" && s.actor === step.actor);
      if (connect) needs.add(connect);
    }
    if (!("xml" in step) || !step.xml) continue;
    for (const name of capturesIn(step.xml)) {
      const definition = steps.find((s) => "xml" in s && s.xml && s.kind !== "send" && capturesIn(s.xml).includes(name));
      if (definition) needs.add(definition);
    }
  }
  return steps.filter((s) => needs.has(s));
}

/**
 * The minimized script as text: the original header (cast entries no kept
 * step uses left out), a comment saying how it was minimized, and the kept
 * steps exactly as written, each with the comment lines right above it.
 */
export function renderMinimized(
  source: string,
  scenario: TextScenario,
  kept: Step[],
  note: string[],
  rename: { id?: string; title?: string } = {},
): string {
  const lines = source.split("\n");
  const cleanup = scenario.cleanup ?? [];
  const starts = [...scenario.steps, ...cleanup].map((s) => s.line - 1);
  const chunk = (i: number): { from: number; to: number } => {
    const start = starts[i];
    const next = i + 1 < starts.length ? starts[i + 1] : lines.length;
    // the stanza block: indented lines (and blank lines inside it)
    let last = start;
    for (let j = start + 1; j < next; j++) {
      if (/^\s+\S/.test(lines[j])) last = j;
      else if (lines[j].trim()) break;
    }
    let from = start;
    while (from > 0 && /^#/.test(lines[from - 1])) from--;
    return { from, to: last + 1 };
  };
  const headerEnd = scenario.steps.length ? chunk(0).from : lines.length;
  const used = new Set<string>();
  for (const step of [...kept, ...cleanup]) {
    if ("actor" in step) used.add(step.actor);
    if ("xml" in step && step.xml) for (const m of step.xml.matchAll(/\$\{([\w-]+)/g)) used.add(m[1]);
  }
  const castNames = new Set(scenario.cast.map((c) => c.name));
  const head: string[] = [];
  let inCast = false;
  let noteWritten = false;
  for (const line of lines.slice(0, headerEnd)) {
    if (!noteWritten && !line.startsWith("#")) {
      head.push(...note.map((n) => `# ${n}`.trimEnd()));
      noteWritten = true;
    }
    if (rename.id && /^id:/.test(line)) {
      head.push(`id: ${rename.id}`);
      continue;
    }
    if (rename.title && /^title:/.test(line)) {
      head.push(`title: ${rename.title}`);
      continue;
    }
    if (line === "cast:") inCast = true;
    else if (inCast && !/^\s/.test(line) && line.trim()) inCast = false;
    const entry = inCast ? /^\s+([A-Za-z][\w-]*):/.exec(line) : null;
    if (entry && castNames.has(entry[1]) && !used.has(entry[1])) continue;
    head.push(line);
  }
  if (!noteWritten) head.push(...note.map((n) => `# ${n}`));
  const body: string[] = [];
  const keptSet = new Set(kept);
  scenario.steps.forEach((step, i) => {
    if (!keptSet.has(step)) return;
    const { from, to } = chunk(i);
    body.push(...lines.slice(from, to), "");
  });
  // `finally:` and every step after it, with the comment lines right above it, as written.
  const finallyAt = cleanup.length ? lines.findIndex((line, i) => i > starts[scenario.steps.length - 1] && line === "finally:") : -1;
  if (finallyAt >= 0) {
    let from = finallyAt;
    while (from > 0 && /^#/.test(lines[from - 1])) from--;
    body.push(...lines.slice(from, finallyAt + 1), "");
    cleanup.forEach((_, i) => {
      const { from: start, to } = chunk(scenario.steps.length + i);
      body.push(...lines.slice(start, to), "");
    });
  }
  return `${head.join("\n").trimEnd()}\n\n${body.join("\n").trimEnd()}\n`;
}
