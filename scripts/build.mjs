#!/usr/bin/env node
// Builds dist/, what the published package runs: the CLI compiled by tsc (tsconfig.build.json), and
// beside it what the compiled modules read at run time through paths relative to themselves (the
// catalogues in spec/, the text scenarios and expected files in suites/, JSON and other data files
// under src/ and mocks/, a package.json with the version and "type": "module"). Plain JavaScript:
// it runs where only Node and TypeScript are installed (the composite Action, npm's prepack).
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");
const BIN = join(DIST, "bin", "xep0355.js");

/** tsc from the project's node_modules, else the one on PATH (npx --package typescript). */
function tscCommand() {
  try {
    return [process.execPath, createRequire(join(ROOT, "package.json")).resolve("typescript/bin/tsc")];
  } catch {
    return ["tsc"];
  }
}

/** Every file under dir whose name passes keep, as paths relative to ROOT. */
function files(dir, keep) {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path, keep);
    return e.isFile() && keep(e.name) ? [path] : [];
  });
}

rmSync(DIST, { recursive: true, force: true });
const [command, ...args] = tscCommand();
const tsc = spawnSync(command, [...args, "-p", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
if (tsc.error || tsc.status !== 0) {
  console.error(tsc.error ? `build: cannot run tsc (${tsc.error.message}); npm ci installs it` : "build: tsc failed");
  process.exit(1);
}

const assets = [
  ...files("spec", (name) => name.endsWith(".md")),
  ...["src", "mocks", "suites"].flatMap((dir) => files(dir, (name) => !name.endsWith(".ts"))),
];
for (const path of assets) {
  mkdirSync(dirname(join(DIST, path)), { recursive: true });
  copyFileSync(join(ROOT, path), join(DIST, path));
}
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
writeFileSync(join(DIST, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", private: true }, null, 2)}\n`);
chmodSync(BIN, 0o755);
console.log(`build: dist/ (${relative(ROOT, BIN)} and ${assets.length} data files)`);
