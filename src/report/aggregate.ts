import { isMandatory, type Level, type Requirement } from "../catalogue/catalogue.js";
import { VERDICT_SEVERITY, type RequirementResult, type ScenarioResult, type Verdict } from "../runner/result.js";

export type Role = "server" | "component";

export type LevelGroup = "MUST" | "SHOULD" | "MAY" | "implied" | "ambiguous";

export const LEVEL_GROUPS: LevelGroup[] = ["MUST", "SHOULD", "MAY", "implied", "ambiguous"];

export interface GroupSummary {
  passed: number;
  /** Requirements of the group that apply to the target (not-applicable ones are left out). */
  total: number;
  failing: string[];
  errored: string[];
  notSupported: string[];
}

export type Summary = Record<LevelGroup, GroupSummary>;

export interface OverallVerdict {
  compliant: boolean;
  /** MUST / MUST NOT requirements with verdict "fail". */
  failingMust: string[];
  /** MUST / MUST NOT requirements with verdict "error": they were not shown to pass either. */
  erroredMust: string[];
  line: string;
}

export function levelGroup(level: Level): LevelGroup {
  switch (level) {
    case "MUST":
    case "MUST NOT":
      return "MUST";
    case "SHOULD":
    case "SHOULD NOT":
      return "SHOULD";
    default:
      return level;
  }
}

/** "SRV-REP-03" → "SRV-REP". */
export function sectionPrefix(id: string): string {
  return id.split("-").slice(0, 2).join("-");
}

export function belongsToRole(id: string, role: Role): boolean {
  return id.startsWith(role === "server" ? "SRV-" : "ME-");
}

export function worstVerdict(verdicts: Verdict[]): Verdict | undefined {
  let worst: Verdict | undefined;
  for (const v of verdicts) if (worst === undefined || VERDICT_SEVERITY[v] > VERDICT_SEVERITY[worst]) worst = v;
  return worst;
}

/**
 * A failed scenario stopped at another requirement never got to check this one;
 * a scenario that did not run at all (not-supported, not-applicable) says
 * something only about the requirement it is about (its first), not about its prerequisites.
 */
function notReached(s: ScenarioResult, id: string): boolean {
  if (s.verdict === "fail") return s.failedRequirement !== undefined && s.failedRequirement !== id;
  if (s.verdict === "not-supported" || s.verdict === "not-applicable") return s.requirements[0] !== id;
  return false;
}

export interface RequirementVerdict {
  verdict: Verdict;
  /** Empty on pass; for "error" from blocked scenarios: "blocked by failure of X". */
  reason: string;
}

/** The verdict of one requirement from the scenarios that list it (see aggregateRequirements). */
export function requirementVerdict(id: string, scenarios: ScenarioResult[], notApplicable: ReadonlySet<string>): RequirementVerdict {
  if (notApplicable.has(id)) return { verdict: "not-applicable", reason: "not applicable to this target" };
  const listing = scenarios.filter((s) => s.requirements.includes(id));
  if (listing.length === 0) return { verdict: "not-supported", reason: "no scenario verifies it" };
  const reached = listing.filter((s) => !notReached(s, id));
  const ran = listing.filter((s) => s.verdict !== "not-supported" && s.verdict !== "not-applicable");
  if (reached.length === 0 && ran.length === 0) {
    const first = listing[0];
    return { verdict: first.verdict, reason: first.reason };
  }
  if (reached.length === 0) {
    const blockers = [...new Set(listing.map((s) => s.failedRequirement).filter((r): r is string => r !== undefined))];
    return { verdict: "error", reason: `blocked by failure of ${blockers.join(", ")}` };
  }
  const verdict = worstVerdict(reached.map((s) => s.verdict)) as Verdict;
  const worst = reached.find((s) => s.verdict === verdict);
  return { verdict, reason: verdict === "pass" ? "" : (worst?.reason ?? "") };
}

/**
 * One result per catalogue requirement of the role: the worst verdict of the scenarios listing it,
 * except that a scenario which failed on another requirement is not counted (it never reached this
 * one); when no scenario reached it, the verdict is "error". A requirement in `notApplicable` is
 * "not-applicable" whatever its scenarios did, since they can only have exercised it by accident
 * (e.g. a v0.5-only rule on a v0.4.1 target); one no scenario lists is "not-supported".
 */
export function aggregateRequirements(
  scenarios: ScenarioResult[],
  catalogue: Requirement[],
  role: Role,
  notApplicable: ReadonlySet<string>,
): RequirementResult[] {
  const ofRole = scenarios.filter((s) => s.role === role);
  return catalogue
    .filter((r) => belongsToRole(r.id, role))
    .map((r) => {
      const { verdict, reason } = requirementVerdict(r.id, ofRole, notApplicable);
      return {
        id: r.id,
        role,
        level: r.level,
        section: r.section,
        anchor: r.anchor,
        text: r.text,
        verdict,
        reason,
        scenarios: ofRole.filter((s) => s.requirements.includes(r.id)).map((s) => s.id),
      };
    });
}

export function summarize(requirements: RequirementResult[]): Summary {
  const summary = Object.fromEntries(
    LEVEL_GROUPS.map((g) => [g, { passed: 0, total: 0, failing: [], errored: [], notSupported: [] }]),
  ) as unknown as Summary;
  for (const r of requirements) {
    if (r.verdict === "not-applicable") continue;
    const g = summary[levelGroup(r.level)];
    g.total++;
    if (r.verdict === "pass") g.passed++;
    else if (r.verdict === "fail") g.failing.push(r.id);
    else if (r.verdict === "error") g.errored.push(r.id);
    else g.notSupported.push(r.id);
  }
  return summary;
}

/**
 * Compliant when no MUST / MUST NOT requirement failed or errored. Not-supported MUSTs (an optional
 * feature the target lacks, or no scenario yet) do not make it non-compliant but are named in the line.
 */
export function overallVerdict(requirements: RequirementResult[]): OverallVerdict {
  const must = requirements.filter((r) => isMandatory(r.level));
  const failingMust = must.filter((r) => r.verdict === "fail").map((r) => r.id);
  const erroredMust = must.filter((r) => r.verdict === "error").map((r) => r.id);
  if (failingMust.length > 0 || erroredMust.length > 0) {
    const parts: string[] = [];
    if (failingMust.length > 0) parts.push(`failing: ${failingMust.join(", ")}`);
    if (erroredMust.length > 0) parts.push(`errored: ${erroredMust.join(", ")}`);
    return { compliant: false, failingMust, erroredMust, line: `not compliant: MUST requirements ${parts.join("; ")}` };
  }
  const passed = must.filter((r) => r.verdict === "pass").length;
  const notSupported = must.filter((r) => r.verdict === "not-supported").map((r) => r.id);
  const caveat = notSupported.length > 0 ? ` (${notSupported.length} not supported: ${notSupported.join(", ")})` : "";
  return { compliant: true, failingMust, erroredMust, line: `compliant: all ${passed} MUST requirements pass${caveat}` };
}
