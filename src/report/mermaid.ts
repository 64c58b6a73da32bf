import type { ScenarioResult, TargetInfo } from "../runner/result.js";
import { buildSequence, type Lifeline, type SequenceEvent } from "./sequence.js";

/**
 * One scenario's stanza flow as a Mermaid sequence diagram (GitHub renders ```mermaid blocks in
 * markdown, the job summary included), drawn from the same model as index.html's SVG diagram
 * (src/report/sequence.ts): one arrow per top-level stanza, stream setup and close collapsed, the
 * offending stanza as a crossed arrow on a red band with the difference under it, a stanza that never
 * arrived as a red note on the actor that waited. Bounded: at most `maxMessages` events, the ones
 * around the failure kept, and a note where some were left out.
 */

export interface MermaidOptions {
  /** Most events (arrows and notes) drawn; default MAX_MESSAGES. */
  maxMessages?: number;
  /** Longest label, in characters; default MAX_LABEL. */
  maxLabel?: number;
}

export interface MermaidDiagram {
  /** The diagram source, without the ``` fence. */
  text: string;
  /** Events drawn and events in the model: shown < total when some were left out. */
  shown: number;
  total: number;
}

export const MAX_MESSAGES = 30;
export const MAX_LABEL = 90;
/** Kept from the start when cutting (usually the stream setups), and after the failure. */
const HEAD = 4;
const AFTER_FOCUS = 3;
const BAND = "rgba(220, 38, 38, 0.15)";
/** Stanza ids are often UUIDs: cut like index.html's labels do. */
const MAX_ID = 14;

/**
 * Text safe in a Mermaid statement: one line, cut to `max`, and every character Mermaid or the
 * markdown fence gives a meaning (`#` entity codes, `;` statement end, `<`/`>` markup such as <br>,
 * `&` entities, quotes, backticks, `:` in participant names) written as a Mermaid entity code (#NN;).
 */
export function mermaidText(text: string, max = MAX_LABEL): string {
  const line = text.replace(/\s+/g, " ").trim();
  const short = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return short.replace(/[#;<>&"`:]/g, (c) => `#${c.charCodeAt(0)};`);
}

function shortId(id: string): string {
  return id.length <= MAX_ID ? id : `${id.slice(0, MAX_ID - 1)}…`;
}

function lifelineLabel(l: Lifeline): string {
  return l.sub && l.sub !== l.label ? `${l.label} (${l.sub})` : l.label;
}

/** Index of the event the failure is about (the offending arrow or the missing marker), else the last. */
function focusIndex(events: SequenceEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.kind === "missing" || (e.kind === "arrow" && e.offending)) return i;
  }
  return events.length - 1;
}

type Shown = SequenceEvent | { kind: "gap"; count: number };

/** At most `max` events: the first few, a gap, and the ones leading to the failure and just after it. */
function bounded(events: SequenceEvent[], max: number): Shown[] {
  if (events.length <= max) return events;
  const head = Math.min(HEAD, Math.max(0, max - 1));
  const end = Math.min(events.length, focusIndex(events) + 1 + AFTER_FOCUS);
  const start = Math.max(head, end - (max - head));
  const out: Shown[] = events.slice(0, head);
  if (start > head) out.push({ kind: "gap", count: start - head });
  out.push(...events.slice(start, end));
  if (end < events.length) out.push({ kind: "gap", count: events.length - end });
  return out;
}

export function mermaidSequence(s: ScenarioResult, target?: TargetInfo, options: MermaidOptions = {}): MermaidDiagram {
  const max = Math.max(1, options.maxMessages ?? MAX_MESSAGES);
  const maxLabel = options.maxLabel ?? MAX_LABEL;
  const model = buildSequence(s, target);
  const pid = new Map(model.lifelines.map((l, i) => [l.id, `p${i}`]));
  const first = pid.get(model.lifelines[0]?.id ?? "") ?? "p0";
  const last = pid.get(model.lifelines[model.lifelines.length - 1]?.id ?? "") ?? first;
  const across = first === last ? first : `${first},${last}`;
  const over = (actor: string | undefined) => (actor && pid.has(actor) ? (pid.get(actor) as string) : across);
  const text = (t: string) => mermaidText(t, maxLabel);

  const lines = ["sequenceDiagram"];
  for (const l of model.lifelines) lines.push(`  participant ${pid.get(l.id)} as ${text(lifelineLabel(l))}`);
  if (model.lifelines.length === 0) lines.push("  participant p0 as target");

  const shown = bounded(model.events, max);
  for (const e of shown) {
    switch (e.kind) {
      case "gap":
        lines.push(`  Note over ${across}: … ${e.count} ${e.count === 1 ? "message" : "messages"} left out (full flow in index.html) …`);
        break;
      case "note":
        lines.push(`  Note over ${over(e.actor)}: ${text(e.text)}`);
        break;
      case "missing": {
        const where = e.style === "error" ? across : over(e.actor);
        lines.push(`  rect ${BAND}`, `    Note over ${where}: ✗ ${text(e.text)}`, "  end");
        break;
      }
      case "arrow": {
        const from = pid.get(e.from) ?? first;
        const to = pid.get(e.to) ?? first;
        if (e.group) {
          const what = `${e.head}${e.count > 1 ? ` (${e.count} stanzas${e.both ? ", both ways" : ""})` : ""}`;
          lines.push(`  ${from}-->>${to}: ${text(what)}`);
          break;
        }
        const label = text([e.head, e.id ? shortId(e.id) : undefined, e.payload ? `· ${e.payload}` : undefined].filter(Boolean).join(" "));
        if (e.offending) {
          lines.push(`  rect ${BAND}`, `    ${from}-x${to}: ✗ ${label}`);
          if (e.problem) lines.push(`    Note over ${to}: ${text(e.problem)}`);
          lines.push("  end");
        } else {
          lines.push(`  ${from}->>${to}: ${label}`);
        }
        break;
      }
    }
  }
  const count = shown.filter((e) => e.kind !== "gap").length;
  return { text: lines.join("\n"), shown: count, total: model.events.length };
}
