import type { Specification } from "../catalogue/specs.js";
import type { RequirementResult, RunResult, ScenarioResult, Verdict } from "../runner/result.js";
import { LEVEL_GROUPS, overallVerdict, type Summary } from "./aggregate.js";
import { requirementsBySpec, sectionGroups, specGroups, specTitle, specVerdictLine, spokenText } from "./by-spec.js";

export interface FormatOptions {
  /** Default: FORCE_COLOR set (and not "0") forces it; else stdout is a TTY and NO_COLOR is unset or empty (https://no-color.org). */
  color?: boolean;
}

const WORDS: Record<Verdict, string> = {
  pass: "PASS",
  fail: "FAIL",
  "not-supported": "SKIP",
  "not-applicable": "N/A",
  error: "ERROR",
  untested: "UNTESTED",
};

// ANSI SGR: green, red, yellow, dim, magenta, bright red.
const COLOURS: Record<Verdict, string> = {
  pass: "32",
  fail: "31",
  "not-supported": "33",
  "not-applicable": "2",
  error: "35",
  untested: "91",
};

/** Requirement rows fit every word; scenario lines only the scenario verdicts (never "untested"). */
const WORD_WIDTH = Math.max(...Object.values(WORDS).map((w) => w.length));
const SCENARIO_WORD_WIDTH = Math.max(...Object.entries(WORDS).filter(([v]) => v !== "untested").map(([, w]) => w.length));

function useColor(options?: FormatOptions): boolean {
  return options?.color ?? colorByEnvironment(Boolean(process.stdout.isTTY));
}

/** Callers pad before painting, so ANSI codes do not upset column widths. */
function paint(verdict: Verdict, text: string, color: boolean): string {
  return color ? `\x1b[${COLOURS[verdict]}m${text}\x1b[0m` : text;
}

export function formatScenarioLine(s: ScenarioResult, options?: FormatOptions): string {
  const word = paint(s.verdict, WORDS[s.verdict].padEnd(SCENARIO_WORD_WIDTH), useColor(options));
  if (s.verdict === "pass") return `  ${word} ${s.id}  (${Math.round(s.durationMs)} ms)`;
  const prefix = s.verdict === "fail" && s.failedRequirement && !s.reason.startsWith(s.failedRequirement) ? `${s.failedRequirement}: ` : "";
  return `  ${word} ${s.id}  ${prefix}${s.reason}`.trimEnd();
}

function scenarioCount(r: RequirementResult): string {
  return `${r.scenarios.length} scenario${r.scenarios.length === 1 ? "" : "s"}`;
}

/** "reading: lenient" for an ambiguous requirement whose scenarios recorded the reading the target follows. */
export function readingLabel(r: RequirementResult): string {
  return r.reading ? `reading: ${r.reading}` : "";
}

/** The requirement's reason without a leading "<its ID>: ". */
function ownReason(r: RequirementResult): string {
  return r.reason.startsWith(`${r.id}: `) ? r.reason.slice(r.id.length + 2) : r.reason;
}

/** "== XEP-0356 Privileged Entity 0.4.1 — https://xmpp.org/extensions/xep-0356.html", bold in colour. */
function specHeading(spec: Specification, color: boolean): string {
  const text = `== ${specTitle(spec)} ${spec.version} — ${spec.url}`;
  return color ? `\x1b[1m${text}\x1b[0m` : text;
}

/**
 * Requirements by specification (a heading each), then by catalogue section (titled from that
 * specification's catalogue), columns ID, level, verdict, scenario count, then the reading of an
 * ambiguous row ("reading: lenient"). With `scenarios` (the run's), non-passing rows also get their
 * reason (e.g. "blocked by failure of SRV-REP-01", "no scenario verifies it"). Columns line up across
 * specifications.
 */
export function formatRequirementTable(
  reqs: RequirementResult[],
  options?: FormatOptions & { scenarios?: ScenarioResult[] },
): string {
  const color = useColor(options);
  const idWidth = Math.max(2, ...reqs.map((r) => r.id.length));
  const levelWidth = Math.max(5, ...reqs.map((r) => r.level.length));
  const countWidth = Math.max(0, ...reqs.map((r) => scenarioCount(r).length));
  const lines: string[] = [];
  for (const { spec, requirements } of requirementsBySpec(reqs)) {
    if (lines.length > 0) lines.push("");
    lines.push(specHeading(spec, color));
    for (const section of sectionGroups(requirements)) {
      lines.push("", `${section.section}. ${section.title}`.trimEnd());
      for (const r of section.requirements) {
        const word = paint(r.verdict, WORDS[r.verdict].padEnd(WORD_WIDTH), color);
        let line = `  ${r.id.padEnd(idWidth)}  ${r.level.padEnd(levelWidth)}  ${word}  ${scenarioCount(r).padEnd(countWidth)}`;
        if (r.reading) line += `  ${readingLabel(r)}`;
        if (options?.scenarios && r.verdict !== "pass" && r.reason) line += `  ${ownReason(r)}`;
        lines.push(line.trimEnd());
      }
    }
  }
  return lines.join("\n");
}

function levelLines(summary: Summary): string[] {
  const lines: string[] = [];
  for (const group of LEVEL_GROUPS) {
    const g = summary[group];
    if (g.total === 0) continue;
    let line = `  ${group.padEnd(9)}  ${String(g.passed).padStart(3)}/${String(g.total).padEnd(3)} pass`;
    if (g.failing.length > 0) line += `  failing: ${g.failing.join(", ")}`;
    if (g.errored.length > 0) line += `  errored: ${g.errored.join(", ")}`;
    if (g.untested.length > 0) line += `  untested: ${g.untested.length}`;
    if (g.notSupported.length > 0) line += `  not supported: ${g.notSupported.length}`;
    lines.push(line);
  }
  return lines;
}

/**
 * Per specification its heading (what each role's target speaks of it), level counts and, when the run
 * covered several, its compliance line ("XEP-0356: not compliant: …"); last the run's verdict over all.
 */
export function formatSummary(run: RunResult): string {
  const groups = specGroups(run);
  const lines: string[] = [];
  for (const g of groups) {
    lines.push("", `${specTitle(g.spec)} — ${spokenText(g.info, run.targets)}`, ...levelLines(g.summary));
    if (groups.length > 1) lines.push(`  ${specVerdictLine(g)}`);
  }
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const prefix = run.interrupted ? "run interrupted, results incomplete — " : "";
  if (groups.length > 1) lines.push("");
  lines.push(`${prefix}${overall.line}`);
  return lines.join("\n");
}

/** The colour choice of the environment: FORCE_COLOR (not "0") wins, then NO_COLOR, then whether it is a terminal. */
export function colorByEnvironment(tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  if (env.NO_COLOR) return false;
  return tty;
}
