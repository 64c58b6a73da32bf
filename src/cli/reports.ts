import { join } from "node:path";
import type { RunResult } from "../runner/result.js";
import { makeFolder } from "./folders.js";

/** Transcript files in flight at once. */
const TRANSCRIPT_WRITERS = 8;

let writers: ReturnType<typeof importWriters> | undefined;

function importWriters() {
  return Promise.all([
    import("../report/badge.js"),
    import("../report/html.js"),
    import("../report/json.js"),
    import("../report/junit.js"),
    import("../report/markdown.js"),
    import("../report/transcripts.js"),
  ]);
}

/**
 * The report writers (junit-report-builder and the HTML renderer among them) are loaded when the
 * reports are written, or earlier by a caller with time to spare (while a launched server starts).
 */
export function loadReportWriters(): ReturnType<typeof importWriters> {
  writers ??= importWriters();
  return writers;
}

/**
 * Writes every report file of a run into `dir` (docs/reports.md): junit.xml, results.json,
 * index.html, summary.md, badge.svg and transcripts/<scenario>.log. Returns the paths written
 * (the transcripts as their directory).
 */
export async function writeReports(run: RunResult, dir: string): Promise<string[]> {
  const [{ writeBadge }, { writeHtmlReport }, { writeJsonReport }, { writeJunitReport }, { writeMarkdownSummary }, { writeTranscripts, transcriptFileName }] = await loadReportWriters();
  await makeFolder(dir);
  const junit = join(dir, "junit.xml");
  const json = join(dir, "results.json");
  const html = join(dir, "index.html");
  const summary = join(dir, "summary.md");
  const badge = join(dir, "badge.svg");
  const transcriptsDir = join(dir, "transcripts");
  // One file per scenario, each a round trip to the file system: written a few at a time, while the
  // other reports are built (CPU), instead of one after the other before them.
  const slices = Array.from({ length: TRANSCRIPT_WRITERS }, (_, i) => run.scenarios.filter((_s, j) => j % TRANSCRIPT_WRITERS === i));
  await Promise.all([
    ...slices.map((scenarios) => writeTranscripts({ ...run, scenarios }, transcriptsDir)),
    writeJsonReport(run, json),
    writeJunitReport(run, junit, { transcriptPath: (s) => join(transcriptsDir, transcriptFileName(s)) }),
    writeHtmlReport(run, html),
    writeMarkdownSummary(run, summary),
    writeBadge(run, badge),
  ]);
  return [junit, json, html, summary, badge, `${transcriptsDir}/`];
}
