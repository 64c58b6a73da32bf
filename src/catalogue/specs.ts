/** The specifications the suite checks: each catalogue file, its XEP and the namespaces of its versions. */
export type SpecId = "0355" | "0356";

export interface Specification {
  id: SpecId;
  /** "XEP-0355" */
  name: string;
  title: string;
  url: string;
  /** The XEP version the catalogue restates. */
  version: string;
  /** Namespace of each protocol revision the suite speaks, newest first. */
  namespaces: Readonly<Record<number, string>>;
  /** Catalogue file, relative to the package root. */
  cataloguePath: string;
  /** Rows without an anchor take their section's; these prefixes fall back to the XEP section their rules come from. */
  fallbackAnchors: Readonly<Record<string, string>>;
}

export const SPECIFICATIONS: Readonly<Record<SpecId, Specification>> = {
  "0355": {
    id: "0355",
    name: "XEP-0355",
    title: "Namespace Delegation",
    url: "https://xmpp.org/extensions/xep-0355.html",
    version: "0.5",
    namespaces: { 2: "urn:xmpp:delegation:2", 1: "urn:xmpp:delegation:1" },
    cataloguePath: "spec/xep-0355-requirements.md",
    // Sections D and G have no anchor in their headings.
    fallbackAnchors: { "SRV-UNA": "stanza_forward", "SRV-FLT": "stanza_forward", "ME-REP": "stanza_forward", "ME-DSC": "disco", "ME-ROB": "stanza_forward", "ME-SEC": "security" },
  },
  "0356": {
    id: "0356",
    name: "XEP-0356",
    title: "Privileged Entity",
    url: "https://xmpp.org/extensions/xep-0356.html",
    version: "0.4.1",
    namespaces: { 2: "urn:xmpp:privilege:2", 1: "urn:xmpp:privilege:1" },
    cataloguePath: "spec/xep-0356-requirements.md",
    // Section G has no anchor in its heading.
    fallbackAnchors: { "PE-ADV": "advertise_roster", "PE-IQ": "sending_iq", "PE-MSG": "sending_mess", "PE-ROB": "security" },
  },
};

export const SPEC_IDS = Object.keys(SPECIFICATIONS) as SpecId[];

/** The specification a requirement ID belongs to (PRV-* and PE-* are XEP-0356's). */
export function specOfRequirement(id: string): SpecId {
  return /^(PRV|PE)-/.test(id) ? "0356" : "0355";
}
