import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CodeScenario, Role, Scenario } from "./model.js";
import { parseScenario, ScenarioSyntaxError } from "./parse.js";

export const SUITES_DIR = fileURLToPath(new URL("../../suites", import.meta.url));

/** What a `.scenario.ts` module exports by default. */
export type ScenarioModule = Omit<CodeScenario, "kind" | "file">;

/** A scenario module: `.scenario.ts` in the sources, `.scenario.js` once compiled (dist/suites/, the published package). */
const MODULE = /\.scenario\.[jt]s$/;

/** Loads every scenario of a role from suites/<role>/ (text `.scenario` files and `.scenario.ts` modules), sorted by id. */
export async function loadSuite(role: Role, dir = join(SUITES_DIR, role)): Promise<Scenario[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    throw new ScenarioSyntaxError(dir, 0, "cannot read the scenario directory");
  }
  const files = entries.filter((f) => f.endsWith(".scenario") || MODULE.test(f)).sort();
  const scenarios = await Promise.all(files.map((f) => loadScenarioFile(join(dir, f))));
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    if (s.role !== role) throw new ScenarioSyntaxError(s.file, 1, `role is '${s.role}' but the file is in suites/${role}/`);
    const other = seen.get(s.id);
    if (other) throw new ScenarioSyntaxError(s.file, 1, `id '${s.id}' is also used by ${other}`);
    seen.set(s.id, s.file);
  }
  return scenarios.sort((a, b) => a.id.localeCompare(b.id));
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  const file = relative(process.cwd(), path) || path;
  if (MODULE.test(path)) {
    if (path.endsWith(".ts")) await canImportTypeScript(file);
    const module = (await import(pathToFileURL(path).href)) as { default?: ScenarioModule };
    if (!module.default?.id || typeof module.default.run !== "function") {
      throw new ScenarioSyntaxError(file, 1, "a .scenario.ts module must export default { id, title, role, requirements, needs, versions, cast, run }");
    }
    return { ...module.default, kind: "code", file };
  }
  return parseScenario(await readFile(path, "utf8"), file);
}

/**
 * The compiled CLI (the published package) runs without tsx; a user's own `.scenario.ts` still loads
 * when tsx can be found from here (installed next to the package), registered on first use.
 */
let tsxRegistered: Promise<boolean> | undefined;
async function canImportTypeScript(file: string): Promise<void> {
  if (import.meta.url.endsWith(".ts")) return;
  tsxRegistered ??= import("tsx/esm/api").then(
    (tsx) => {
      tsx.register();
      return true;
    },
    () => false,
  );
  if (!(await tsxRegistered)) throw new ScenarioSyntaxError(file, 1, "a .scenario.ts file needs tsx to load: npm install tsx (or write it as a .scenario text file)");
}
