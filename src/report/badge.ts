import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { RunResult } from "../runner/result.js";
import { specGroups, type SpecGroup } from "./by-spec.js";

/**
 * reports/badge.svg: a shields.io-style flat badge, "XEP-0355 | MUST 27/27 · SHOULD 5/7", with one
 * such label and message pair per specification the run covered, each in its own colour:
 * "XEP-0355 | MUST 45/45 | XEP-0356 | MUST 20/23". Green only when compliant; red when a MUST fails,
 * orange when a MUST errored (no failure) or the run was interrupted, grey when a MUST is untested
 * (no scenario verifies it, no failure or error): the last two are prefixed "incomplete".
 */

export const BADGE_COLOURS = { green: "#2ea44f", red: "#d73a49", orange: "#e36209", grey: "#9f9f9f", label: "#555" } as const;

export interface BadgeSegment {
  label: string;
  message: string;
  colour: string;
  state: "compliant" | "failing" | "error" | "untested" | "incomplete";
}

/** The whole badge: one segment per specification; label, message, colour and state are the single one's, or sum them up. */
export interface BadgeContent extends BadgeSegment {
  segments: BadgeSegment[];
}

const STATE_COLOUR: Record<BadgeSegment["state"], string> = {
  compliant: BADGE_COLOURS.green,
  failing: BADGE_COLOURS.red,
  error: BADGE_COLOURS.orange,
  untested: BADGE_COLOURS.grey,
  incomplete: BADGE_COLOURS.orange,
};

/** Worst first: the state of a badge with several specifications is its worst segment's. */
const STATE_ORDER: BadgeSegment["state"][] = ["failing", "error", "untested", "incomplete", "compliant"];

function specSegment(run: RunResult, { spec, summary, overall }: SpecGroup): BadgeSegment {
  const parts = [`MUST ${summary.MUST.passed}/${summary.MUST.total}`];
  if (summary.SHOULD.total > 0) parts.push(`SHOULD ${summary.SHOULD.passed}/${summary.SHOULD.total}`);
  let message = parts.join(" · ");
  let state: BadgeSegment["state"] = "compliant";
  if (overall.failingMust.length > 0) state = "failing";
  else if (overall.erroredMust.length > 0) state = "error";
  else if (overall.untestedMust.length > 0) state = "untested";
  else if (!overall.compliant) state = "error"; // not reachable today; never green without compliance
  if (overall.partial && state === "compliant") {
    message = `partial · ${message}`;
    state = "incomplete";
  }
  if (run.interrupted || state === "untested") {
    message = `incomplete · ${message}`;
    if (state === "compliant") state = "incomplete";
  }
  return { label: spec.name, message, colour: STATE_COLOUR[state], state };
}

export function badgeContent(run: RunResult): BadgeContent {
  const segments = specGroups(run).map((g) => specSegment(run, g));
  if (segments.length === 1) return { ...segments[0], segments };
  const state = STATE_ORDER.find((s) => segments.some((x) => x.state === s)) ?? "compliant";
  return {
    label: segments.map((x) => x.label).join(" · "),
    message: segments.map((x) => x.message).join(" | "),
    colour: STATE_COLOUR[state],
    state,
    segments,
  };
}

/** What the badge says, for its title and screen readers: "XEP-0355: MUST 45/45; XEP-0356: MUST 20/23". */
function badgeText(segments: BadgeSegment[]): string {
  return segments.map((x) => `${x.label}: ${x.message}`).join("; ");
}

// Advance widths of Verdana at 11px (the shields.io font), enough for the characters badges use.
const WIDTHS: Record<string, number> = {
  " ": 3.87, "/": 4.93, "·": 4.93, "-": 4.99, "|": 4.99, ".": 4.35, ":": 4.99, "(": 5.4, ")": 5.4,
  A: 7.52, B: 7.55, C: 7.68, D: 8.48, E: 6.96, F: 6.32, G: 8.53, H: 8.27, I: 4.63, J: 5.0, K: 7.62, L: 6.12, M: 9.27,
  N: 8.23, O: 8.66, P: 6.63, Q: 8.66, R: 7.65, S: 7.52, T: 6.78, U: 8.05, V: 7.52, W: 10.87, X: 7.54, Y: 6.77, Z: 7.54,
};

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += WIDTHS[ch] ?? (/[0-9]/.test(ch) ? 7.0 : /[a-z]/.test(ch) ? 6.6 : 7.5);
  return Math.ceil(w);
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function buildBadge(run: RunResult): string {
  const { segments } = badgeContent(run);
  const text = (x: number, t: string) =>
    `<text x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${(textWidth(t)) * 10}">${esc(t)}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${textWidth(t) * 10}">${esc(t)}</text>`;
  // Label and message of each specification side by side, left to right.
  let w = 0;
  const rects: string[] = [];
  const texts: string[] = [];
  for (const { label, message, colour } of segments) {
    const lw = textWidth(label) + 12;
    const mw = textWidth(message) + 12;
    rects.push(`<rect x="${w}" width="${lw}" height="20" fill="${BADGE_COLOURS.label}"/><rect x="${w + lw}" width="${mw}" height="20" fill="${colour}"/>`);
    texts.push(text(w + lw / 2, label), text(w + lw + mw / 2, message));
    w += lw + mw;
  }
  const said = esc(badgeText(segments));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${said}">
<title>${said}</title>
<linearGradient id="xep0355-badge-s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="xep0355-badge-r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#xep0355-badge-r)">${rects.join("")}<rect width="${w}" height="20" fill="url(#xep0355-badge-s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">${texts.join("")}</g>
</svg>
`;
}

export async function writeBadge(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildBadge(run), "utf8");
}
