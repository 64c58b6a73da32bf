import { join } from "node:path";
import { writeBadge } from "../report/badge.js";
import { writeHtmlReport } from "../report/html.js";
import { writeJsonReport } from "../report/json.js";
import { writeJunitReport } from "../report/junit.js";
import { writeMarkdownSummary } from "../report/markdown.js";
import { writeTranscripts } from "../report/transcripts.js";
import type { RunResult } from "../runner/result.js";
import { makeFolder } from "./folders.js";

/**
 * Writes every report file of a run into `dir` (docs/reports.md): junit.xml, results.json,
 * index.html, summary.md, badge.svg and transcripts/<scenario>.log. Returns the paths written
 * (the transcripts as their directory).
 */
export async function writeReports(run: RunResult, dir: string): Promise<string[]> {
  await makeFolder(dir);
  const junit = join(dir, "junit.xml");
  const json = join(dir, "results.json");
  const html = join(dir, "index.html");
  const summary = join(dir, "summary.md");
  const badge = join(dir, "badge.svg");
  const transcriptsDir = join(dir, "transcripts");
  const transcripts = await writeTranscripts(run, transcriptsDir);
  await writeJsonReport(run, json);
  await writeJunitReport(run, junit, { transcriptPath: (s) => transcripts.get(s.id) ?? json });
  await writeHtmlReport(run, html);
  await writeMarkdownSummary(run, summary);
  await writeBadge(run, badge);
  return [junit, json, html, summary, badge, `${transcriptsDir}/`];
}
