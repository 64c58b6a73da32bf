import type { ArrowEvent, SequenceDiagram, SequenceEvent } from "./sequence.js";
import { esc } from "./xml-html.js";

/**
 * Renders a SequenceDiagram as inline SVG plus one hidden XML panel per clickable event. The page's
 * script shows a panel when its arrow is clicked (elements carry data-msg="<prefix>-<index>").
 */

const GUTTER = 70;
/** Distance between neighbouring lifelines: enough for their arrows' labels, within bounds. */
const GAP_MIN = 168;
const GAP_MAX = 330;
const HEAD_W = 150;
const TARGET_HEAD_W = 184;
const HEAD_Y = 10;
const HEAD_H = 42;
const TOP = HEAD_Y + HEAD_H + 22;
const CHAR = 6.75; // width of one character at 11.25px monospace
const ROW = { arrow: 34, offending: 54, note: 30, missing: 52 };

function rowHeight(ev: SequenceEvent): number {
  if (ev.kind === "arrow") return ev.offending ? ROW.offending : ROW.arrow;
  return ev.kind === "note" ? ROW.note : ROW.missing;
}

/** Where a line of text under an arrow starts: at `preferred`, or further left when it would not fit. */
function textStart(text: string, preferred: number, width: number): number {
  const needed = text.length * CHAR + 12;
  return preferred + needed <= width ? preferred : Math.max(GUTTER + 6, width - needed);
}

/** Long lifeline names are squeezed into their box rather than cut. */
function squeeze(label: string, boxWidth: number): string {
  const room = boxWidth - 16;
  return Math.min(label.length, 26) * 7.8 > room ? ` textLength="${room}" lengthAdjust="spacingAndGlyphs"` : "";
}

function fit(text: string, chars: number): string {
  if (chars <= 1) return "";
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

function shortId(id: string, max: number): string {
  return id.length <= max ? id : `${id.slice(0, max - 1)}…`;
}

/** Label tspans for an arrow, shortened (ids first) to fit `chars` characters. */
function arrowLabel(ev: ArrowEvent, chars: number): { svg: string; full: string } {
  if (ev.group) {
    const text = `${ev.head}${ev.count > 1 ? ` (${ev.count} stanzas)` : ""}`;
    return { svg: `<tspan class="lg">${esc(fit(text, chars))}</tspan>`, full: text };
  }
  const full = [ev.head, ev.id ? `#${ev.id}` : "", ev.payload ?? ""].filter(Boolean).join("  ");
  // Shorten the id first, then drop it, then cut the end.
  for (const idMax of [Infinity, 14, 9, 0]) {
    const id = ev.id && idMax > 0 ? `#${shortId(ev.id, idMax)}` : "";
    const parts = [ev.head, id, ev.payload ?? ""].filter(Boolean);
    const text = parts.join("  ");
    if (text.length <= chars || idMax === 0) {
      let budget = chars;
      const spans: string[] = [];
      const push = (cls: string, t: string, sep: boolean) => {
        if (budget <= 0) return;
        const s = (sep ? "  " : "") + t;
        const shown = fit(s, budget);
        budget -= shown.length;
        spans.push(`<tspan class="${cls}">${esc(shown)}</tspan>`);
      };
      push("lh", ev.head, false);
      if (id) push("li", id, true);
      if (ev.payload) push("lp", ev.payload, true);
      return { svg: spans.join(""), full };
    }
  }
  return { svg: "", full };
}

export interface RenderedSequence {
  svg: string;
  panels: string;
}

/** The label an arrow would like to show in full (id shortened), in characters. */
function wantedChars(ev: ArrowEvent): number {
  if (ev.group) return `${ev.head} (${ev.count} stanzas)`.length;
  return [ev.head, ev.id ? `#${shortId(ev.id, 14)}` : "", ev.payload ?? ""].filter(Boolean).join("  ").length;
}

/** Lifeline x positions: each gap wide enough for the labels of the arrows that cross only it. */
function layout(d: SequenceDiagram): { x: Map<string, number>; width: number } {
  const index = new Map(d.lifelines.map((l, i) => [l.id, i]));
  const gaps = new Array(Math.max(0, d.lifelines.length - 1)).fill(GAP_MIN) as number[];
  for (const ev of d.events) {
    if (ev.kind !== "arrow") continue;
    const a = index.get(ev.from) as number;
    const b = index.get(ev.to) as number;
    if (Math.abs(a - b) !== 1) continue;
    const gap = Math.min(a, b);
    gaps[gap] = Math.min(GAP_MAX, Math.max(gaps[gap], wantedChars(ev) * CHAR + 24));
  }
  const x = new Map<string, number>();
  let at = GUTTER + (d.lifelines[0]?.kind === "target" ? TARGET_HEAD_W : HEAD_W) / 2 + 6;
  d.lifelines.forEach((l, i) => {
    x.set(l.id, at);
    at += gaps[i] ?? 0;
  });
  const last = d.lifelines[d.lifelines.length - 1];
  return { x, width: at - (gaps[d.lifelines.length - 1] ?? 0) + (last?.kind === "target" ? TARGET_HEAD_W : HEAD_W) / 2 + 16 };
}

/** Characters of XML all panels of one diagram hold at most; later panels say where to look instead. */
export const MAX_PANELS_CHARS = 64 * 1024;

export function renderSequence(d: SequenceDiagram, prefix: string): RenderedSequence {
  const { x, width } = layout(d);
  const height = TOP + d.events.reduce((h, ev) => h + rowHeight(ev), 0) + 24;
  const parts: string[] = [];
  const panels: string[] = [];
  let budget = MAX_PANELS_CHARS;
  const panel = (id: string, title: string, xml: string, cls: string): string => {
    const shown = xml.length <= budget || cls === "offending" ? xml : "<!-- not included: this diagram's XML reached the report's limit; see the scenario's transcript file -->";
    budget -= Math.min(shown.length, budget);
    return panelHtml(id, title, shown, cls);
  };

  // Lifelines and their heads.
  for (const l of d.lifelines) {
    const cx = x.get(l.id) as number;
    parts.push(`<line class="ll ll-${l.kind}" x1="${cx}" y1="${HEAD_Y + HEAD_H}" x2="${cx}" y2="${height - 6}"/>`);
    const w = l.kind === "target" ? TARGET_HEAD_W : HEAD_W;
    parts.push(
      `<g class="head head-${l.kind}"><rect x="${cx - w / 2}" y="${HEAD_Y}" width="${w}" height="${HEAD_H}" rx="7"/>` +
        `<text x="${cx}" y="${HEAD_Y + 18}" class="hn"${squeeze(l.label, w)}>${esc(fit(l.label, 26))}</text>` +
        `<text x="${cx}" y="${HEAD_Y + 33}" class="hs">${esc(fit(l.sub, Math.floor((w - 12) / 6)))}</text><title>${esc(`${l.label} — ${l.sub}`)}</title></g>`,
    );
  }

  let y = TOP;
  let lastT: number | undefined;
  d.events.forEach((ev, i) => {
    const h = rowHeight(ev);
    const id = `${prefix}-${i}`;
    const mid = y + (ev.kind === "arrow" && ev.offending ? 22 : h / 2 + 4);
    const time = ev.t !== lastT ? `<text class="tm" x="${GUTTER - 12}" y="${mid + 4}">+${Math.round(ev.t)} ms</text>` : "";
    lastT = ev.t;
    if (ev.kind === "arrow") {
      const x1 = x.get(ev.from) as number;
      const x2 = x.get(ev.to) as number;
      const span = Math.abs(x2 - x1);
      const chars = Math.floor((span - 14) / CHAR);
      const label = arrowLabel(ev, chars);
      const dir = x2 > x1 ? 1 : -1;
      const fromTarget = ev.from === d.target;
      const cls = ["msg", ev.group ? "grp" : fromTarget ? "from-target" : "to-target", ev.offending ? "offending" : ""].filter(Boolean).join(" ");
      const band = ev.offending ? `<rect class="band" x="${GUTTER - 4}" y="${y + 2}" width="${width - GUTTER}" height="${h - 4}" rx="6"/>` : "";
      const markers = ev.offending ? `marker-end="url(#${prefix}-ah-bad)"` : `marker-end="url(#${prefix}-ah)"${ev.both ? ` marker-start="url(#${prefix}-ah-start)"` : ""}`;
      const px = ev.problem ? textStart(`✗ ${ev.problem}`, Math.min(x1, x2) + 6, width) : 0;
      const problem = ev.offending && ev.problem
        ? `<text class="problem" x="${px}" y="${mid + 18}">✗ ${esc(fit(ev.problem, Math.floor((width - px - 16) / CHAR) - 2))}</text>`
        : "";
      parts.push(
        `<g class="${cls}" data-msg="${id}" tabindex="0" role="button" aria-label="${esc(label.full)}">${band}${time}` +
          `<rect class="hit" x="${GUTTER - 4}" y="${y + 1}" width="${width - GUTTER}" height="${h - 2}" rx="5"/>` +
          `<line class="arrow" x1="${x1 + dir * 2}" y1="${mid}" x2="${x2 - dir * 4}" y2="${mid}" ${markers}/>` +
          `<text class="lbl" x="${(x1 + x2) / 2}" y="${mid - 6}">${label.svg}</text>${problem}<title>${esc(label.full)}${ev.problem ? ` — ${esc(ev.problem)}` : ""} (click for XML)</title></g>`,
      );
      panels.push(panel(id, `+${Math.round(ev.t)} ms · ${nameOf(d, ev.from)} ${ev.both ? "⇄" : "→"} ${nameOf(d, ev.to)} · ${label.full}`, ev.xml, ev.offending ? "offending" : ""));
    } else if (ev.kind === "note") {
      if (ev.actor) {
        const w = Math.min(GAP_MIN * 1.6, ev.text.length * 6.3 + 20);
        const cx = Math.min(Math.max(x.get(ev.actor) as number, GUTTER + w / 2), width - w / 2 - 4);
        const maxChars = Math.floor((w - 16) / 6.3);
        parts.push(
          `<g class="note">${time}<rect x="${cx - w / 2}" y="${y + 5}" width="${w}" height="${h - 10}" rx="4"/>` +
            `<text x="${cx}" y="${y + h / 2 + 4}">${esc(fit(ev.text, maxChars))}</text><title>${esc(ev.text)}</title></g>`,
        );
      } else {
        const w = width - GUTTER - 8;
        parts.push(
          `<g class="note suite-note">${time}<rect x="${GUTTER}" y="${y + 5}" width="${w}" height="${h - 10}" rx="4"/>` +
            `<text x="${GUTTER + w / 2}" y="${y + h / 2 + 4}">${esc(fit(`note: ${ev.text}`, Math.floor((w - 16) / 6.3)))}</text><title>${esc(ev.text)}</title></g>`,
        );
      }
    } else {
      const actorX = ev.actor ? x.get(ev.actor) : undefined;
      const tx = x.get(d.target) as number;
      const textX = textStart(`✗ ${ev.text}`, actorX !== undefined ? Math.min(actorX, tx) + 6 : GUTTER + 6, width);
      const arrow =
        actorX !== undefined && ev.style === "check"
          ? `<path class="cross" d="M${actorX - 7} ${y + 9} l14 14 M${actorX + 7} ${y + 9} l-14 14"/>`
          : actorX !== undefined
          ? `<line class="arrow" x1="${tx}" y1="${y + 16}" x2="${actorX + (actorX > tx ? -6 : 6)}" y2="${y + 16}"/>` +
            `<path class="cross" d="M${actorX - 6} ${y + 10} l12 12 M${actorX + 6} ${y + 10} l-12 12"/>`
          : "";
      parts.push(
        `<g class="missing msg" data-msg="${id}" tabindex="0" role="button">${time}<rect class="band" x="${GUTTER - 4}" y="${y + 2}" width="${width - GUTTER}" height="${h - 4}" rx="6"/>${arrow}` +
          `<text class="problem" x="${textX}" y="${y + 40}">✗ ${esc(fit(ev.text, Math.floor((width - textX - 10) / CHAR) - 2))}</text><title>${esc(ev.text)}</title></g>`,
      );
      panels.push(panel(id, ev.text, ev.xml ?? "", "offending"));
    }
    y += h;
  });

  const defs =
    `<defs>` +
    `<marker id="${prefix}-ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="ah"/></marker>` +
    `<marker id="${prefix}-ah-start" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="ah"/></marker>` +
    `<marker id="${prefix}-ah-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="ah-bad"/></marker>` +
    `</defs>`;
  const svg = `<svg class="seq" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="stanza sequence diagram">${defs}${parts.join("")}</svg>`;
  return { svg, panels: panels.join("") };
}

function nameOf(d: SequenceDiagram, id: string): string {
  const l = d.lifelines.find((x) => x.id === id);
  return l ? (l.kind === "target" ? `${l.label} (target)` : l.label) : id;
}

/** The XML is stored escaped and plain; the page's script colours it when the panel is first shown. */
function panelHtml(id: string, title: string, xml: string, cls: string): string {
  return `<div class="msg-panel ${cls}" data-panel="${id}" hidden><div class="msg-title">${esc(title)}</div><pre class="xml" data-plain>${esc(xml)}</pre></div>`;
}
