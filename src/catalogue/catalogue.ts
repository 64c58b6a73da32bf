import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Need } from "../scenario/model.js";
import { SPEC_IDS, SPECIFICATIONS, specOfRequirement, type SpecId } from "./specs.js";

export type Level = "MUST" | "MUST NOT" | "SHOULD" | "SHOULD NOT" | "MAY" | "implied" | "ambiguous";

export interface Requirement {
  id: string;
  /** The specification whose catalogue holds the row. */
  spec: SpecId;
  level: Level;
  /** Catalogue section letter, e.g. "B". */
  section: string;
  sectionTitle: string;
  /** The XEP's HTML anchor (without '#'), from the row or else its section. */
  anchor: string;
  text: string;
}

/** XEP-0355's URL only: a requirement's link is anchorUrl(requirement), which knows its XEP. */
export const XEP_URL = SPECIFICATIONS["0355"].url;

export function cataloguePath(spec: SpecId): string {
  return fileURLToPath(new URL(`../../${SPECIFICATIONS[spec].cataloguePath}`, import.meta.url));
}
export const CATALOGUE_PATH = cataloguePath("0355");

const LEVELS: Level[] = ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "implied", "ambiguous"];

/** Parses a requirement catalogue (markdown tables under "## X. Title (#anchor, …)" headings). */
export function parseCatalogue(markdown: string, spec: SpecId = "0355"): Requirement[] {
  const fallbackAnchors = SPECIFICATIONS[spec].fallbackAnchors;
  const requirements: Requirement[] = [];
  let section = "";
  let sectionTitle = "";
  let sectionAnchor = "";
  for (const line of markdown.split("\n")) {
    const heading = /^## ([A-Z])\. (.*)$/.exec(line);
    if (heading) {
      section = heading[1];
      sectionTitle = heading[2].replace(/\s*\(#.*\)\s*$/, "");
      sectionAnchor = /\(#([\w-]+)/.exec(heading[2])?.[1] ?? "";
      continue;
    }
    const row = /^\| ([A-Z]+-[A-Z]+-\d+) \| ([^|]+) \| (.*) \|$/.exec(line);
    if (!row) continue;
    if (specOfRequirement(row[1]) !== spec) throw new Error(`catalogue ${SPECIFICATIONS[spec].name}: ${row[1]} has another specification's prefix`);
    const level = row[2].trim() as Level;
    if (!LEVELS.includes(level)) throw new Error(`catalogue: ${row[1]} has unknown level '${level}'`);
    const text = row[3].trim();
    requirements.push({
      id: row[1],
      spec,
      level,
      section,
      sectionTitle,
      anchor: /\(#([\w-]+)/.exec(text)?.[1] || sectionAnchor || fallbackAnchors[row[1].replace(/-\d+$/, "")] || "",
      text,
    });
  }
  return requirements;
}

const cached = new Map<SpecId, Requirement[]>();
/** One specification's catalogue (XEP-0355's when none is named). */
export function loadCatalogue(spec: SpecId = "0355"): Requirement[] {
  let requirements = cached.get(spec);
  if (!requirements) {
    requirements = parseCatalogue(readFileSync(cataloguePath(spec), "utf8"), spec);
    cached.set(spec, requirements);
  }
  return requirements;
}

/** Every catalogue, in specification order. */
export function loadAllCatalogues(): Requirement[] {
  return SPEC_IDS.flatMap((spec) => loadCatalogue(spec));
}

export function requirementById(id: string): Requirement | undefined {
  return loadCatalogue(specOfRequirement(id)).find((r) => r.id === id);
}

/** A requirement's link into its own XEP (a catalogue row or a RequirementResult). */
export function anchorUrl(req: Pick<Requirement, "spec" | "anchor">): string {
  return `${SPECIFICATIONS[req.spec].url}#${req.anchor}`;
}

/** Only MUST / MUST NOT count toward the compliance verdict. */
export function isMandatory(level: Level): boolean {
  return level === "MUST" || level === "MUST NOT";
}

/**
 * Catalogue preambles: requirements that do not exist in a target's `:1` revision — XEP-0355 0.4.1
 * (urn:xmpp:delegation:1), and XEP-0356 0.2–0.3 (urn:xmpp:privilege:1: no IQ permission, no 'push',
 * no roster pushes). Each applies when the target speaks `:1` of that row's specification.
 */
export const NOT_IN_VERSION_1 = [
  "SRV-DSC-07", "SRV-DSC-08", "SRV-DSC-09", "SRV-DSC-10", "SRV-DSC-11", "ME-SEC-02",
  "PRV-ADV-03", "PRV-ADV-04", "PRV-ADV-07", "PRV-ROS-03", "PRV-ROS-04",
  "PRV-IQ-01", "PRV-IQ-02", "PRV-IQ-03", "PRV-IQ-04", "PRV-IQ-05", "PRV-IQ-06", "PRV-IQ-07", "PRV-IQ-08", "PRV-IQ-09", "PE-IQ-01",
];

/**
 * Per specification, the catalogue sections whose every row needs an optional feature (XEP-0355
 * #impl 1: "a server MAY implement admin mode only"; section H: "An ME MAY use admin mode only"): a
 * target that does not declare it gets not-supported for them, one that does gets untested where no
 * scenario exists. Section letters are per catalogue: XEP-0356's F and H are other sections.
 */
export const SECTION_NEEDS: Readonly<Record<SpecId, Readonly<Record<string, Need>>>> = {
  "0355": { F: "clientMode", H: "clientMode" },
  "0356": {},
};

/** The optional feature every row of this requirement's section needs, if any (SECTION_NEEDS). */
export function sectionNeed(r: Pick<Requirement, "spec" | "section">): Need | undefined {
  return SECTION_NEEDS[r.spec][r.section];
}

/** A catalogue section's title ("B" of XEP-0356 → "Server — roster access"), keyed by specification and letter. */
export function sectionTitle(spec: SpecId, section: string): string {
  return loadCatalogue(spec).find((r) => r.section === section)?.sectionTitle ?? "";
}
