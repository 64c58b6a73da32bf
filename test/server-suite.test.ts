import { describe, expect, it } from "vitest";
import { loadAllCatalogues, NOT_IN_VERSION_1 } from "../src/catalogue/catalogue.js";
import { loadSuite } from "../src/scenario/load.js";
import { ALTERNATE_READINGS, DEFAULT_READINGS, SERVER_FAULTS, type ServerReadings } from "../mocks/server/index.js";
import { FURTHER_READINGS } from "../mocks/server/options.js";
import { describeResults, runServerSuite } from "./helpers/run-mock-suite.js";

const SERVER_SECTIONS = ["A", "B", "C", "D", "E", "F"];

describe("server-role suite against the healthy mock server", () => {
  it("passes every scenario with urn:xmpp:delegation:2", async () => {
    const results = await runServerSuite([], 2);
    const notPassing = results.filter((r) => r.verdict !== "pass");
    expect(notPassing, describeResults(notPassing)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(44);
  });

  it("passes with urn:xmpp:delegation:1, and reports the 0.5-only requirements not-applicable", async () => {
    const results = await runServerSuite([], 1);
    for (const r of results) {
      const onlyV2 = r.requirements.some((id) => NOT_IN_VERSION_1.includes(id));
      expect(r.verdict, `${r.id}: ${r.reason}`).toBe(onlyV2 ? "not-applicable" : "pass");
    }
  });
});

describe("coverage of the catalogue", () => {
  it("has at least one scenario for every ID of sections A–F (read from the catalogue files: XEP-0355's SRV-*, XEP-0356's PRV-*)", async () => {
    const scenarios = await loadSuite("server");
    const ids = loadAllCatalogues().filter((r) => SERVER_SECTIONS.includes(r.section)).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(40);
    const uncovered = ids.filter((id) => !scenarios.some((s) => s.requirements[0] === id));
    expect(uncovered).toEqual([]);
  });

  it("has one mock-server fault per ID of sections A–F (both specifications), but none for an ambiguous row, which has readings", () => {
    const rows = loadAllCatalogues().filter((r) => SERVER_SECTIONS.includes(r.section));
    const faults = Object.keys(SERVER_FAULTS);
    // A counted row needs a fault to prove its scenarios can fail; an ambiguous one is reported, never
    // failed: a behaviour that breaks it fails the counted row it breaks, or is one more reading.
    const ambiguous = rows.filter((r) => r.level === "ambiguous").map((r) => r.id);
    expect(rows.filter((r) => !ambiguous.includes(r.id) && !faults.includes(r.id)).map((r) => r.id)).toEqual([]);
    expect(faults.filter((id) => !rows.some((r) => r.id === id) || ambiguous.includes(id))).toEqual([]);
    for (const id of ambiguous) expect(Object.hasOwn(DEFAULT_READINGS, id), `${id} has readings in the mock`).toBe(true);
  });
});

// The fault matrix (each fault fails exactly the scenarios listing it) is in server-faults-1/2.test.ts, run in parallel.

describe("connection orders", () => {
  it("accepts a server that queries the nesting nodes before advertising (ejabberd's order)", async () => {
    const { loadSuite } = await import("../src/scenario/load.js");
    const { runSuite } = await import("../src/runner/runner.js");
    const { MockServerDriver } = await import("../src/runner/drivers/mock-server-driver.js");
    const driver = new MockServerDriver({ version: 2, faults: [], order: "query-first" });
    const outcome = await runSuite(await loadSuite("server"), driver, await driver.prepare(), { concurrency: 6, scenarioDeadlineMs: 20_000 });
    const notPassing = outcome.results.filter((r) => r.verdict !== "pass");
    expect(notPassing, describeResults(notPassing)).toEqual([]);
  });
});

/**
 * Ambiguous rows (and the MAY row SRV-DSC-14) never fail a target for either reading: the mock follows
 * each (MockServerOptions.readings), the suite passes, and the scenarios about the row record the reading.
 */
describe("readings of the ambiguous rows", () => {
  /** Scenarios a reading contradicts by design: nesting (SRV-DSC-14, MAY) is what SRV-DSC-10 (SHOULD NOT) recommends against. */
  const CONTRADICTED: Record<string, string[]> = {
    "SRV-DSC-14 nests": ["srv-dsc-10-items-not-mixed"],
  };
  it.each([
    ["default", DEFAULT_READINGS],
    ["alternate", ALTERNATE_READINGS],
    ["further", FURTHER_READINGS],
  ] as [string, Partial<ServerReadings>][])("the suite passes against the mock following the %s readings, and records them", async (_name, readings) => {
    const { runSuite } = await import("../src/runner/runner.js");
    const { MockServerDriver } = await import("../src/runner/drivers/mock-server-driver.js");
    const driver = new MockServerDriver({ version: 2, faults: [], readings });
    const outcome = await runSuite(await loadSuite("server"), driver, await driver.prepare(), { concurrency: 6, scenarioDeadlineMs: 20_000 });
    const contradicted = Object.entries(readings).flatMap(([id, name]) => CONTRADICTED[`${id} ${name}`] ?? []);
    const notPassing = outcome.results.filter((r) => r.verdict !== "pass" && !contradicted.includes(r.id));
    expect(notPassing, describeResults(notPassing)).toEqual([]);
    for (const r of outcome.results.filter((r) => contradicted.includes(r.id))) expect(r.verdict, r.id).toBe("fail");
    for (const [id, name] of Object.entries(readings)) {
      const about = outcome.results.filter((r) => r.requirements[0] === id);
      expect(about.length, `no scenario is about ${id}`).toBeGreaterThan(0);
      for (const r of about) expect(r.readings[id], `${r.id} records the reading of ${id}`).toBe(name);
    }
  });
});
