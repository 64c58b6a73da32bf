import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunResult, ScenarioResult } from "../runner/result.js";

/**
 * reports/transcripts/<scenario>.log: one plain-text transcript per scenario (what JUnit's
 * `transcript` property and `[[ATTACHMENT|…]]` point at). Every entry of the scenario's transcript,
 * in order, with its time, actor and direction; the data is exactly as recorded (already redacted).
 */

export function transcriptFileName(s: ScenarioResult): string {
  return `${s.id.replace(/[^A-Za-z0-9._-]+/g, "_")}.log`;
}

export function formatTranscript(s: ScenarioResult): string {
  const lines = [
    `# ${s.id} — ${s.title}`,
    `# role: ${s.role} · file: ${s.file} · requirements: ${s.requirements.join(", ")}`,
    `# verdict: ${s.verdict}${s.reason ? ` — ${s.reason}` : ""}`,
  ];
  const readings = Object.entries(s.readings ?? {});
  if (readings.length > 0) lines.push(`# readings: ${readings.map(([id, name]) => `${id}: ${name}`).join(", ")}`);
  lines.push("");
  for (const e of s.transcript) {
    const arrow = e.direction === "out" ? `${e.actor} → target` : e.direction === "in" ? `target → ${e.actor}` : `note (${e.actor})`;
    const data = e.data.replace(/\r?\n/g, "\n    ");
    lines.push(`+${String(Math.round(e.t)).padStart(5)} ms  ${arrow}`, `    ${data}`);
  }
  for (const note of s.notes) lines.push(`# note: ${note}`);
  return lines.join("\n") + "\n";
}

/** Writes one file per scenario into `dir`; returns the path of each scenario's file by id. */
export async function writeTranscripts(run: RunResult, dir: string): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true });
  const paths = new Map<string, string>();
  for (const s of run.scenarios) {
    const path = join(dir, transcriptFileName(s));
    await writeFile(path, formatTranscript(s), "utf8");
    paths.set(s.id, path);
  }
  return paths;
}
