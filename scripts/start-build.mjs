// The compiled copy that `npm start` runs (scripts/start.mjs), kept honest: it lives in a folder named
// by a hash of the CONTENTS of every file it is built from (src/, mocks/, suites/, spec/*.md,
// package.json, tsconfig.json), so any edit names a new folder, built before the run; an unchanged tree
// reuses its folder. esbuild transforms each module on its own, as tsx does (no bundling: paths relative
// to a module, such as ../../suites, hold in the copy too, beside which the data files are copied).
// Plain JavaScript, so that it needs nothing compiled to start.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Builds kept besides the current one (another state of the tree run a moment ago, e.g. an A/B comparison). */
const KEEP = 3;
/**
 * A build used more recently than this is never dropped: work trees that share node_modules (a symlink)
 * share this cache, and a run still importing modules from a build (lazily, up to its end) must find them.
 */
const IN_USE_MS = 30 * 60_000;

/** Every file under dir (relative to root), sorted, so that the hash does not depend on readdir's order. */
function files(root, dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return files(root, path);
      return e.isFile() ? [path] : [];
    })
    .sort();
}

/** What the copy is built from, relative to root. */
export function inputs(root) {
  return [
    ...["src", "mocks", "suites"].flatMap((dir) => files(root, dir)),
    ...files(root, "spec").filter((p) => p.endsWith(".md")),
    ...["package.json", "tsconfig.json"].filter((p) => existsSync(join(root, p))),
  ];
}

/** Hash of the inputs' names and contents: the copy's folder name. */
export function fingerprint(root, paths = inputs(root)) {
  const hash = createHash("sha256");
  for (const path of paths) hash.update(`${path}\0`).update(readFileSync(join(root, path))).update("\0");
  return hash.digest("hex").slice(0, 20);
}

/**
 * The folder of the copy of root's current sources under cache, compiled first if it does not exist
 * yet (`built` then says so). Built in a private folder and renamed into place, so that a concurrent
 * `npm start` never sees half a build.
 */
export async function freshBuild(root, cache) {
  const paths = inputs(root);
  const out = join(cache, fingerprint(root, paths));
  if (existsSync(join(out, "ready"))) {
    touch(out);
    return { dir: out, built: false };
  }
  const { build } = await import("esbuild");
  const partial = `${out}.${process.pid}.tmp`;
  rmSync(partial, { recursive: true, force: true });
  const modules = paths.filter((p) => p.endsWith(".ts"));
  await build({
    absWorkingDir: root,
    entryPoints: modules,
    outdir: partial,
    outbase: ".",
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    tsconfig: join(root, "tsconfig.json"),
    logLevel: "error",
  });
  for (const path of paths.filter((p) => !p.endsWith(".ts"))) {
    mkdirSync(dirname(join(partial, path)), { recursive: true });
    copyFileSync(join(root, path), join(partial, path));
  }
  writeFileSync(join(partial, "ready"), `${new Date().toISOString()}\n`);
  try {
    renameSync(partial, out);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // built meanwhile by another `npm start`: the same contents
  }
  prune(cache, out);
  return { dir: out, built: true, modules: modules.length };
}

/** Marks a build as used now (its folder's mtime), for prune. */
function touch(dir) {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
  } catch {
    // pruned meanwhile by a run of another tree: this run already found its modules
  }
}

/**
 * Drops all but the KEEP most recently used folders (never the current one, one being built, nor one
 * used in the last IN_USE_MS).
 */
function prune(cache, current) {
  const builds = readdirSync(cache)
    .map((name) => join(cache, name))
    .filter((path) => path !== current && !path.endsWith(".tmp"))
    .map((path) => ({ path, at: statSync(path).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { path, at } of builds.slice(KEEP)) {
    if (Date.now() - at > IN_USE_MS) rmSync(path, { recursive: true, force: true });
  }
}
