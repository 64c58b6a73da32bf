import { readFile, writeFile } from "node:fs/promises";
import type { RunResult, Verdict } from "../runner/result.js";

/**
 * suites/expected/<target>.json: the verdict per scenario the suite reaches today against a real
 * target (a ratchet), and the reading it follows of each ambiguous requirement.
 */
export interface ExpectedVerdicts {
  target: string;
  software?: string;
  verdicts: Record<string, Verdict>;
  /**
   * Requirement ID → the reading the target follows (RequirementResult.reading). Optional: a file
   * without it (written before readings existed) pins verdicts only, and readings are not compared.
   */
  readings?: Record<string, string>;
  /**
   * Scenario ID → the requirement its failure is blamed on (ScenarioResult.failedRequirement), for each
   * failing scenario. Optional like readings: a file without it pins verdicts only. With it, a scenario
   * that still fails but now on another requirement is a difference (a pass can hide behind a fail).
   */
  blamed?: Record<string, string>;
}

export async function readExpected(path: string): Promise<ExpectedVerdicts> {
  const data = JSON.parse(await readFile(path, "utf8")) as ExpectedVerdicts;
  if (typeof data.verdicts !== "object" || data.verdicts === null) throw new Error(`${path}: no 'verdicts' object`);
  if (data.readings !== undefined) {
    const ok = typeof data.readings === "object" && data.readings !== null && !Array.isArray(data.readings);
    if (!ok || Object.values(data.readings).some((r) => typeof r !== "string")) {
      throw new Error(`${path}: 'readings' must map requirement IDs to reading names`);
    }
  }
  if (data.blamed !== undefined) {
    const ok = typeof data.blamed === "object" && data.blamed !== null && !Array.isArray(data.blamed);
    if (!ok || Object.values(data.blamed).some((r) => typeof r !== "string")) {
      throw new Error(`${path}: 'blamed' must map scenario IDs to requirement IDs`);
    }
  }
  return data;
}

/** The requirement each failing scenario of a run is blamed on (only failures that name one). */
export function runBlamed(run: RunResult): Record<string, string> {
  return Object.fromEntries(run.scenarios.filter((s) => s.verdict === "fail" && s.failedRequirement).map((s) => [s.id, s.failedRequirement as string]));
}

/** The readings a run recorded, by requirement ID (only requirements with one). */
export function runReadings(run: RunResult): Record<string, string> {
  return Object.fromEntries(run.requirements.filter((r) => r.reading).map((r) => [r.id, r.reading as string]));
}

export async function writeExpected(run: RunResult, target: string, path: string): Promise<void> {
  const verdicts = Object.fromEntries(run.scenarios.map((s) => [s.id, s.verdict]));
  const data: ExpectedVerdicts = {
    target,
    software: run.targets.map((t) => t.software).filter(Boolean).join("; ") || undefined,
    verdicts,
    readings: runReadings(run),
    blamed: runBlamed(run),
  };
  await writeFile(path, JSON.stringify(data, null, 2) + "\n", "utf8");
}

/**
 * Every difference, in either direction: an expected failure that now passes is a difference too,
 * and so is a change of reading (or a reading appearing or disappearing) when the file pins readings.
 */
export function compareWithExpected(run: RunResult, expected: ExpectedVerdicts): string[] {
  const differences: string[] = [];
  const actual = new Map(run.scenarios.map((s) => [s.id, s]));
  for (const [id, verdict] of Object.entries(expected.verdicts)) {
    const got = actual.get(id);
    if (!got) differences.push(`${id}: expected ${verdict}, but the scenario did not run`);
    else if (got.verdict !== verdict) differences.push(`${id}: expected ${verdict}, got ${got.verdict}${got.reason ? ` (${got.reason})` : ""}`);
  }
  for (const [id, got] of actual) if (!(id in expected.verdicts)) differences.push(`${id}: not in the expected file (got ${got.verdict})`);
  if (expected.readings) differences.push(...compareReadings(run, expected.readings));
  if (expected.blamed) differences.push(...compareBlamed(run, expected));
  return differences;
}

/** A failing scenario blamed on another requirement than the file says (verdict differences are said above). */
function compareBlamed(run: RunResult, expected: ExpectedVerdicts): string[] {
  const blamed = expected.blamed ?? {};
  const differences: string[] = [];
  for (const s of run.scenarios) {
    if (s.verdict !== "fail" || expected.verdicts[s.id] !== "fail") continue;
    const want = blamed[s.id];
    const got = s.failedRequirement;
    if (want !== got) differences.push(`${s.id}: expected a failure of ${want ?? "(no requirement named)"}, got one of ${got ?? "(no requirement named)"}${s.reason ? ` (${s.reason})` : ""}`);
  }
  return differences;
}

function compareReadings(run: RunResult, expected: Record<string, string>): string[] {
  const differences: string[] = [];
  const actual = runReadings(run);
  const requirement = new Map(run.requirements.map((r) => [r.id, r]));
  for (const [id, reading] of Object.entries(expected)) {
    const got = actual[id];
    if (got === reading) continue;
    const r = requirement.get(id);
    const why = !r ? "it was not reported" : `none was recorded (${r.verdict}${r.reason ? `: ${r.reason}` : ""})`;
    differences.push(got ? `${id}: expected the ${reading} reading, got ${got}` : `${id}: expected the ${reading} reading, but ${why}`);
  }
  for (const [id, got] of Object.entries(actual)) {
    if (!(id in expected)) differences.push(`${id}: reading ${got} not in the expected file`);
  }
  return differences;
}
