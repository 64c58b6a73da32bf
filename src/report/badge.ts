import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { RunResult } from "../runner/result.js";
import { overallVerdict, summarize } from "./aggregate.js";

/**
 * reports/badge.svg: a shields.io-style flat badge, "XEP-0355 | MUST 27/27 · SHOULD 5/7".
 * Green only when compliant; red when a MUST fails, orange when a MUST errored (no failure) or the
 * run was interrupted, grey when a MUST is untested (no scenario verifies it, no failure or error):
 * the last two are prefixed "incomplete".
 */

export const BADGE_COLOURS = { green: "#2ea44f", red: "#d73a49", orange: "#e36209", grey: "#9f9f9f", label: "#555" } as const;

export interface BadgeContent {
  label: string;
  message: string;
  colour: string;
  state: "compliant" | "failing" | "error" | "untested" | "incomplete";
}

const STATE_COLOUR: Record<BadgeContent["state"], string> = {
  compliant: BADGE_COLOURS.green,
  failing: BADGE_COLOURS.red,
  error: BADGE_COLOURS.orange,
  untested: BADGE_COLOURS.grey,
  incomplete: BADGE_COLOURS.orange,
};

export function badgeContent(run: RunResult): BadgeContent {
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const summary = summarize(run.requirements);
  const parts = [`MUST ${summary.MUST.passed}/${summary.MUST.total}`];
  if (summary.SHOULD.total > 0) parts.push(`SHOULD ${summary.SHOULD.passed}/${summary.SHOULD.total}`);
  let message = parts.join(" · ");
  let state: BadgeContent["state"] = "compliant";
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
  return { label: "XEP-0355", message, colour: STATE_COLOUR[state], state };
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
  const { label, message, colour } = badgeContent(run);
  const lw = textWidth(label) + 12;
  const mw = textWidth(message) + 12;
  const w = lw + mw;
  const text = (x: number, t: string) =>
    `<text x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${(textWidth(t)) * 10}">${esc(t)}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${textWidth(t) * 10}">${esc(t)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${esc(`${label}: ${message}`)}">
<title>${esc(`${label}: ${message}`)}</title>
<linearGradient id="xep0355-badge-s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="xep0355-badge-r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#xep0355-badge-r)"><rect width="${lw}" height="20" fill="${BADGE_COLOURS.label}"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><rect width="${w}" height="20" fill="url(#xep0355-badge-s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">${text(lw / 2, label)}${text(lw + mw / 2, message)}</g>
</svg>
`;
}

export async function writeBadge(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildBadge(run), "utf8");
}
