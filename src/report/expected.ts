import { readFile, writeFile } from "node:fs/promises";
import type { RunResult, Verdict } from "../runner/result.js";

/** suites/expected/<target>.json: the verdict per scenario the suite reaches today against a real target (a ratchet). */
export interface ExpectedVerdicts {
  target: string;
  software?: string;
  verdicts: Record<string, Verdict>;
}

export async function readExpected(path: string): Promise<ExpectedVerdicts> {
  const data = JSON.parse(await readFile(path, "utf8")) as ExpectedVerdicts;
  if (typeof data.verdicts !== "object" || data.verdicts === null) throw new Error(`${path}: no 'verdicts' object`);
  return data;
}

export async function writeExpected(run: RunResult, target: string, path: string): Promise<void> {
  const verdicts = Object.fromEntries(run.scenarios.map((s) => [s.id, s.verdict]));
  const data: ExpectedVerdicts = { target, software: run.targets.map((t) => t.software).filter(Boolean).join("; ") || undefined, verdicts };
  await writeFile(path, JSON.stringify(data, null, 2) + "\n", "utf8");
}

/** Every difference, in either direction: an expected failure that now passes is a difference too. */
export function compareWithExpected(run: RunResult, expected: ExpectedVerdicts): string[] {
  const differences: string[] = [];
  const actual = new Map(run.scenarios.map((s) => [s.id, s]));
  for (const [id, verdict] of Object.entries(expected.verdicts)) {
    const got = actual.get(id);
    if (!got) differences.push(`${id}: expected ${verdict}, but the scenario did not run`);
    else if (got.verdict !== verdict) differences.push(`${id}: expected ${verdict}, got ${got.verdict}${got.reason ? ` (${got.reason})` : ""}`);
  }
  for (const [id, got] of actual) if (!(id in expected.verdicts)) differences.push(`${id}: not in the expected file (got ${got.verdict})`);
  return differences;
}
