import type { Level } from "../catalogue/catalogue.js";
import type { SpecId } from "../catalogue/specs.js";

/**
 * "untested": a requirement no scenario verifies although it applies to the target (a MUST
 * without a scenario never lets a run claim compliance). Only requirements get it, never scenarios.
 */
export type Verdict = "pass" | "fail" | "not-supported" | "not-applicable" | "error" | "untested";

/** Worst first: a requirement's verdict is the worst of its scenarios' verdicts. */
export const VERDICT_SEVERITY: Record<Verdict, number> = {
  error: 5,
  fail: 4,
  untested: 3,
  "not-supported": 2,
  pass: 1,
  "not-applicable": 0,
};

export interface TranscriptEntry {
  /** Milliseconds since the scenario started. */
  t: number;
  actor: string;
  direction: "in" | "out" | "note";
  data: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  role: "server" | "component";
  file: string;
  requirements: string[];
  verdict: Verdict;
  /** One line: why it failed, was skipped or errored (empty on pass). */
  reason: string;
  /** The requirement the failing step checks, when the scenario failed. */
  failedRequirement?: string;
  /** Expected vs received for a failed match. */
  evidence?: { step: string; line: number; expected: string; received: string[] };
  /** Informational findings (e.g. which reading of an ambiguous rule the target follows). */
  notes: string[];
  /** Ambiguous requirement ID → the short name of the reading the target follows (e.g. "strict", "lenient"). */
  readings: Record<string, string>;
  /** Requirements whose checks held before the scenario ended (a failure of another one does not taint them). */
  checked?: string[];
  durationMs: number;
  transcript: TranscriptEntry[];
}

export interface RequirementResult {
  id: string;
  /** The specification whose catalogue holds the row ("0355", "0356"). */
  spec: SpecId;
  role: "server" | "component";
  level: Level;
  section: string;
  anchor: string;
  text: string;
  verdict: Verdict;
  /** Why, when not pass (e.g. "blocked by failure of SRV-FWD-02"). */
  reason: string;
  /** Ambiguous requirements: the reading the target follows, from its scenarios (several joined by " + "). */
  reading?: string;
  scenarios: string[];
}

export interface TargetInfo {
  role: "server" | "component";
  name: string;
  /** "0.5" (urn:xmpp:delegation:2) or "0.4.1" (urn:xmpp:delegation:1). */
  protocolVersion: string;
  software?: string;
  /** The XEP version the target speaks of each specification the run covered, e.g. { "0355": "0.5", "0356": "0.4.1" }. */
  specVersions?: Partial<Record<SpecId, string>>;
}

/** A specification the run covered: its XEP, the version its catalogue restates, and what each role's target speaks of it. */
export interface RunSpec {
  id: SpecId;
  /** "XEP-0355" */
  name: string;
  title: string;
  url: string;
  /** The XEP version the catalogue restates: the rules checked. */
  version: string;
  /** Each role whose target declares the specification: the XEP version it speaks and that version's namespace. */
  targets: { role: "server" | "component"; version: string; namespace: string }[];
}

export interface RunResult {
  suiteVersion: string;
  startedAt: string;
  durationMs: number;
  /** One per role run (npm start runs both roles). */
  targets: TargetInfo[];
  interrupted: boolean;
  /** A run of selected scenarios (--only): only the requirements they cover are reported, and compliance is not claimed. */
  partial?: boolean;
  /** The specifications the run covered, in catalogue order (absent in results written before there were several). */
  specs?: RunSpec[];
  scenarios: ScenarioResult[];
  requirements: RequirementResult[];
}
