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
  /** No scenario verifies them although they apply. */
  untested: string[];
  notSupported: string[];
}

export type Summary = Record<LevelGroup, GroupSummary>;

export interface OverallVerdict {
  compliant: boolean;
  /** MUST / MUST NOT requirements with verdict "fail". */
  failingMust: string[];
  /** MUST / MUST NOT requirements with verdict "error": they were not shown to pass either. */
  erroredMust: string[];
  /** MUST / MUST NOT requirements no scenario verifies. */
  untestedMust: string[];
  /** A partial run (--only) in which nothing failed: exit 0, but never shown as "compliant". */
  partial?: boolean;
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

/** Server rows: XEP-0355's SRV-*, XEP-0356's PRV-*; component rows: ME-*, PE-*. */
export function belongsToRole(id: string, role: Role): boolean {
  return role === "server" ? /^(SRV|PRV)-/.test(id) : /^(ME|PE)-/.test(id);
}

export function worstVerdict(verdicts: Verdict[]): Verdict | undefined {
  let worst: Verdict | undefined;
  for (const v of verdicts) if (worst === undefined || VERDICT_SEVERITY[v] > VERDICT_SEVERITY[worst]) worst = v;
  return worst;
}

/**
 * Does this scenario's outcome say anything about requirement `id`? For the requirement it is
 * about (its first), yes unless it failed on another (a prerequisite: then it never got there).
 * For a prerequisite it lists, only a pass or a failure of that very requirement's own steps
 * counts: its skips, blocks and errors are the main requirement's business (catalogue preamble:
 * "blame only what failed").
 */
function speaksFor(s: ScenarioResult, id: string): boolean {
  if (s.requirements[0] === id) return !(s.verdict === "fail" && s.failedRequirement !== undefined && s.failedRequirement !== id);
  return s.verdict === "pass" || (s.verdict === "fail" && s.failedRequirement === id) || checkedBeforeFailure(s, id);
}

/** A scenario that failed on another requirement after this one's checks held: for this one, a pass. */
function checkedBeforeFailure(s: ScenarioResult, id: string): boolean {
  return s.verdict === "fail" && s.failedRequirement !== id && (s.checked?.includes(id) ?? false);
}

/** The verdict a scenario gives one requirement it lists. */
function verdictFor(s: ScenarioResult, id: string): Verdict {
  return checkedBeforeFailure(s, id) ? "pass" : s.verdict;
}

export interface RequirementVerdict {
  verdict: Verdict;
  /** Empty on pass; for "error" from blocked scenarios: "blocked by failure of X". */
  reason: string;
  /** Ambiguous requirements: the reading(s) its scenarios recorded. */
  reading?: string;
}

/**
 * The verdict of one requirement from the scenarios that list it (see aggregateRequirements).
 * `unsupported`: why the target cannot be asked this requirement at all (an optional feature it
 * does not declare), if so; a requirement no scenario verifies is then not-supported, else untested.
 */
export function requirementVerdict(
  id: string,
  scenarios: ScenarioResult[],
  notApplicable: ReadonlySet<string>,
  unsupported?: string,
): RequirementVerdict {
  if (notApplicable.has(id)) return { verdict: "not-applicable", reason: "not applicable to this target" };
  const listing = scenarios.filter((s) => s.requirements.includes(id));
  if (listing.length === 0) {
    if (unsupported) return { verdict: "not-supported", reason: unsupported };
    return { verdict: "untested", reason: "no scenario verifies it" };
  }
  const readings = [...new Set(listing.map((s) => s.readings?.[id]).filter((r): r is string => Boolean(r)))];
  const reading = readings.length > 0 ? readings.join(" + ") : undefined;
  const counted = listing.filter((s) => speaksFor(s, id));
  if (counted.length === 0) {
    const main = listing.filter((s) => s.requirements[0] === id);
    const blockers = [...new Set(main.map((s) => s.failedRequirement).filter((r): r is string => r !== undefined))];
    if (blockers.length > 0) return { verdict: "error", reason: `blocked by failure of ${blockers.join(", ")}`, reading };
    const first = main[0] ?? listing[0];
    const verdict = first.verdict === "fail" ? "error" : first.verdict;
    return { verdict, reason: main.length > 0 ? first.reason : `only listed by scenarios that did not check it (${first.id}: ${first.reason})`, reading };
  }
  const verdict = worstVerdict(counted.map((s) => verdictFor(s, id))) as Verdict;
  const worst = counted.find((s) => verdictFor(s, id) === verdict);
  return { verdict, reason: verdict === "pass" ? "" : (worst?.reason ?? ""), reading };
}

/**
 * One result per catalogue requirement of the role: the worst verdict of the scenarios that speak
 * for it (see speaksFor); when none does, the verdict of its own scenarios' outcome ("error" when
 * blocked by a prerequisite's failure). A requirement in `notApplicable` is "not-applicable"
 * whatever its scenarios did, since they can only have exercised it by accident (e.g. a
 * v0.5-only rule on a v0.4.1 target); one that no scenario lists is "untested", or
 * "not-supported" when `unsupported(requirement)` gives a reason.
 */
export function aggregateRequirements(
  scenarios: ScenarioResult[],
  catalogue: Requirement[],
  role: Role,
  notApplicable: ReadonlySet<string>,
  unsupported: (requirement: Requirement) => string | undefined = () => undefined,
): RequirementResult[] {
  const ofRole = scenarios.filter((s) => s.role === role);
  return catalogue
    .filter((r) => belongsToRole(r.id, role))
    .map((r) => {
      const { verdict, reason, reading } = requirementVerdict(r.id, ofRole, notApplicable, unsupported(r));
      return {
        id: r.id,
        spec: r.spec,
        role,
        level: r.level,
        section: r.section,
        anchor: r.anchor,
        text: r.text,
        verdict,
        reason,
        ...(reading ? { reading } : {}),
        scenarios: ofRole.filter((s) => s.requirements.includes(r.id)).map((s) => s.id),
      };
    });
}

export function summarize(requirements: RequirementResult[]): Summary {
  const summary = Object.fromEntries(
    LEVEL_GROUPS.map((g) => [g, { passed: 0, total: 0, failing: [], errored: [], untested: [], notSupported: [] }]),
  ) as unknown as Summary;
  for (const r of requirements) {
    if (r.verdict === "not-applicable") continue;
    const g = summary[levelGroup(r.level)];
    g.total++;
    if (r.verdict === "pass") g.passed++;
    else if (r.verdict === "fail") g.failing.push(r.id);
    else if (r.verdict === "error") g.errored.push(r.id);
    else if (r.verdict === "untested") g.untested.push(r.id);
    else g.notSupported.push(r.id);
  }
  return summary;
}

/**
 * Compliant when every MUST / MUST NOT requirement that applies was tested and passed (or is
 * not-supported: an optional feature the target lacks, named in the line). A failing or erroring
 * MUST makes it "not compliant"; an untested one (no scenario) leaves it "incomplete": compliance
 * cannot be claimed for what was never checked.
 */
export function overallVerdict(requirements: RequirementResult[], options: { partial?: boolean } = {}): OverallVerdict {
  const must = requirements.filter((r) => isMandatory(r.level));
  const failingMust = must.filter((r) => r.verdict === "fail").map((r) => r.id);
  const erroredMust = must.filter((r) => r.verdict === "error").map((r) => r.id);
  const untestedMust = must.filter((r) => r.verdict === "untested").map((r) => r.id);
  if (failingMust.length > 0 || erroredMust.length > 0) {
    const parts: string[] = [];
    if (failingMust.length > 0) parts.push(`failing: ${failingMust.join(", ")}`);
    if (erroredMust.length > 0) parts.push(`errored: ${erroredMust.join(", ")}`);
    if (untestedMust.length > 0) parts.push(`untested: ${untestedMust.join(", ")}`);
    return { compliant: false, failingMust, erroredMust, untestedMust, line: `not compliant: MUST requirements ${parts.join("; ")}` };
  }
  if (untestedMust.length > 0) {
    return {
      compliant: false,
      failingMust,
      erroredMust,
      untestedMust,
      line: `incomplete: ${untestedMust.length} MUST requirement(s) have no scenario, so compliance cannot be claimed (untested: ${untestedMust.join(", ")})`,
    };
  }
  const passed = must.filter((r) => r.verdict === "pass").length;
  if (options.partial) {
    // --only: nothing failed among what ran, but a selection never certifies the target.
    return { compliant: true, partial: true, failingMust, erroredMust, untestedMust, line: `partial run: the ${passed} MUST requirement(s) covered pass (compliance is claimed by a full run only)` };
  }
  const notSupported = must.filter((r) => r.verdict === "not-supported").map((r) => r.id);
  const caveat = notSupported.length > 0 ? ` (${notSupported.length} not supported: ${notSupported.join(", ")})` : "";
  return { compliant: true, failingMust, erroredMust, untestedMust, line: `compliant: all ${passed} MUST requirements pass${caveat}` };
}
