import { describe, expect, it } from "vitest";
import type { Requirement } from "../src/catalogue/catalogue.js";
import { aggregateRequirements, overallVerdict, requirementVerdict } from "../src/report/aggregate.js";
import type { ScenarioResult } from "../src/runner/result.js";

function scenario(partial: Partial<ScenarioResult> & Pick<ScenarioResult, "id" | "requirements" | "verdict">): ScenarioResult {
  return { title: partial.id, role: "server", file: `${partial.id}.scenario`, reason: "", notes: [], readings: {}, durationMs: 1, transcript: [], ...partial };
}

const row = (id: string, level: Requirement["level"], section: string): Requirement => ({ id, spec: "0355", level, section, sectionTitle: section, anchor: "a", text: id });
const NONE = new Set<string>();

describe("requirement verdicts: blame only what failed", () => {
  it("a prerequisite whose own scenario passed stays pass when another scenario listing it was skipped or blocked", () => {
    const scenarios = [
      scenario({ id: "own", requirements: ["SRV-FWD-02"], verdict: "pass" }),
      scenario({ id: "skipped", requirements: ["SRV-FLT-01", "SRV-FWD-02"], verdict: "not-supported", reason: "no filtering" }),
      scenario({ id: "blocked", requirements: ["SRV-REP-05", "SRV-FWD-02"], verdict: "error", reason: "connection lost" }),
      scenario({ id: "strict", requirements: ["SRV-DSC-06", "SRV-FWD-02"], verdict: "fail", failedRequirement: "SRV-DSC-06", reason: "SRV-DSC-06: not supported" }),
    ];
    expect(requirementVerdict("SRV-FWD-02", scenarios, NONE).verdict).toBe("pass");
    expect(requirementVerdict("SRV-FLT-01", scenarios, NONE).verdict).toBe("not-supported");
    expect(requirementVerdict("SRV-REP-05", scenarios, NONE).verdict).toBe("error");
    expect(requirementVerdict("SRV-DSC-06", scenarios, NONE).verdict).toBe("fail");
  });

  it("a prerequisite whose checks held before the scenario failed on its main requirement passes", () => {
    const scenarios = [scenario({ id: "s", requirements: ["SRV-ADV-07", "SRV-ADV-01"], verdict: "fail", failedRequirement: "SRV-ADV-07", checked: ["SRV-ADV-01"] })];
    expect(requirementVerdict("SRV-ADV-01", scenarios, NONE).verdict).toBe("pass");
    expect(requirementVerdict("SRV-ADV-07", scenarios, NONE).verdict).toBe("fail");
  });

  it("a prerequisite fails when a scenario's step tagged with it fails; the main requirement is then blocked (error)", () => {
    const scenarios = [scenario({ id: "s", requirements: ["SRV-REP-03", "SRV-FWD-02"], verdict: "fail", failedRequirement: "SRV-FWD-02" })];
    expect(requirementVerdict("SRV-FWD-02", scenarios, NONE).verdict).toBe("fail");
    expect(requirementVerdict("SRV-REP-03", scenarios, NONE)).toMatchObject({ verdict: "error", reason: "blocked by failure of SRV-FWD-02" });
  });
});

describe("untested and not-supported requirements", () => {
  const catalogue = [row("SRV-FWD-01", "MUST", "B"), row("SRV-CLI-01", "MUST", "F"), row("SRV-REP-07", "ambiguous", "C")];
  const passing = [scenario({ id: "fwd", requirements: ["SRV-FWD-01"], verdict: "pass" })];

  it("a MUST no scenario verifies is untested, and the run is incomplete, not compliant", () => {
    const requirements = aggregateRequirements(passing, catalogue, "server", NONE);
    expect(requirements.find((r) => r.id === "SRV-CLI-01")).toMatchObject({ verdict: "untested", reason: "no scenario verifies it" });
    const overall = overallVerdict(requirements);
    expect(overall.compliant).toBe(false);
    expect(overall.untestedMust).toEqual(["SRV-CLI-01"]);
    expect(overall.line).toMatch(/^incomplete: /);
  });

  it("a row of a section whose optional feature the target lacks is not-supported, and compliance holds", () => {
    const requirements = aggregateRequirements(passing, catalogue, "server", NONE, (r) => (r.section === "F" ? "no client mode" : undefined));
    expect(requirements.find((r) => r.id === "SRV-CLI-01")).toMatchObject({ verdict: "not-supported", reason: "no client mode" });
    expect(overallVerdict(requirements.filter((r) => r.level !== "ambiguous")).compliant).toBe(true);
  });
});

describe("partial runs (--only)", () => {
  it("never claim compliance, though nothing failed (exit 0)", () => {
    const requirements = aggregateRequirements([scenario({ id: "fwd", requirements: ["SRV-FWD-01"], verdict: "pass" })], [row("SRV-FWD-01", "MUST", "B")], "server", NONE);
    const overall = overallVerdict(requirements, { partial: true });
    expect(overall).toMatchObject({ compliant: true, partial: true });
    expect(overall.line).toMatch(/^partial run: the 1 MUST requirement\(s\) covered pass/);
    expect(overall.line).not.toMatch(/^compliant/);
  });
});

describe("readings of ambiguous requirements", () => {
  it("are carried to the requirement; two different readings are both named", () => {
    const one = [scenario({ id: "a", requirements: ["SRV-REP-07"], verdict: "pass", readings: { "SRV-REP-07": "lenient" } })];
    expect(requirementVerdict("SRV-REP-07", one, NONE)).toMatchObject({ verdict: "pass", reading: "lenient" });
    const two = [...one, scenario({ id: "b", requirements: ["SRV-REP-07"], verdict: "pass", readings: { "SRV-REP-07": "strict" } })];
    expect(requirementVerdict("SRV-REP-07", two, NONE).reading).toBe("lenient + strict");
  });
});
