import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { anchorUrl, CATALOGUE_PATH, cataloguePath, loadAllCatalogues, loadCatalogue, requirementById } from "../src/catalogue/catalogue.js";

const SHARED = new URL("../../shared/spec/xep-0355-requirements.md", import.meta.url);
const SHARED_0356 = new URL("../../shared/spec/xep-0356-requirements.md", import.meta.url);

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

  it("parses XEP-0356's catalogue: PRV-* and PE-* rows, each knowing its specification and anchor", () => {
    const catalogue = loadCatalogue("0356");
    expect(catalogue.length).toBe(36);
    for (const r of catalogue) {
      expect(r.spec, r.id).toBe("0356");
      expect(r.id, r.id).toMatch(/^(PRV|PE)-/);
      expect(r.anchor, r.id).not.toBe("");
    }
    expect(anchorUrl(requirementById("PRV-IQ-01")!)).toBe("https://xmpp.org/extensions/xep-0356.html#iq_stanzas");
    expect(anchorUrl(requirementById("SRV-REP-03")!)).toMatch(/^https:\/\/xmpp\.org\/extensions\/xep-0355\.html#/);
    expect(new Set(loadAllCatalogues().map((r) => r.id)).size).toBe(loadAllCatalogues().length);
  });

  it.skipIf(!existsSync(SHARED_0356))("keeps XEP-0356's catalogue equal to the shared one", () => {
    expect(readFileSync(cataloguePath("0356"), "utf8")).toBe(readFileSync(SHARED_0356, "utf8"));
  });
});
