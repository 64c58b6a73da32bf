import { CAP_NOTE_PREFIX } from "../actors/transcript.js";
import { redactScenarioResult, redactText } from "../record/redact.js";
import type { ScenarioResult } from "../runner/result.js";
import { formatSize } from "../xml/limits.js";

/** Bounds on the texts of one scenario's result (the transcript has its own, Transcript). */
export const RESULT_LIMITS = {
  reasonChars: 2000,
  noteChars: 2000,
  notes: 100,
  stepChars: 4000,
  expectedChars: 16 * 1024,
  receivedChars: 16 * 1024,
  received: 12,
} as const;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${formatSize(text.length - max)} more not kept]`;
}

/** Characters of transcript a whole run keeps; past it, each further transcript keeps its first RUN_LIMITS.trimmedChars. */
export const RUN_LIMITS = {
  transcriptChars: 4 * 1024 * 1024,
  trimmedChars: 32 * 1024,
  /** Notes kept after the trimmed part (why streams closed: the diagram's error marks). */
  trimmedNotes: 40,
} as const;

/**
 * One run's sealer (executeRun makes one): sealScenarioResult, and a budget for the transcripts of
 * the whole run, so that a target flooding every connection of every scenario gives bounded
 * memory and reports.
 */
export function createResultSealer(budget: number = RUN_LIMITS.transcriptChars): (result: ScenarioResult) => ScenarioResult {
  let used = 0;
  return (result) => {
    const sealed = sealScenarioResult(result);
    const size = sealed.transcript.reduce((n, e) => n + e.data.length, 0);
    if (used + size <= budget) {
      used += size;
      return sealed;
    }
    const trimmed = trimTranscript(sealed);
    used += trimmed.transcript.reduce((n, e) => n + e.data.length, 0);
    return trimmed;
  };
}

function trimTranscript(r: ScenarioResult): ScenarioResult {
  const kept: ScenarioResult["transcript"] = [];
  const mark = { t: 0, actor: "suite", direction: "note" as const, data: "" };
  let size = 0;
  let dropped = 0;
  let droppedChars = 0;
  let notes = 0;
  for (const e of r.transcript) {
    if (dropped === 0 && size + e.data.length <= RUN_LIMITS.trimmedChars) {
      kept.push(e);
      size += e.data.length;
      continue;
    }
    if (dropped === 0) kept.push({ ...mark, t: e.t });
    if (e.direction === "note" && notes < RUN_LIMITS.trimmedNotes && e.data.length <= 2000) {
      kept.push(e);
      notes++;
      continue;
    }
    dropped++;
    droppedChars += e.data.length;
  }
  if (dropped === 0) return r;
  const note = `${CAP_NOTE_PREFIX}the run's transcripts reached their limit of ${formatSize(RUN_LIMITS.transcriptChars)}: this one keeps its first ${formatSize(size)}; ${dropped} more entr${dropped === 1 ? "y" : "ies"} (${formatSize(droppedChars)}) left out`;
  const transcript = kept.map((e) => (e.actor === "suite" && e.data === "" ? { ...e, data: note } : e));
  return { ...r, transcript, notes: [...r.notes, note] };
}

/**
 * A scenario's result as every report and console line may show it: redacted (no secret, however
 * it was split on the wire) and bounded (RESULT_LIMITS; what was cut says so), with what the
 * transcript's caps left out added to its notes. executeRun passes each result through here.
 */
export function sealScenarioResult(result: ScenarioResult): ScenarioResult {
  const r = redactScenarioResult(result);
  const capNotes = r.transcript.filter((e) => e.direction === "note" && e.data.startsWith(CAP_NOTE_PREFIX)).map((e) => e.data);
  const notes = [...r.notes, ...capNotes.filter((n) => !r.notes.includes(n))].map((n) => cut(n, RESULT_LIMITS.noteChars));
  const keptNotes = notes.length > RESULT_LIMITS.notes ? [...notes.slice(0, RESULT_LIMITS.notes), `${CAP_NOTE_PREFIX}${notes.length - RESULT_LIMITS.notes} more notes not kept`] : notes;
  const ev = r.evidence;
  const received = ev?.received.slice(0, RESULT_LIMITS.received).map((x) => cut(x, RESULT_LIMITS.receivedChars)) ?? [];
  if (ev && ev.received.length > RESULT_LIMITS.received) received.push(`<!-- ${ev.received.length - RESULT_LIMITS.received} more received stanzas not kept -->`);
  return {
    ...r,
    reason: cut(r.reason, RESULT_LIMITS.reasonChars),
    notes: keptNotes,
    ...(ev ? { evidence: { ...ev, step: cut(ev.step, RESULT_LIMITS.stepChars), expected: cut(ev.expected, RESULT_LIMITS.expectedChars), received } } : {}),
  };
}

/** A line about the run (an unreachable target, a set-up error) as it may be printed or written. */
export function sealLine(line: string): string {
  return cut(redactText(line), RESULT_LIMITS.reasonChars);
}
