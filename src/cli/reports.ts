import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonReport } from "../report/json.js";
import { writeJunitReport } from "../report/junit.js";
import type { RunResult } from "../runner/result.js";

/** Writes every report file of a run into `dir`; returns their paths. */
export async function writeReports(run: RunResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, "results.json");
  const junit = join(dir, "junit.xml");
  await writeJsonReport(run, json);
  await writeJunitReport(run, junit, { transcriptPath: () => json });
  return [junit, json];
}
