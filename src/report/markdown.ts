import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { isMandatory, XEP_URL } from "../catalogue/catalogue.js";
import type { RequirementResult, RunResult } from "../runner/result.js";
import { LEVEL_GROUPS, overallVerdict, summarize, type OverallVerdict } from "./aggregate.js";
import { configFingerprint } from "./html.js";

/**
 * reports/summary.md, meant for $GITHUB_STEP_SUMMARY (GitHub-flavoured markdown): the verdict line,
 * the counts per level, the failing, erroring, untested and not-supported requirements with one-line
 * reasons, and the reading the target follows of each ambiguous requirement.
 */

const MAX_REASON = 220;
const MAX_SCENARIOS = 4;
/** Longer lists are folded into a <details> block. */
const MAX_OPEN_LIST = 12;

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
  return r.anchor ? ` ([§${r.anchor}](${XEP_URL}#${r.anchor}))` : "";
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
  if (lines.length <= MAX_OPEN_LIST) return [`### ${title}`, "", intro, "", ...lines, ""];
  return [`<details><summary><strong>${title}</strong></summary>`, "", intro, "", ...lines, "", "</details>", ""];
}

/** Heading icon and word: interrupted and untested-MUST runs are incomplete, not "not compliant". */
function headline(run: RunResult, overall: OverallVerdict): { icon: string; word: string } {
  if (run.interrupted) return { icon: "⚠️", word: "incomplete (run interrupted)" };
  if (overall.compliant) return { icon: "✅", word: "compliant" };
  if (overall.failingMust.length === 0 && overall.erroredMust.length === 0 && overall.untestedMust.length > 0) {
    return { icon: "⚠️", word: "incomplete (MUST requirements untested)" };
  }
  return { icon: "❌", word: "not compliant" };
}

function list(title: string, reqs: RequirementResult[], collapse: boolean): string[] {
  if (reqs.length === 0) return [];
  const lines = reqs.map(requirementLine);
  if (!collapse && lines.length <= MAX_OPEN_LIST) return [`### ${title} (${reqs.length})`, "", ...lines, ""];
  return [`<details><summary><strong>${title} (${reqs.length})</strong></summary>`, "", ...lines, "", "</details>", ""];
}

export function buildMarkdownSummary(run: RunResult): string {
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const summary = summarize(run.requirements);
  const { icon, word } = headline(run, overall);
  const lines: string[] = [`## ${icon} XEP-0355 conformance: ${word}`, ""];
  lines.push(`> ${mdInline(overall.line)}`, "");
  if (run.targets.length === 0) lines.push("- **target:** not reached");
  for (const t of run.targets) {
    lines.push(`- **${t.role} target:** ${mdInline(t.software ?? "unknown software")} — ${mdInline(t.name)} (XEP-0355 ${t.protocolVersion})`);
  }
  lines.push(`- **suite:** ${run.suiteVersion} · **started:** ${run.startedAt} · **duration:** ${(run.durationMs / 1000).toFixed(1)} s · **config:** \`sha256:${configFingerprint(run)}\``, "");

  lines.push("| level | pass | failing | error | untested | not supported |", "|---|---:|---:|---:|---:|---:|");
  for (const g of LEVEL_GROUPS) {
    const s = summary[g];
    if (s.total === 0) continue;
    const mark =
      s.failing.length > 0 ? (g === "MUST" ? " ❌" : " ⚠️") : s.errored.length > 0 || (g === "MUST" && s.untested.length > 0) ? " ⚠️" : s.passed === s.total ? " ✅" : "";
    lines.push(`| ${g}${mark} | ${s.passed}/${s.total} | ${s.failing.length} | ${s.errored.length} | ${s.untested.length} | ${s.notSupported.length} |`);
  }
  lines.push("");

  const counted = run.requirements.filter((r) => r.verdict !== "not-applicable");
  lines.push(...list("Failing", counted.filter((r) => r.verdict === "fail"), false));
  lines.push(...list("Errors", counted.filter((r) => r.verdict === "error"), false));
  // Untested MUSTs first: they are what stops a compliance claim.
  const untested = counted.filter((r) => r.verdict === "untested");
  lines.push(...list("Untested", [...untested.filter((r) => isMandatory(r.level)), ...untested.filter((r) => !isMandatory(r.level))], false));
  lines.push(...readingsList(counted));
  lines.push(...list("Not supported", counted.filter((r) => r.verdict === "not-supported"), true));

  const scenarios = run.scenarios.length;
  const passed = run.scenarios.filter((s) => s.verdict === "pass").length;
  lines.push(`${passed}/${scenarios} scenarios passed. Full report: \`index.html\` in the reports artifact (also \`results.json\`, \`junit.xml\`).`, "");
  return lines.join("\n");
}

export async function writeMarkdownSummary(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildMarkdownSummary(run), "utf8");
}
