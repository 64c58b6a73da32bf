import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Every file under dir whose name passes keep, as paths relative to ROOT. */
function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path, keep);
    return e.isFile() && keep(e.name) ? [path] : [];
  });
}

/**
 * The CLI compiled once for a whole test run, laid out as `npm run build` lays out dist/ (scripts/build.mjs:
 * the modules of tsconfig.build.json's folders, the data files beside them, a package.json), in a
 * folder of its own so that it races no build of dist/. Each module is transpiled on its own by
 * esbuild, as tsx (bin/xep0355) does in development, ahead of time: a fraction of a second where a tsc
 * build takes several, and each spawn then costs node's start-up, not tsx's too (~0.5 s CPU).
 * Returns the command's path.
 */
export async function buildCli(out: string): Promise<string> {
  // The folders tsconfig.build.json compiles (bin/xep0355.ts, src, mocks, suites), as tsx runs them in development.
  const modules = ["bin/xep0355.ts", ...["src", "mocks", "suites"].flatMap((dir) => files(dir, (name) => name.endsWith(".ts") && !name.endsWith(".d.ts")))];
  await build({
    entryPoints: modules.map((m) => join(ROOT, m)),
    outbase: ROOT,
    outdir: out,
    bundle: false,
    format: "esm",
    platform: "node",
    tsconfig: join(ROOT, "tsconfig.build.json"),
    logLevel: "error",
  });
  const assets = [...files("spec", (name) => name.endsWith(".md")), ...["src", "mocks", "suites"].flatMap((dir) => files(dir, (name) => !name.endsWith(".ts")))];
  for (const path of assets) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    copyFileSync(join(ROOT, path), join(out, path));
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  writeFileSync(join(out, "package.json"), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", private: true }, null, 2)}\n`);
  // The project's dependencies, found from the compiled modules as from the sources.
  symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"));
  const bin = join(out, "bin", "xep0355.js");
  chmodSync(bin, 0o755);
  return bin;
}

/** vitest globalSetup: builds the CLI once, hands its path to the workers (test/helpers/cli.ts), removes it at the end. */
export default async function setup({ provide }: { provide: (key: "xep0355Bin", value: string) => void }): Promise<() => void> {
  const out = mkdtempSync(join(tmpdir(), "xep0355-cli-build-"));
  provide("xep0355Bin", await buildCli(out));
  return () => rmSync(out, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    xep0355Bin: string;
  }
}
