import type { ScenarioResult, TargetInfo, TranscriptEntry } from "../runner/result.js";
import { childElements, parseXml, pretty, type Element } from "../xml/element.js";
import { match } from "../xml/matcher.js";
import { StreamParser } from "../xml/stream-parser.js";

/**
 * The stanza flow of one scenario as a sequence diagram model: lifelines (the suite's actors and the
 * target) and, in transcript order, one arrow per top-level stanza. Stream setup (headers, features,
 * SASL, handshake, resource binding) and stream close are collapsed into one arrow per actor each.
 * The failing step's evidence marks the offending arrow, or adds a "never arrived" marker.
 * Everything shown comes from the ScenarioResult (transcripts are already redacted).
 */

export type LifelineKind = "user" | "component" | "server" | "target";

export interface Lifeline {
  id: string;
  label: string;
  /** Second line under the name: "client", "component", "target server", … */
  sub: string;
  kind: LifelineKind;
}

export interface ArrowEvent {
  kind: "arrow";
  t: number;
  from: string;
  to: string;
  /** Short label parts: "iq get", "rep05-q", "pubsub". */
  head: string;
  id?: string;
  payload?: string;
  /** Collapsed stream setup / close; `count` stanzas are behind it. */
  group?: "setup" | "close";
  count: number;
  /** Pretty-printed XML (for a group: each stanza with its direction). */
  xml: string;
  /** This is the stanza the failing step was about. */
  offending?: "mismatch" | "unexpected";
  /** One line under an offending arrow: why it is wrong. */
  problem?: string;
  /** Both directions (a collapsed group with stanzas each way). */
  both?: boolean;
}

export interface NoteEvent {
  kind: "note";
  t: number;
  /** Undefined: a suite-level note across the diagram. */
  actor?: string;
  text: string;
}

export interface MissingEvent {
  kind: "missing";
  t: number;
  /** The actor that waited in vain (undefined: the scenario as a whole, e.g. an error). */
  actor?: string;
  text: string;
  xml?: string;
  /** never-arrived: a dashed arrow to the actor that waited; check: a cross on its lifeline; error: across the diagram. */
  style: "never-arrived" | "check" | "error";
}

export type SequenceEvent = ArrowEvent | NoteEvent | MissingEvent;

export interface SequenceDiagram {
  lifelines: Lifeline[];
  events: SequenceEvent[];
  /** Id of the target's lifeline. */
  target: string;
}

export const TARGET_LIFELINE = "@target";

const SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl";
const TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";
const BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind";
const SESSION_NS = "urn:ietf:params:xml:ns:xmpp-session";

interface Parsed {
  entry: number;
  t: number;
  actor: string;
  direction: "in" | "out";
  item: { kind: "open"; attrs: Record<string, string> } | { kind: "stanza"; el: Element } | { kind: "end" } | { kind: "raw"; data: string };
}

/** Splits each actor's byte chunks into stream events (a stanza may span chunks; a chunk may hold several). */
export function splitTranscript(transcript: TranscriptEntry[]): Parsed[] {
  const out: Parsed[] = [];
  const parsers = new Map<string, StreamParser>();
  let current: { entry: number; e: TranscriptEntry } | undefined;
  const parserFor = (actor: string, direction: "in" | "out"): StreamParser => {
    const key = `${actor}\u0000${direction}`;
    let p = parsers.get(key);
    if (!p) {
      const parser = new StreamParser();
      const push = (item: Parsed["item"]) => {
        if (current) out.push({ entry: current.entry, t: current.e.t, actor, direction, item });
      };
      parser.on("streamStart", (attrs) => push({ kind: "open", attrs }));
      parser.on("stanza", (el) => push({ kind: "stanza", el }));
      parser.on("streamEnd", () => push({ kind: "end" }));
      parser.on("error", () => {
        parsers.delete(key);
        if (current) push({ kind: "raw", data: current.e.data });
      });
      parsers.set(key, parser);
      p = parser;
    }
    return p;
  };
  transcript.forEach((e, entry) => {
    if (e.direction === "note") return;
    current = { entry, e };
    parserFor(e.actor, e.direction).write(e.data);
  });
  return out;
}

function isSetup(item: Parsed["item"]): boolean {
  if (item.kind === "open") return true;
  if (item.kind !== "stanza") return false;
  const el = item.el;
  if (el.name === "stream:features" || el.name === "handshake") return true;
  const ns = el.attrs.xmlns;
  if (ns === SASL_NS || ns === TLS_NS) return true;
  if (el.name === "iq") {
    const kids = childElements(el);
    if (kids.some((k) => k.attrs.xmlns === BIND_NS || k.attrs.xmlns === SESSION_NS)) return true;
  }
  return false;
}

function shortNs(ns: string): string {
  const tail = ns.replace(/\/+$/, "").split(/[/:]/).pop() ?? ns;
  return tail;
}

function payloadLabel(el: Element): string | undefined {
  const kids = childElements(el);
  const err = kids.find((k) => k.name === "error");
  const first = kids.find((k) => k.name !== "error") ?? err;
  if (!first) return undefined;
  let label = first.name;
  if (first.name === "query" && typeof first.attrs.xmlns === "string") label = `query ${shortNs(first.attrs.xmlns)}`;
  if (first.name === "pubsub") {
    const op = childElements(first)[0];
    if (op) label = `pubsub › ${op.name}`;
  }
  // delegation › forwarded › iq get: the forwarded stanza is what matters.
  if (first.name === "delegation") {
    const fwd = childElements(first).find((k) => k.name === "forwarded");
    const inner = fwd ? childElements(fwd).find((k) => ["iq", "message", "presence"].includes(k.name)) : undefined;
    if (inner) label = `delegation › ${inner.name}${inner.attrs.type ? ` ${inner.attrs.type}` : ""}`;
    else if (fwd) label = "delegation › forwarded";
  } else if (first.name === "forwarded") {
    const inner = childElements(first).find((k) => ["iq", "message", "presence"].includes(k.name));
    if (inner) label = `forwarded › ${inner.name}${inner.attrs.type ? ` ${inner.attrs.type}` : ""}`;
  }
  if (err) {
    const condition = childElements(err).find((k) => k.name !== "text");
    if (condition) label = first === err ? `error ${condition.name}` : `${label} · error ${condition.name}`;
  }
  return label;
}

function openTag(attrs: Record<string, string>): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join("");
  return `<stream:stream${a}>`;
}

function itemXml(item: Parsed["item"]): string {
  switch (item.kind) {
    case "open":
      return openTag(item.attrs);
    case "stanza":
      return pretty(item.el);
    case "end":
      return "</stream:stream>";
    case "raw":
      return item.data;
  }
}

/** Normalised form for comparing a transcript stanza with an evidence string. */
function canonical(xml: string | Element): string | undefined {
  try {
    return pretty(typeof xml === "string" ? parseXml(xml) : xml);
  } catch {
    return undefined;
  }
}

export interface FailureFocus {
  /** The actor the failing step was about (the receiving side), when the step names one. */
  actor?: string;
  /**
   * mismatch: a stanza arrived but not the expected one; unexpected: a stanza that should not have
   * arrived; missing: nothing arrived; check: another kind of check (counts, stream state);
   * none: no evidence.
   */
  kind: "mismatch" | "unexpected" | "missing" | "check" | "none";
  /** Evidence string of the offending stanza (for mismatch / unexpected). */
  stanza?: string;
  /** "at /iq@type: expected 'error', received 'result'" when the matcher said so. */
  path?: string;
  expectedText?: string;
  receivedText?: string;
  /** For missing: why ("nothing matching within 1500 ms", "stream closed (…)"). */
  why?: string;
  /** The step's message without its "line N (…):" prefix. */
  message: string;
}

function isXml(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith("<") || !t.endsWith(">")) return false;
  try {
    parseXml(text);
    return true;
  } catch {
    return false;
  }
}

const MATCHER_DIFF = /at (\/[^\s:]*): expected (.*), received (.*)$/;

/** Parses "at /iq@type: expected 'error', received 'result'" out of a reason. */
export function matcherDiff(text: string): { path: string; expected: string; received: string } | undefined {
  const closest = text.lastIndexOf("at /");
  if (closest < 0) return undefined;
  const m = MATCHER_DIFF.exec(text.slice(closest));
  return m ? { path: m[1], expected: m[2], received: m[3] } : undefined;
}

/** Which stanza the failing step was about, from the scenario's evidence. */
export function failureFocus(s: ScenarioResult): FailureFocus {
  const ev = s.evidence;
  if (!ev) return { kind: "none", message: s.reason };
  const message = ev.step.replace(/^line \d+ \([^)]*\):\s*/, "");
  const actor = /^([\w.@-]+) /.exec(message)?.[1];
  const diff = matcherDiff(ev.step) ?? matcherDiff(s.reason);
  const negative = ev.expected === "nothing" || ev.expected.startsWith("no <");
  if (!negative && !isXml(ev.expected)) return { actor, kind: "check", message };
  // A closest stanza that is not even the same element (<message> for an expected <iq>) is
  // unrelated: what the step waited for never arrived.
  const unrelated = diff !== undefined && /^\/[^/@]+$/.test(diff.path) && diff.received.startsWith("<");
  if (ev.received.length === 0 || (unrelated && !negative)) {
    const why = /: (nothing matching within \d+ ms|stream closed \(.*\))/.exec(ev.step)?.[1];
    return { actor, kind: "missing", why, message };
  }
  if (negative) return { actor, kind: "unexpected", stanza: ev.received[0], message };
  let stanza = ev.received[0];
  if (ev.received.length > 1 && diff) stanza = closestReceived(ev.expected, ev.received, diff.path) ?? stanza;
  return { actor, kind: "mismatch", stanza, path: diff?.path, expectedText: diff?.expected, receivedText: diff?.received, message };
}

/** The received stanza whose mismatch with the pattern is at `path` (else the one that got deepest). */
function closestReceived(expected: string, received: string[], path: string): string | undefined {
  let pattern: Element;
  try {
    pattern = parseXml(expected);
  } catch {
    return undefined;
  }
  let best: { stanza: string; depth: number } | undefined;
  for (const r of received) {
    let el: Element;
    try {
      el = parseXml(r);
    } catch {
      continue;
    }
    const result = match(pattern, el);
    if (result.ok) continue;
    if (result.path === path) return r;
    const depth = result.path.split(/[/@]/).length;
    if (!best || depth > best.depth) best = { stanza: r, depth };
  }
  return best?.stanza;
}

function firstLine(xml: string): string {
  const line = xml.split("\n")[0] ?? xml;
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

export function buildSequence(s: ScenarioResult, target?: TargetInfo): SequenceDiagram {
  const parsed = splitTranscript(s.transcript);

  // Lifelines: the suite's actors, users left of the target and components right of it.
  const order: string[] = [];
  const isComponent = new Map<string, boolean>();
  for (const e of s.transcript) {
    if (e.direction === "note") continue;
    if (!order.includes(e.actor)) order.push(e.actor);
  }
  for (const p of parsed) {
    if (p.item.kind === "open" && !isComponent.has(p.actor)) isComponent.set(p.actor, String(p.item.attrs.xmlns ?? "").includes("component"));
  }
  for (const e of s.transcript) if (e.direction === "note" && e.actor !== "suite" && !order.includes(e.actor)) order.push(e.actor);

  const lifelines: Lifeline[] = [];
  const targetLabel =
    s.role === "server" ? { label: "server", sub: "target server" } : { label: "component", sub: "target component" };
  const targetLine: Lifeline = { id: TARGET_LIFELINE, label: target?.software?.split(" ")[0] ?? targetLabel.label, sub: targetLabel.sub, kind: "target" };
  if (s.role === "server") {
    const users = order.filter((a) => !isComponent.get(a)).sort((a, b) => a.localeCompare(b));
    const components = order.filter((a) => isComponent.get(a));
    for (const u of users) lifelines.push({ id: u, label: u, sub: "client", kind: "user" });
    lifelines.push(targetLine);
    for (const c of components) lifelines.push({ id: c, label: c, sub: c === "me" ? "managing entity" : "component", kind: "component" });
  } else {
    for (const a of order) lifelines.push({ id: a, label: a, sub: a === "server" ? "suite's server" : "suite actor", kind: "server" });
    lifelines.push(targetLine);
  }

  const focus = failureFocus(s);
  const focusCanonical = focus.stanza ? canonical(focus.stanza) : undefined;

  // Arrows, in transcript order; setup / close collapsed per actor.
  const events: SequenceEvent[] = [];
  const openGroup = new Map<string, ArrowEvent>();
  const arrowOf = (p: Parsed): ArrowEvent => {
    const from = p.direction === "out" ? p.actor : TARGET_LIFELINE;
    const to = p.direction === "out" ? TARGET_LIFELINE : p.actor;
    if (p.item.kind === "stanza") {
      const el = p.item.el;
      const type = el.attrs.type ? ` ${el.attrs.type}` : "";
      return { kind: "arrow", t: p.t, from, to, head: `${el.name}${type}`, id: el.attrs.id ? String(el.attrs.id) : undefined, payload: payloadLabel(el), count: 1, xml: pretty(el) };
    }
    return { kind: "arrow", t: p.t, from, to, head: "unparsed data", count: 1, xml: itemXml(p.item) };
  };
  const arrowIndexByEntry: { event: ArrowEvent; parsed: Parsed }[] = [];
  let noteCursor = 0;
  const notes = s.transcript.map((e, i) => ({ e, i })).filter(({ e }) => e.direction === "note");
  const flushNotes = (beforeEntry: number) => {
    while (noteCursor < notes.length && notes[noteCursor].i < beforeEntry) {
      const { e } = notes[noteCursor++];
      events.push({ kind: "note", t: e.t, actor: e.actor === "suite" ? undefined : e.actor, text: e.data });
    }
  };
  for (const p of parsed) {
    flushNotes(p.entry);
    const group = isSetup(p.item) ? "setup" : p.item.kind === "end" ? "close" : undefined;
    const arrow = `${p.direction === "out" ? `${p.actor} → target` : `target → ${p.actor}`}`;
    if (group) {
      const key = `${p.actor}\u0000${group}`;
      const open = openGroup.get(key);
      const line = `<!-- ${arrow}, +${p.t} ms -->\n${itemXml(p.item)}`;
      if (open) {
        open.count++;
        open.xml += `\n\n${line}`;
        if (open.from !== (p.direction === "out" ? p.actor : TARGET_LIFELINE)) open.both = true;
        continue;
      }
      const from = p.direction === "out" ? p.actor : TARGET_LIFELINE;
      const to = p.direction === "out" ? TARGET_LIFELINE : p.actor;
      const ev: ArrowEvent = { kind: "arrow", t: p.t, from, to, head: group === "setup" ? "stream setup" : "stream close", group, count: 1, xml: line };
      openGroup.set(key, ev);
      events.push(ev);
      continue;
    }
    // Any real stanza of this actor ends its open setup group (a later restart is a new group).
    openGroup.delete(`${p.actor}\u0000setup`);
    const ev = arrowOf(p);
    events.push(ev);
    arrowIndexByEntry.push({ event: ev, parsed: p });
  }
  flushNotes(Number.POSITIVE_INFINITY);

  // Mark the offending arrow: the last stanza to the failing actor equal to the evidence.
  if (focusCanonical && (focus.kind === "mismatch" || focus.kind === "unexpected")) {
    const candidates = arrowIndexByEntry.filter(
      ({ parsed: p }) => p.direction === "in" && (!focus.actor || p.actor === focus.actor) && p.item.kind === "stanza",
    );
    const hit = [...candidates].reverse().find(({ parsed: p }) => p.item.kind === "stanza" && canonical(p.item.el) === focusCanonical);
    if (hit) {
      hit.event.offending = focus.kind;
      hit.event.problem =
        focus.kind === "unexpected"
          ? "should not have arrived"
          : focus.path
            ? `at ${focus.path}: expected ${focus.expectedText}, received ${focus.receivedText}`
            : "does not match the expected stanza";
    } else {
      insertMissing(events, {
        kind: "missing",
        style: "never-arrived",
        t: s.durationMs,
        actor: focus.actor,
        text: `received ${firstLine(canonical(focus.stanza ?? "") ?? "")} (not found in the transcript)`,
        xml: canonical(focus.stanza ?? ""),
      });
    }
  } else if (focus.kind === "missing" && s.evidence) {
    insertMissing(events, {
      kind: "missing",
      style: "never-arrived",
      t: s.durationMs,
      actor: focus.actor,
      text: `expected ${firstLine(s.evidence.expected)} never arrived${focus.why ? ` (${focus.why})` : ""}`,
      xml: s.evidence.expected,
    });
  } else if (focus.kind === "check") {
    const ev = s.evidence as NonNullable<ScenarioResult["evidence"]>;
    insertMissing(events, { kind: "missing", style: "check", t: s.durationMs, actor: focus.actor, text: focus.message, xml: `expected: ${ev.expected}\nreceived: ${ev.received.join("\n") || "(nothing)"}` });
  } else if (s.verdict === "error" || (s.verdict === "fail" && focus.kind === "none")) {
    insertMissing(events, { kind: "missing", style: "error", t: s.durationMs, text: `${s.verdict}: ${s.reason}` });
  }

  // Actors that only appear in notes still get their lifeline; unknown note actors go suite-wide.
  const known = new Set(lifelines.map((l) => l.id));
  for (const ev of events) if (ev.kind !== "arrow" && ev.actor && !known.has(ev.actor)) ev.actor = undefined;

  return { lifelines, events: boundEvents(events), target: TARGET_LIFELINE };
}

/** Rows one diagram draws at most (a flood would make a page of hundreds of megabytes). */
export const MAX_DIAGRAM_EVENTS = 160;
/** Characters of XML one arrow's panel holds at most. */
export const MAX_PANEL_CHARS = 16 * 1024;

/**
 * At most MAX_DIAGRAM_EVENTS rows: the first and the last ones, and every offending or missing
 * mark with its neighbours; each run left out becomes one suite note saying how many, and each
 * arrow's XML is cut to MAX_PANEL_CHARS. The transcript file keeps everything.
 */
export function boundEvents(events: SequenceEvent[]): SequenceEvent[] {
  for (const ev of events) {
    if (ev.kind === "arrow" && ev.xml.length > MAX_PANEL_CHARS) {
      ev.xml = `${ev.xml.slice(0, MAX_PANEL_CHARS)}\n<!-- ${ev.xml.length - MAX_PANEL_CHARS} more characters not shown: see the scenario's transcript file -->`;
    }
  }
  if (events.length <= MAX_DIAGRAM_EVENTS) return events;
  const keep = new Uint8Array(events.length);
  const edge = Math.floor(MAX_DIAGRAM_EVENTS / 3);
  keep.fill(1, 0, edge);
  keep.fill(1, events.length - edge);
  events.forEach((ev, i) => {
    if ((ev.kind === "arrow" && ev.offending) || ev.kind === "missing") keep.fill(1, Math.max(0, i - 3), i + 4);
  });
  const out: SequenceEvent[] = [];
  for (let i = 0; i < events.length; ) {
    if (keep[i]) {
      out.push(events[i++]);
      continue;
    }
    let j = i;
    while (j < events.length && !keep[j]) j++;
    out.push({ kind: "note", t: events[i].t, text: `${j - i} more rows (stanzas and notes) not drawn: the diagram shows at most ${MAX_DIAGRAM_EVENTS}; the transcript file has them all` });
    i = j;
  }
  return out;
}

/** Before the trailing stream-close arrows and notes: where the step gave up. */
function insertMissing(events: SequenceEvent[], missing: MissingEvent): void {
  let at = events.length;
  while (at > 0) {
    const ev = events[at - 1];
    const trailing = (ev.kind === "arrow" && ev.group === "close") || (ev.kind === "note" && /^stream closed|connection error/.test(ev.text));
    if (!trailing) break;
    at--;
  }
  events.splice(at, 0, missing);
}
