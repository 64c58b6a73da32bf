import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "./errors.js";

/**
 * mkdir -p that gives up: Node 20's mkdir({ recursive: true }) loops forever, one CPU at 100 %,
 * where the parent exists but refuses the child with ENOENT (/proc/nope). Creates the missing
 * folders one by one instead; a file in the way is ENOTDIR.
 */
export async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = await stat(at).catch(() => undefined);
    if (found?.isDirectory()) break;
    if (found) throw Object.assign(new Error(`${at} is a file, not a folder`), { code: "ENOTDIR" });
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    await mkdir(folder).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }
}

/**
 * The reports folder of a run, checked before anything runs (a bad one found only after the run
 * lost its results): created if missing, and written to once. A usage error names what is wrong.
 */
export async function prepareReportsDir(command: string, dir: string): Promise<void> {
  const wrong = (why: string) => new UsageError(`--reports ${dir}: ${why}`, command);
  const found = await stat(dir).catch(() => undefined);
  if (found && !found.isDirectory()) throw wrong("is a file; --reports takes a folder (it writes junit.xml, results.json, index.html, … into it)");
  try {
    await makeFolder(dir);
  } catch (err) {
    throw wrong(`cannot create the folder (${describe(err)})`);
  }
  const probe = join(dir, `.xep0355-write-test-${process.pid}`);
  try {
    await writeFile(probe, "");
  } catch (err) {
    throw wrong(`cannot write into the folder (${describe(err)})`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === "ENOTDIR" ? e.message : (e.code ?? e.message ?? String(err));
}
