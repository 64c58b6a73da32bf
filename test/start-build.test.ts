// `npm start` runs a compiled copy of the sources (scripts/start.mjs): never a stale one.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprint, freshBuild } from "../scripts/start-build.mjs";

const root = mkdtempSync(join(tmpdir(), "xep0355-start-build-"));
const cache = join(root, "cache");
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

write("package.json", JSON.stringify({ name: "fixture", version: "1.0.0", type: "module" }));
write("tsconfig.json", JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", strict: true } }));
write("src/answer.ts", `import { readFileSync } from "node:fs";\nexport const answer: number = 1;\nexport const data = readFileSync(new URL("./data.txt", import.meta.url), "utf8");\n`);
write("src/data.txt", "one");
write("suites/server/x.scenario", "id: x\n");
write("spec/catalogue.md", "# catalogue\n");

async function answer(dir: string): Promise<{ answer: number; data: string }> {
  return import(`${pathToFileURL(join(dir, "src", "answer.js")).href}?${Date.now()}`);
}

describe("npm start's compiled copy", () => {
  it("is built once, then reused while nothing changes", async () => {
    const first = await freshBuild(root, cache);
    expect(first.built).toBe(true);
    expect(await answer(first.dir)).toMatchObject({ answer: 1, data: "one" });
    expect(readFileSync(join(first.dir, "suites", "server", "x.scenario"), "utf8")).toBe("id: x\n");
    const again = await freshBuild(root, cache);
    expect(again).toMatchObject({ dir: first.dir, built: false });
  });

  it("is rebuilt after any change of contents, even one that keeps the size (a module, a data file, a catalogue)", async () => {
    const before = fingerprint(root);
    write("src/answer.ts", readFileSync(join(root, "src", "answer.ts"), "utf8").replace("= 1;", "= 2;"));
    const module = await freshBuild(root, cache);
    expect(module.built).toBe(true);
    expect(fingerprint(root)).not.toBe(before);
    expect((await answer(module.dir)).answer).toBe(2);

    write("src/data.txt", "two");
    const data = await freshBuild(root, cache);
    expect(data.built).toBe(true);
    expect((await answer(data.dir)).data).toBe("two");

    const catalogue = fingerprint(root);
    write("spec/catalogue.md", "# Catalogue\n");
    expect(fingerprint(root)).not.toBe(catalogue);
  });

  it("keeps every build used in the last half hour (work trees sharing node_modules share the cache), drops older ones beyond the last three", async () => {
    const dirs: string[] = [];
    for (let i = 0; i < 5; i++) {
      write("src/data.txt", `recent ${i}`);
      dirs.push((await freshBuild(root, cache)).dir);
    }
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    // an hour ago, in the order they were built; the other tests' builds before them
    const at = (i: number) => new Date(Date.now() - 3600_000 + i * 1000);
    for (const name of readdirSync(cache)) utimesSync(join(cache, name), at(-10), at(-10));
    dirs.forEach((d, i) => utimesSync(d, at(i), at(i)));
    write("src/data.txt", "newest");
    await freshBuild(root, cache);
    expect(dirs.map((d) => existsSync(d))).toEqual([false, false, true, true, true]);
  });
});
