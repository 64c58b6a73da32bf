import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The npm package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into an
 * empty folder (from npm's cache when it has everything, else the registry), and the command run
 * there with npx: compiled JavaScript, no tsx, finding its catalogue, suites and mocks from dist/.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const exec = promisify(execFile);
const SETUP_LIMIT_MS = 300_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(file: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

let work: string;
let app: string;
let tarball: string;
let listing: string[];
let packed: { name: string; version: string; private?: boolean; license?: string; bin?: Record<string, string>; files?: string[]; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "xep0355-package-"));
  const pack = await run("npm", ["pack", "--pack-destination", work], ROOT);
  expect(pack.code, `${pack.stdout}\n${pack.stderr}`).toBe(0);
  const name = (await readdir(work)).find((f) => f.endsWith(".tgz"));
  expect(name, "npm pack wrote no tarball").toBeDefined();
  tarball = join(work, name as string);
  listing = (await run("tar", ["tzf", tarball], work)).stdout.split("\n").filter(Boolean).map((p) => p.replace(/^package\//, ""));
  packed = JSON.parse((await run("tar", ["xzOf", tarball, "package/package.json"], work)).stdout) as typeof packed;

  app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "tries-xep0355", version: "1.0.0", private: true }));
  const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], app);
  expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
}, SETUP_LIMIT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// The cases only read the installed package (the run writes its own reports folder): side by side.
describe.concurrent("the npm package (npm pack, installed into an empty folder)", () => {
  it("holds the compiled CLI, the data it reads, the docs and the LICENSE; no tests, CI files, TypeScript sources or images", async () => {
    for (const f of ["package.json", "LICENSE", "README.md", "dist/bin/xep0355.js", "dist/src/cli/main.js", "dist/package.json", "dist/spec/xep-0355-requirements.md", "docs/reports.md"]) {
      expect(listing, f).toContain(f);
    }
    expect(listing.some((f) => /^dist\/suites\/server\/.+\.scenario$/.test(f)), "text scenarios").toBe(true);
    expect(listing.some((f) => /^dist\/suites\/server\/.+\.scenario\.js$/.test(f)), "compiled scenario modules").toBe(true);
    expect(listing.some((f) => f.startsWith("dist/mocks/server/")), "mock server").toBe(true);
    expect(listing.some((f) => f.startsWith("dist/mocks/component/")), "mock component").toBe(true);
    const unwanted = listing.filter((f) => /^(test|\.ci|\.github|scripts|src|mocks|suites|bin)\//.test(f) || /\.(png|ts)$/.test(f) || f.includes("node_modules/"));
    expect(unwanted).toEqual([]);
    const size = (await stat(tarball)).size;
    expect(size, "tarball bytes").toBeLessThan(2_000_000);
    const license = await readFile(join(app, "node_modules/xep0355-conformance/LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the xep0355-conformance authors\n/);
  });

  it("package.json: public, MIT, a compiled bin with a shebang, tsx only for development", async () => {
    expect(packed.private).toBeUndefined();
    expect(packed.license).toBe("MIT");
    expect(packed.bin).toEqual({ xep0355: "dist/bin/xep0355.js" });
    const bin = await readFile(join(app, "node_modules/xep0355-conformance/dist/bin/xep0355.js"), "utf8");
    expect(bin.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(Object.keys(packed.dependencies ?? {})).not.toContain("tsx");
    expect(Object.keys(packed.devDependencies ?? {})).toContain("tsx");
    // @xmpp/component stays (the mock component is being moved onto it).
    expect(Object.keys(packed.dependencies ?? {})).toContain("@xmpp/component");
  });

  it("installs no TypeScript toolchain: no tsx, esbuild, typescript or vitest in the user's node_modules", () => {
    for (const dev of ["tsx", "esbuild", "typescript", "vitest", "playwright-core"]) {
      expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
    }
    for (const dep of Object.keys(packed.dependencies ?? {})) expect(existsSync(join(app, "node_modules", dep)), dep).toBe(true);
  });

  it("npx xep0355 --version", async () => {
    const version = await run("npx", ["--no", "--", "xep0355", "--version"], app);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(new RegExp(`^xep0355 ${packed.version.replace(/\./g, "\\.")} `));
  });

  it("npx xep0355 list --requirements reads the catalogue from the package", async () => {
    const list = await run("npx", ["--no", "--", "xep0355", "list", "--requirements"], app);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("SRV-REP-05");
    expect(list.stdout).toContain("ME-REP-01");
  });

  it("npx xep0355 run --role component --quiet: the embedded mock component is compliant, reports in the folder", async () => {
    const ran = await run("npx", ["--no", "--", "xep0355", "run", "--role", "component", "--quiet"], app);
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    expect(ran.stdout).toMatch(/^compliant/m);
    for (const f of ["junit.xml", "results.json", "index.html", "summary.md", "badge.svg"]) expect(existsSync(join(app, "reports", f)), f).toBe(true);
    const results = JSON.parse(await readFile(join(app, "reports/results.json"), "utf8")) as { scenarios: { file: string; verdict: string }[] };
    expect(results.scenarios.length).toBeGreaterThan(10);
    // The code scenarios ran compiled, from the package.
    expect(results.scenarios.some((s) => s.file.endsWith(".scenario.js"))).toBe(true);
  });
});
