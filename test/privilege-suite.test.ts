import { describe, expect, it } from "vitest";
import { loadCatalogue } from "../src/catalogue/catalogue.js";
import { loadSuite } from "../src/scenario/load.js";
import { PRIVILEGE_FAULTS } from "../mocks/server/privilege-faults.js";
import { DEFAULT_READINGS } from "../mocks/server/options.js";
import { runCli, runRoleAgainstMocks } from "./helpers/cli.js";

/** XEP-0356's server rows (sections A–F of its catalogue); G is the privileged entity's. */
const SERVER_ROWS = loadCatalogue("0356").filter((r) => r.id.startsWith("PRV-"));

describe("XEP-0356 catalogue coverage (server role)", () => {
  it("has a scenario about every PRV-* row, one mock-server fault per counted row and two readings per ambiguous one", async () => {
    const scenarios = await loadSuite("server");
    expect(SERVER_ROWS.length).toBeGreaterThanOrEqual(31);
    expect(SERVER_ROWS.filter((r) => !scenarios.some((s) => s.requirements[0] === r.id)).map((r) => r.id)).toEqual([]);
    // An ambiguous row is reported, never failed: the mock follows either reading instead of breaking it.
    const ambiguous = SERVER_ROWS.filter((r) => r.level === "ambiguous").map((r) => r.id);
    expect(Object.keys(PRIVILEGE_FAULTS).sort()).toEqual(SERVER_ROWS.filter((r) => !ambiguous.includes(r.id)).map((r) => r.id).sort());
    for (const id of ambiguous) expect(Object.hasOwn(DEFAULT_READINGS, id), `${id} has a reading in the mock`).toBe(true);
  });

  it("names PRV-* scenarios prv-* and keeps their requirements within XEP-0356, but for the flows that go through delegation too", async () => {
    const mixed: string[] = [];
    for (const s of (await loadSuite("server")).filter((x) => x.requirements[0].startsWith("PRV-"))) {
      expect(s.id, s.file).toMatch(/^prv-/);
      expect(s.requirements.every((id) => /^(PRV|SRV)-/.test(id)), `${s.id}: ${s.requirements.join(", ")}`).toBe(true);
      if (s.requirements.some((id) => id.startsWith("SRV-"))) mixed.push(s.id);
    }
    // The PEP flows (a delegated publish, XEP-0355 #stanza_forward, then XEP-0356 roster and message
    // access) and the spec's subscribe example, whose answer is in the delegated namespace (SRV-FWD-10).
    expect(mixed.sort()).toEqual(["prv-flow-01-pep-publish-notify", "prv-flow-02-roster-push-notify", "prv-iq-07-subscribe-on-behalf"]);
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

  it("a flow listing both specifications' rows gives each of them its verdict, in its own specification; --spec 0356 reports only XEP-0356's", async () => {
    const both = await run(["--only", "prv-flow-01-pep-publish-notify"]);
    expect(both.code).toBe(0);
    expect(both.results.scenarios.map((s) => s.id)).toEqual(["prv-flow-01-pep-publish-notify"]);
    const spec = new Map(both.results.requirements.map((r) => [r.id, r.spec]));
    expect(Object.fromEntries(spec)).toEqual({ "SRV-FWD-01": "0355", "SRV-FWD-07": "0355", "SRV-REP-02": "0355", "PRV-ROS-02": "0356", "PRV-MSG-01": "0356", "PRV-MSG-04": "0356" });
    for (const r of both.results.requirements) {
      expect(r.verdict, r.id).toBe("pass");
      expect(r.scenarios, r.id).toEqual(["prv-flow-01-pep-publish-notify"]);
    }
    const only0356 = await run(["--spec", "0356", "--only", "prv-flow-01-pep-publish-notify"]);
    expect(only0356.results.requirements.map((r) => r.id).sort()).toEqual(["PRV-MSG-01", "PRV-MSG-04", "PRV-ROS-02"]);
    expect(only0356.results.requirements.every((r) => r.spec === "0356" && r.verdict === "pass")).toBe(true);
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

  it("PRV-ROS-01: each refusal the row lists (get with set only, set with get only, type none) has a scenario, failing with the row's fault", async () => {
    const ids = ["prv-ros-01-get-with-set-only", "prv-ros-01-set-with-get-only", "prv-ros-01-no-roster-permission"];
    const clean = await run(["--spec", "0356", "--only", "PRV-ROS-01"]);
    expect(clean.results.scenarios.map((s) => [s.id, s.verdict]).sort()).toEqual(ids.map((id) => [id, "pass"]).sort());
    const broken = await run(["--spec", "0356", "--only", "PRV-ROS-01", "--mock-fault", "PRV-ROS-01"]);
    expect(broken.results.scenarios.map((s) => [s.id, s.verdict, s.failedRequirement]).sort()).toEqual(ids.map((id) => [id, "fail", "PRV-ROS-01"]).sort());
  });

  it("refuses an unknown specification", async () => {
    const outcome = await runCli(["run", "--role", "server", "--spec", "0357"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain("--spec must be 0355, 0356 or all");
  });
});
