import { NOT_IN_VERSION_1 } from "../catalogue/catalogue.js";
import { SPEC_IDS, SPECIFICATIONS, specOfRequirement, type SpecId } from "../catalogue/specs.js";
import type { ProtocolVersion } from "../target/types.js";
import type { TargetDescription } from "./environment.js";

/** The specification a scenario checks: its first requirement's. */
export function scenarioSpec(scenario: { requirements: readonly string[] }): SpecId {
  return specOfRequirement(scenario.requirements[0] ?? "");
}

/** What the target declares: each specification it implements and the protocol revision it speaks (default: XEP-0355 only). */
export function declaredSpecs(target: TargetDescription): Partial<Record<SpecId, ProtocolVersion>> {
  return target.specs ?? { "0355": target.protocolVersion };
}

/** The revision the target speaks of the scenario's specification (for `versions:`). */
export function versionFor(target: TargetDescription, scenario: { requirements: readonly string[] }): ProtocolVersion {
  return declaredSpecs(target)[scenarioSpec(scenario)] ?? target.protocolVersion;
}

/** `--spec 0355|0356|all`; undefined: what the target declares. */
export function parseSpecOption(text: string | undefined): SpecId[] | undefined {
  if (text === undefined) return undefined;
  if (text === "all") return [...SPEC_IDS];
  if ((SPEC_IDS as string[]).includes(text)) return [text as SpecId];
  return undefined;
}

/** The specifications a run of this target covers: the selected ones (default: the declared ones), in catalogue order. */
export function selectedSpecs(target: TargetDescription, selection: readonly SpecId[] | undefined): SpecId[] {
  const declared = declaredSpecs(target);
  return SPEC_IDS.filter((spec) => (selection ? selection.includes(spec) : declared[spec] !== undefined));
}

/** A selected specification the target does not declare: its requirements are not-supported, with this reason. */
export function undeclaredReason(target: TargetDescription, spec: SpecId): string | undefined {
  if (declaredSpecs(target)[spec] !== undefined) return undefined;
  const { name } = SPECIFICATIONS[spec];
  return spec === "0356" ? `the target does not declare ${name} (a target file declares it with a 'privileges' block)` : `the target does not declare ${name}`;
}

/** Catalogue preamble of each XEP: rows that do not exist in the `:1` revision the target speaks. */
export function notApplicable(target: TargetDescription): Set<string> {
  const declared = declaredSpecs(target);
  return new Set(NOT_IN_VERSION_1.filter((id) => declared[specOfRequirement(id)] === 1));
}

/** The namespace the target speaks for a specification, for messages ("target speaks urn:xmpp:privilege:1"). */
export function specNamespace(spec: SpecId, version: ProtocolVersion): string {
  return SPECIFICATIONS[spec].namespaces[version] ?? `${SPECIFICATIONS[spec].name} revision ${version}`;
}
