import type { BenchReport } from "./bench.js";
import type { IqKind } from "./iq-kinds.js";
import type { PhaseResult } from "./stats.js";

export interface RunDescription {
  target: string;
  users: number;
  inFlight: number;
  bound: string;
}

/** The human table: one row per phase, the tax, and why answers did not count when some did not. */
export function formatTable(report: BenchReport, run: RunDescription): string {
  const { result } = report;
  const row = (name: IqKind, r: PhaseResult) =>
    `${name.padEnd(10)} ${r.iqPerSec.toLocaleString("en-US").padStart(9)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${String(r.errors).padStart(7)}`;
  const lines = [
    `target: ${run.target}`,
    `load: ${run.users} users × ${run.inFlight} in flight = ${run.users * run.inFlight} IQs in flight, ${run.bound}`,
    "",
    `${"".padEnd(10)} ${"IQ/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"errors".padStart(7)}`,
    row("delegated", result.delegated),
    row("plain", result.plain),
    "",
    `delegation tax (delegated cost / plain cost): ${result.ratio === null ? "n/a (a phase had no right answer)" : result.ratio.toFixed(2)}`,
  ];
  for (const kind of ["delegated", "plain"] as const) {
    const kinds = Object.entries(report.errorKinds[kind] ?? {});
    if (kinds.length) lines.push(`${kind} errors: ${kinds.map(([k, n]) => `${n} ${k}`).join(", ")}`);
  }
  if (report.interrupted) lines.push("interrupted: the figures cover what ran");
  return `${lines.join("\n")}\n`;
}

export function formatJson(report: BenchReport): string {
  const { delegated, plain, ratio } = report.result;
  const phase = (r: PhaseResult) => ({ iqPerSec: r.iqPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors });
  return `${JSON.stringify({ delegated: phase(delegated), plain: phase(plain), ratio })}\n`;
}

/** The progress line, rewritten in place on a terminal only. */
export function progressLine(kind: IqKind, fraction: number, ok: number, errors: number, elapsedMs: number): string {
  const head = `\r\x1b[K${kind.padEnd(9)} ${String(Math.round(fraction * 100)).padStart(3)} %  `;
  if (elapsedMs === 0) return `${head}warming up  ${errors} errors`;
  const rate = Math.round((ok * 1000) / elapsedMs);
  return `${head}${ok.toLocaleString("en-US")} right answers (${rate.toLocaleString("en-US")}/s)  ${errors} errors`;
}
