import { loadCatalogue, sectionTitle } from "../catalogue/catalogue.js";
import { SPEC_IDS, SPECIFICATIONS, type SpecId, type Specification } from "../catalogue/specs.js";
import type { RequirementResult, RunResult, RunSpec, ScenarioResult, TargetInfo } from "../runner/result.js";
import { scenarioSpec } from "../runner/spec-selection.js";
import { xepVersion } from "../runner/version.js";
import type { ProtocolVersion } from "../target/types.js";
import { overallVerdict, summarize, type OverallVerdict, type Summary } from "./aggregate.js";

/**
 * The one grouping every report uses (console, index.html, junit.xml, summary.md, badge.svg): a run's
 * requirements and scenarios by specification (XEP-0355, XEP-0356), each with its own level counts
 * and compliance verdict, and sections keyed by (specification, letter), since both catalogues use
 * the letters A–G for other sections.
 */

export interface SpecGroup {
  spec: Specification;
  /** What the run says of it: the catalogue's version and what each role's target speaks. */
  info: RunSpec;
  /** Its requirements, in catalogue order (server sections first). */
  requirements: RequirementResult[];
  /** The scenarios that check it (a scenario's specification is its first requirement's). */
  scenarios: ScenarioResult[];
  summary: Summary;
  overall: OverallVerdict;
}

export interface SectionGroup {
  spec: SpecId;
  section: string;
  title: string;
  requirements: RequirementResult[];
}

/** What a role's target speaks of a specification, for RunResult.specs (built by executeRun). */
export interface SpokenSpec {
  role: TargetInfo["role"];
  spec: SpecId;
  revision: ProtocolVersion;
}

/** RunResult.specs: each covered specification in catalogue order, with the version and namespace each role's target speaks. */
export function runSpecs(covered: Iterable<SpecId>, spoken: readonly SpokenSpec[]): RunSpec[] {
  const ids = new Set(covered);
  return SPEC_IDS.filter((id) => ids.has(id)).map((id) => {
    const { name, title, url, version, namespaces } = SPECIFICATIONS[id];
    const targets = ROLES.flatMap((role) =>
      spoken.filter((s) => s.spec === id && s.role === role).map((s) => ({ role, version: xepVersion(s.revision, id), namespace: namespaces[s.revision] ?? "" })),
    );
    return { id, name, title, url, version, targets };
  });
}

const ROLES: TargetInfo["role"][] = ["server", "component"];

/** The namespace of a spoken XEP version ("0.4.1" of XEP-0356 → urn:xmpp:privilege:2), for results without `specs`. */
function namespaceOf(spec: SpecId, version: string): string {
  const revision = ([2, 1] as const).find((r) => xepVersion(r, spec) === version);
  return revision ? (SPECIFICATIONS[spec].namespaces[revision] ?? "") : "";
}

/** The run's specifications: its `specs`, and (older results, hand-made runs) those its requirements and scenarios belong to. */
function specInfos(run: RunResult): RunSpec[] {
  const listed = run.specs ?? [];
  const ids = new Set<SpecId>(listed.map((s) => s.id));
  for (const r of run.requirements) ids.add(r.spec);
  // Every scenario shows up in some group, even one whose specification `specs` leaves out.
  for (const s of run.scenarios) ids.add(scenarioSpec(s));
  if (ids.size === 0) ids.add("0355");
  return SPEC_IDS.filter((id) => ids.has(id)).map((id) => {
    const known = listed.find((s) => s.id === id);
    if (known) return known;
    const spoken = run.targets.flatMap((t) => {
      const version = t.specVersions?.[id] ?? (id === "0355" && !t.specVersions ? t.protocolVersion : undefined);
      return version ? [{ role: t.role, version, namespace: namespaceOf(id, version) }] : [];
    });
    const { name, title, url, version } = SPECIFICATIONS[id];
    return { id, name, title, url, version, targets: spoken };
  });
}

/** Position of each requirement in its catalogue: groups list rows in catalogue order whatever order the roles finished in. */
function catalogueOrder(reqs: readonly RequirementResult[]): RequirementResult[] {
  const position = new Map<string, number>();
  for (const spec of new Set(reqs.map((r) => r.spec))) loadCatalogue(spec).forEach((r, i) => position.set(r.id, i));
  return reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (position.get(a.r.id) ?? Infinity) - (position.get(b.r.id) ?? Infinity) || a.i - b.i)
    .map(({ r }) => r);
}

/** The run by specification, in catalogue order; each group's verdict counts only its own requirements. */
export function specGroups(run: RunResult): SpecGroup[] {
  return specInfos(run).map((info) => {
    const requirements = catalogueOrder(run.requirements.filter((r) => r.spec === info.id));
    return {
      spec: SPECIFICATIONS[info.id],
      info,
      requirements,
      scenarios: run.scenarios.filter((s) => scenarioSpec(s) === info.id),
      summary: summarize(requirements),
      overall: overallVerdict(requirements, { partial: run.partial }),
    };
  });
}

/** Requirements alone (the console table) by specification, in catalogue order. */
export function requirementsBySpec(reqs: readonly RequirementResult[]): { spec: Specification; requirements: RequirementResult[] }[] {
  return SPEC_IDS.filter((id) => reqs.some((r) => r.spec === id)).map((id) => ({
    spec: SPECIFICATIONS[id],
    requirements: catalogueOrder(reqs.filter((r) => r.spec === id)),
  }));
}

/** Consecutive rows of one catalogue section, titled from that specification's catalogue. */
export function sectionGroups(reqs: readonly RequirementResult[]): SectionGroup[] {
  const groups: SectionGroup[] = [];
  for (const r of reqs) {
    const last = groups.at(-1);
    if (last && last.spec === r.spec && last.section === r.section) last.requirements.push(r);
    else groups.push({ spec: r.spec, section: r.section, title: sectionTitle(r.spec, r.section), requirements: [r] });
  }
  return groups;
}

/** "XEP-0355 Namespace Delegation" */
export function specTitle(spec: Specification): string {
  return `${spec.name} ${spec.title}`;
}

/** "XEP-0355 + XEP-0356": the specifications a report is about. */
export function runSpecNames(groups: readonly SpecGroup[]): string {
  return groups.map((g) => g.spec.name).join(" + ") || SPECIFICATIONS["0355"].name;
}

/** "server speaks 0.5 (urn:xmpp:delegation:2), component speaks 0.4.1 (urn:xmpp:delegation:1)", or why there is nothing to say. */
export function spokenText(info: RunSpec, targets: readonly TargetInfo[]): string {
  if (info.targets.length === 0) return targets.length === 0 ? "target not reached" : "not declared by the target";
  return info.targets.map((t) => `${t.role} speaks ${t.version}${t.namespace ? ` (${t.namespace})` : ""}`).join(", ");
}

/** The group's compliance line, named: "XEP-0356: not compliant: MUST requirements failing: PRV-IQ-03". */
export function specVerdictLine(group: SpecGroup): string {
  return `${group.spec.name}: ${group.overall.line}`;
}
