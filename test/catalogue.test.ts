import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOGUE_PATH, loadCatalogue } from "../src/catalogue/catalogue.js";

const SHARED = new URL("../../shared/spec/xep-0355-requirements.md", import.meta.url);

describe("requirement catalogue", () => {
  it("parses every row with a level and an XEP anchor", () => {
    const catalogue = loadCatalogue();
    expect(catalogue.length).toBeGreaterThan(60);
    for (const r of catalogue) expect(r.anchor, r.id).not.toBe("");
    expect(new Set(catalogue.map((r) => r.id)).size).toBe(catalogue.length);
  });

  it.skipIf(!existsSync(SHARED))("is the same as the shared catalogue the project keeps (new IDs get noticed)", () => {
    expect(readFileSync(CATALOGUE_PATH, "utf8")).toBe(readFileSync(SHARED, "utf8"));
  });
});
