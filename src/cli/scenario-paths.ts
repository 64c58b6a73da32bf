import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadScenarioFile, loadSuite } from "../scenario/load.js";
import type { Role, Scenario } from "../scenario/model.js";
import { UsageError } from "./errors.js";

/** Text scenarios and scenario modules (`.scenario.js` once compiled: the published package). */
const isScenarioFile = (name: string) => /\.scenario(\.[jt]s)?$/.test(name);

/**
 * The scenarios of a run, by role: the built-in suites/<role>/, or what `--scenarios` names — files
 * and folders (their scenario files, not their subfolders), comma-separated or the option repeated.
 * A role none of them is for is left out; a scenario for a role the run does not test is an error.
 */
export async function scenariosByRole(roles: Role[], paths: string[] | undefined): Promise<Map<Role, Scenario[]>> {
  const byRole = new Map<Role, Scenario[]>();
  if (!paths?.length) {
    for (const role of roles) byRole.set(role, await loadSuite(role));
    return byRole;
  }
  const files = (await Promise.all(paths.flatMap((p) => p.split(",")).filter(Boolean).map(scenarioFiles))).flat();
  const scenarios = await Promise.all([...new Set(files)].map((f) => loadScenarioFile(f)));
  const firstFile = new Map<string, string>();
  for (const s of scenarios) {
    const other = firstFile.get(s.id);
    if (other) throw new UsageError(`--scenarios: id '${s.id}' is used by both ${other} and ${s.file}`, "run");
    firstFile.set(s.id, s.file);
    if (!roles.includes(s.role)) throw new UsageError(`--scenarios: ${s.file} is a ${s.role} scenario, but the run tests the ${roles.join(" and ")} role`, "run");
  }
  for (const role of roles) {
    const mine = scenarios.filter((s) => s.role === role).sort((a, b) => a.id.localeCompare(b.id));
    if (mine.length) byRole.set(role, mine);
  }
  if (byRole.size === 0) throw new UsageError(`--scenarios ${paths.join(",")}: no .scenario or .scenario.ts file there`, "run");
  return byRole;
}

async function scenarioFiles(path: string): Promise<string[]> {
  const found = await stat(path).catch(() => undefined);
  if (!found) throw new UsageError(`--scenarios ${path}: no such file or folder`, "run");
  if (!found.isDirectory()) {
    if (!isScenarioFile(path)) throw new UsageError(`--scenarios ${path}: not a scenario file (.scenario or .scenario.ts)`, "run");
    return [path];
  }
  const names = await readdir(path);
  return names.filter(isScenarioFile).sort().map((name) => join(path, name));
}
