import { describe, expect, it } from "vitest";
import { loadCatalogue } from "../src/catalogue/catalogue.js";
import { loadSuite } from "../src/scenario/load.js";
import { PRIVILEGE_FAULTS } from "../mocks/server/privilege-faults.js";
import { runCli, runRoleAgainstMocks } from "./helpers/cli.js";

/** XEP-0356's server rows (sections A–F of its catalogue); G is the privileged entity's. */
const SERVER_ROWS = loadCatalogue("0356").filter((r) => r.id.startsWith("PRV-"));

describe("XEP-0356 catalogue coverage (server role)", () => {
  it("has a scenario about every PRV-* row and one mock-server fault per row", async () => {
    const scenarios = await loadSuite("server");
    expect(SERVER_ROWS.length).toBeGreaterThanOrEqual(31);
    expect(SERVER_ROWS.filter((r) => !scenarios.some((s) => s.requirements[0] === r.id)).map((r) => r.id)).toEqual([]);
    expect(Object.keys(PRIVILEGE_FAULTS).sort()).toEqual(SERVER_ROWS.map((r) => r.id).sort());
  });

  it("names PRV-* scenarios prv-* and keeps their requirements within XEP-0356", async () => {
    for (const s of (await loadSuite("server")).filter((x) => x.requirements[0].startsWith("PRV-"))) {
      expect(s.id, s.file).toMatch(/^prv-/);
      expect(s.requirements.every((id) => id.startsWith("PRV-")), `${s.id}: ${s.requirements.join(", ")}`).toBe(true);
    }
  });
});

const run = (args: string[]) => runRoleAgainstMocks("server", args);

describe("--spec", () => {
  it("--spec 0356 gives every PRV-* row a verdict from its scenarios (none untested), each tagged with its specification", async () => {
    const { code, results } = await run(["--spec", "0356"]);
    expect(code).toBe(0);
    const rows = results.requirements;
    expect(rows.map((r) => r.id).sort()).toEqual(SERVER_ROWS.map((r) => r.id).sort());
    for (const r of rows) {
      expect(r.spec, r.id).toBe("0356");
      expect(r.verdict, `${r.id}: ${r.reason}`).toBe("pass");
      expect(r.scenarios.length, r.id).toBeGreaterThan(0);
    }
    expect(results.scenarios.every((s) => s.id.startsWith("prv-"))).toBe(true);
    expect(results.targets[0].specVersions).toEqual({ "0356": "0.4.1" });
  });

  it("--spec 0355 runs and reports XEP-0355 only", async () => {
    const { code, results } = await run(["--spec", "0355", "--only", "SRV-ADV-01,PRV-ADV-01"]);
    expect(code).toBe(0);
    expect(results.scenarios.length).toBeGreaterThan(0);
    expect(results.scenarios.some((s) => s.id.startsWith("prv-"))).toBe(false);
    expect(results.requirements.every((r) => r.spec === "0355")).toBe(true);
  });

  it("by default checks every specification the mock server declares", async () => {
    const { results } = await run(["--only", "SRV-ADV-01,PRV-ADV-01"]);
    expect(new Set(results.requirements.map((r) => r.spec))).toEqual(new Set(["0355", "0356"]));
    expect(results.targets[0].specVersions).toEqual({ "0355": "0.5", "0356": "0.4.1" });
  });

  it("on a urn:xmpp:privilege:1 mock, the IQ section, 'push' and roster pushes are not applicable", async () => {
    const { results } = await run(["--spec", "0356", "--version", "1", "--only", "PRV-ADV-01,PRV-ADV-03,PRV-ROS-03,PRV-IQ-07"]);
    const verdict = new Map(results.requirements.map((r) => [r.id, r.verdict]));
    expect(verdict.get("PRV-ADV-01")).toBe("pass");
    for (const id of ["PRV-ADV-03", "PRV-ROS-03", "PRV-IQ-07"]) expect(verdict.get(id), id).toBe("not-applicable");
    expect(results.targets[0].specVersions).toEqual({ "0356": "0.3" });
  });

  it("refuses an unknown specification", async () => {
    const outcome = await runCli(["run", "--role", "server", "--spec", "0357"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain("--spec must be 0355, 0356 or all");
  });
});
