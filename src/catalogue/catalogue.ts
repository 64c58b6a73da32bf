import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Need } from "../scenario/model.js";

export type Level = "MUST" | "MUST NOT" | "SHOULD" | "SHOULD NOT" | "MAY" | "implied" | "ambiguous";

export interface Requirement {
  id: string;
  level: Level;
  /** Catalogue section letter, e.g. "B". */
  section: string;
  sectionTitle: string;
  /** XEP-0355 HTML anchor (without '#'), from the row or else its section. */
  anchor: string;
  text: string;
}

export const XEP_URL = "https://xmpp.org/extensions/xep-0355.html";
export const CATALOGUE_PATH = fileURLToPath(new URL("../../spec/xep-0355-requirements.md", import.meta.url));

// Sections D and G have no anchor in their headings; these are the XEP sections their rules come from.
const FALLBACK_ANCHORS: Record<string, string> = {
  "SRV-UNA": "stanza_forward",
  "SRV-FLT": "stanza_forward",
  "ME-REP": "stanza_forward",
  "ME-DSC": "disco",
  "ME-ROB": "stanza_forward",
  "ME-SEC": "security",
};

const LEVELS: Level[] = ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "implied", "ambiguous"];

/** Parses the requirement catalogue (markdown tables under "## X. Title (#anchor, …)" headings). */
export function parseCatalogue(markdown: string): Requirement[] {
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
    const level = row[2].trim() as Level;
    if (!LEVELS.includes(level)) throw new Error(`catalogue: ${row[1]} has unknown level '${level}'`);
    const text = row[3].trim();
    requirements.push({
      id: row[1],
      level,
      section,
      sectionTitle,
      anchor: /\(#([\w-]+)/.exec(text)?.[1] || sectionAnchor || FALLBACK_ANCHORS[row[1].replace(/-\d+$/, "")] || "",
      text,
    });
  }
  return requirements;
}

let cached: Requirement[] | undefined;
export function loadCatalogue(): Requirement[] {
  cached ??= parseCatalogue(readFileSync(CATALOGUE_PATH, "utf8"));
  return cached;
}

export function requirementById(id: string): Requirement | undefined {
  return loadCatalogue().find((r) => r.id === id);
}

export function anchorUrl(req: Requirement): string {
  return `${XEP_URL}#${req.anchor}`;
}

/** Only MUST / MUST NOT count toward the compliance verdict. */
export function isMandatory(level: Level): boolean {
  return level === "MUST" || level === "MUST NOT";
}

/** Catalogue preamble: requirements that do not exist in XEP 0.4.1 (urn:xmpp:delegation:1). */
export const NOT_IN_VERSION_1 = ["SRV-DSC-07", "SRV-DSC-08", "SRV-DSC-09", "SRV-DSC-10", "SRV-DSC-11", "ME-SEC-02"];

/**
 * Sections whose every row needs an optional feature (#impl 1: "a server MAY implement admin mode
 * only"; section H: "An ME MAY use admin mode only"): a target that does not declare it gets
 * not-supported for them, one that does gets untested where no scenario exists.
 */
export const SECTION_NEEDS: Readonly<Record<string, Need>> = { F: "clientMode", H: "clientMode" };
