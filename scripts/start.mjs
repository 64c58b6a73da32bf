#!/usr/bin/env node
// `npm start` and bin/xep0355: the CLI, run from JavaScript compiled from exactly the sources in the work tree.
// Start-up through tsx (transforming ~170 modules on every run) was about a third of a run against the
// embedded mocks, so this runs a compiled copy instead, and never a stale one: the copy's folder is
// named by a hash of the contents of everything it is built from (scripts/start-build.mjs); after
// any edit the first run builds the new copy (esbuild, about a second), the next ones reuse it.
// dist/ (npm run build, the published package) is not touched.
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freshBuild } from "./start-build.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();
const build = await freshBuild(ROOT, join(ROOT, "node_modules", ".cache", "xep0355-start"));
// Said on a terminal only: a run's output (and a script comparing runs) is the same either way.
if (build.built && process.stderr.isTTY) {
  process.stderr.write(`xep0355: sources changed, compiled ${build.modules} modules to ${relative(ROOT, build.dir)} in ${Date.now() - started} ms\n`);
}
await import(pathToFileURL(join(build.dir, "src", "cli", "main.js")).href);
