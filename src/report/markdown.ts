import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { anchorUrl, isMandatory } from "../catalogue/catalogue.js";
import { SPECIFICATIONS, type SpecId } from "../catalogue/specs.js";
import type { RequirementResult, RunResult, ScenarioResult } from "../runner/result.js";
import { LEVEL_GROUPS, overallVerdict, type OverallVerdict } from "./aggregate.js";
import { runSpecNames, specGroups, specTitle, specVerdictLine, spokenText, type SpecGroup } from "./by-spec.js";
import { configFingerprint } from "./html.js";
import { mermaidSequence } from "./mermaid.js";
import { transcriptFileName } from "./transcripts.js";

/**
 * reports/summary.md, meant for $GITHUB_STEP_SUMMARY (GitHub-flavoured markdown): the verdict line;
 * per specification (src/report/by-spec.ts) its verdict, the counts per level, the failing, erroring,
 * untested and not-supported requirements with one-line reasons and the reading the target follows of
 * each ambiguous requirement; then a Mermaid sequence diagram of each failing (then erroring)
 * scenario's stanzas.
 */

const MAX_REASON = 220;
const MAX_SCENARIOS = 4;
/** Longer lists are folded into a <details> block. */
const MAX_OPEN_LIST = 12;
/** Diagrams drawn (the rest are named), and how many of them are unfolded. */
const MAX_DIAGRAMS = 10;
const MAX_OPEN_DIAGRAMS = 3;
/** Scenarios beyond MAX_DIAGRAMS named by id, at most. */
const MAX_NAMED = 20;

/** One line, no markdown or HTML surprises (table pipes, stray tags, emphasis). */
export function mdInline(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  const short = line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
  return short
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([|*_`[\]#~])/g, "\\$1");
}

/** " — `a`, `b`, +3 more", or nothing when no scenario lists the requirement. */
function scenarioSuffix(r: RequirementResult): string {
  const shown = r.scenarios.slice(0, MAX_SCENARIOS).map((s) => `\`${s}\``);
  if (r.scenarios.length > MAX_SCENARIOS) shown.push(`+${r.scenarios.length - MAX_SCENARIOS} more`);
  return shown.length ? ` — ${shown.join(", ")}` : "";
}

function requirementLine(r: RequirementResult): string {
  const link = specLink(r);
  const scenarios = scenarioSuffix(r);
  const reason = (r.reason || r.verdict).replace(new RegExp(`^${r.id}: `), "");
  return `- **${r.id}** (${r.level})${link}: ${mdInline(reason)}${scenarios}`;
}

function specLink(r: RequirementResult): string {
  return r.anchor ? ` ([§${r.anchor}](${anchorUrl(r)}))` : "";
}

/** "- **SRV-REP-07** (ambiguous): **lenient** — `srv-rep-07-inner-error`" for each requirement with a recorded reading. */
function readingsList(reqs: RequirementResult[]): string[] {
  const withReading = reqs.filter((r): r is RequirementResult & { reading: string } => Boolean(r.reading));
  if (withReading.length === 0) return [];
  const lines = withReading.map(
    (r) => `- **${r.id}** (${r.level})${specLink(r)}: **${mdInline(r.reading)}**${r.verdict === "pass" ? "" : ` (${r.verdict})`}${scenarioSuffix(r)}`,
  );
  const title = `Ambiguous readings (${withReading.length})`;
  const intro = "Which reading of each ambiguous rule the target follows. Either reading is accepted: a target is never failed for its choice.";
  if (lines.length <= MAX_OPEN_LIST) return [`#### ${title}`, "", intro, "", ...lines, ""];
  return [`<details><summary><strong>${title}</strong></summary>`, "", intro, "", ...lines, "", "</details>", ""];
}

/** Heading icon and word: interrupted and untested-MUST runs are incomplete, not "not compliant". */
function headline(run: RunResult, overall: OverallVerdict): { icon: string; word: string } {
  if (run.interrupted) return { icon: "⚠️", word: "incomplete (run interrupted)" };
  // --only: nothing failed among what ran, but a selection never certifies the target.
  if (overall.partial) return { icon: "⚠️", word: "partial run (no compliance claim)" };
  if (overall.compliant) return { icon: "✅", word: "compliant" };
  if (overall.failingMust.length === 0 && overall.erroredMust.length === 0 && overall.untestedMust.length > 0) {
    return { icon: "⚠️", word: "incomplete (MUST requirements untested)" };
  }
  return { icon: "❌", word: "not compliant" };
}

function list(title: string, reqs: RequirementResult[], collapse: boolean): string[] {
  if (reqs.length === 0) return [];
  const lines = reqs.map(requirementLine);
  if (!collapse && lines.length <= MAX_OPEN_LIST) return [`#### ${title} (${reqs.length})`, "", ...lines, ""];
  return [`<details><summary><strong>${title} (${reqs.length})</strong></summary>`, "", ...lines, "", "</details>", ""];
}

/** One line for an HTML block (a <summary>), where markdown is not read: only markup is escaped. */
function htmlInline(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  const short = line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
  return short.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One failing or erroring scenario: its verdict, requirements and reason, then its stanza flow. */
function scenarioDiagram(s: ScenarioResult, run: RunResult, open: boolean): string[] {
  const icon = s.verdict === "fail" ? "❌" : "⚠️";
  const blamed = s.failedRequirement ?? s.requirements[0];
  const summary = `<summary>${icon} <strong>${htmlInline(s.id)}</strong> (${s.verdict}${blamed ? `, ${htmlInline(blamed)}` : ""}): ${htmlInline(s.title)}</summary>`;
  const diagram = mermaidSequence(s, run.targets.find((t) => t.role === s.role));
  const lines = [`<details${open ? " open" : ""}>${summary}`, "", `> ${mdInline(s.reason || s.verdict)}`, "", "```mermaid", diagram.text, "```", ""];
  if (diagram.shown < diagram.total) lines.push(`_${diagram.shown} of ${diagram.total} messages shown, around the failure; every stanza is in \`index.html\` and \`transcripts/${transcriptFileName(s)}\`._`, "");
  lines.push("</details>", "");
  return lines;
}

/** The stanza flow of each failing scenario, then each erroring one, as Mermaid sequence diagrams. */
function diagrams(run: RunResult): string[] {
  const failing = [...run.scenarios.filter((s) => s.verdict === "fail"), ...run.scenarios.filter((s) => s.verdict === "error")];
  if (failing.length === 0) return [];
  const drawn = failing.slice(0, MAX_DIAGRAMS);
  const lines = [`### Stanza flow of the failing scenarios (${failing.length})`, ""];
  drawn.forEach((s, i) => lines.push(...scenarioDiagram(s, run, i < MAX_OPEN_DIAGRAMS)));
  const rest = failing.slice(MAX_DIAGRAMS);
  if (rest.length > 0) {
    const names = rest.slice(0, MAX_NAMED).map((s) => `\`${s.id}\``);
    if (rest.length > names.length) names.push(`+${rest.length - names.length} more`);
    lines.push(`${rest.length} more not drawn here (see \`index.html\`): ${names.join(", ")}.`, "");
  }
  return lines;
}

/** One specification: heading with its verdict, link and what the targets speak, its compliance line, level counts and requirement lists. */
function specSection(run: RunResult, group: SpecGroup): string[] {
  const { spec, summary, overall } = group;
  const { icon, word } = headline(run, overall);
  const lines: string[] = [`### ${icon} ${specTitle(spec)} ${spec.version}: ${word}`, ""];
  lines.push(`${spec.url} · ${mdInline(spokenText(group.info, run.targets))}`, "");
  lines.push(`> ${mdInline(specVerdictLine(group))}`, "");

  lines.push("| level | pass | failing | error | untested | not supported |", "|---|---:|---:|---:|---:|---:|");
  for (const g of LEVEL_GROUPS) {
    const s = summary[g];
    if (s.total === 0) continue;
    const mark =
      s.failing.length > 0 ? (g === "MUST" ? " ❌" : " ⚠️") : s.errored.length > 0 || (g === "MUST" && s.untested.length > 0) ? " ⚠️" : s.passed === s.total ? " ✅" : "";
    lines.push(`| ${g}${mark} | ${s.passed}/${s.total} | ${s.failing.length} | ${s.errored.length} | ${s.untested.length} | ${s.notSupported.length} |`);
  }
  lines.push("");

  const counted = group.requirements.filter((r) => r.verdict !== "not-applicable");
  lines.push(...list("Failing", counted.filter((r) => r.verdict === "fail"), false));
  lines.push(...list("Errors", counted.filter((r) => r.verdict === "error"), false));
  // Untested MUSTs first: they are what stops a compliance claim.
  const untested = counted.filter((r) => r.verdict === "untested");
  lines.push(...list("Untested", [...untested.filter((r) => isMandatory(r.level)), ...untested.filter((r) => !isMandatory(r.level))], false));
  lines.push(...readingsList(counted));
  lines.push(...list("Not supported", counted.filter((r) => r.verdict === "not-supported"), true));
  return lines;
}

/** "XEP-0355 0.5, XEP-0356 0.4.1": what a target speaks of each specification the run covered. */
function targetVersions(t: RunResult["targets"][number]): string {
  const versions = Object.entries(t.specVersions ?? { "0355": t.protocolVersion }) as [SpecId, string][];
  return versions.map(([id, version]) => `${SPECIFICATIONS[id].name} ${version}`).join(", ");
}

export function buildMarkdownSummary(run: RunResult): string {
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const groups = specGroups(run);
  const { icon, word } = headline(run, overall);
  const lines: string[] = [`## ${icon} ${runSpecNames(groups)} conformance: ${word}`, ""];
  lines.push(`> ${mdInline(overall.line)}`, "");
  if (run.targets.length === 0) lines.push("- **target:** not reached");
  for (const t of run.targets) {
    lines.push(`- **${t.role} target:** ${mdInline(t.software ?? "unknown software")} — ${mdInline(t.name)} (${targetVersions(t)})`);
  }
  lines.push(`- **suite:** ${run.suiteVersion} · **started:** ${run.startedAt} · **duration:** ${(run.durationMs / 1000).toFixed(1)} s · **config:** \`sha256:${configFingerprint(run)}\``, "");

  for (const group of groups) lines.push(...specSection(run, group));
  lines.push(...diagrams(run));

  const scenarios = run.scenarios.length;
  const passed = run.scenarios.filter((s) => s.verdict === "pass").length;
  lines.push(`${passed}/${scenarios} scenarios passed. Full report: \`index.html\` in the reports artifact (also \`results.json\`, \`junit.xml\`).`, "");
  return lines.join("\n");
}

export async function writeMarkdownSummary(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildMarkdownSummary(run), "utf8");
}
