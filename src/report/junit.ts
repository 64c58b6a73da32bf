import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import junit, { type Builder, type TestCase } from "junit-report-builder";
import { requirementById, XEP_URL } from "../catalogue/catalogue.js";
import type { Level } from "../catalogue/catalogue.js";
import type { RequirementResult, RunResult, ScenarioResult } from "../runner/result.js";
import { childElements, parseXml, type Element } from "../xml/element.js";
import { sectionPrefix, type Role } from "./aggregate.js";

export interface JunitOptions {
  /** Where the scenario's transcript was written, if it was; becomes a property and a Jenkins attachment. */
  transcriptPath?: (s: ScenarioResult) => string | undefined;
}

// The package is CommonJS (`module.exports = builder`) typed as `export default builder`, so under
// NodeNext the default import is the builder at run time but typed as the module namespace.
const junitModule = junit as unknown as Builder | { default: Builder };
const rootBuilder: Builder = "newBuilder" in junitModule ? junitModule : junitModule.default;

const ROLES: Role[] = ["server", "component"];

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** JUnit XSD timestamps are ISO 8601 without a zone or fraction; ours are UTC. */
export function junitTimestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19);
}

export function formatEvidence(evidence: NonNullable<ScenarioResult["evidence"]>): string {
  const received = evidence.received.length > 0 ? evidence.received.join("\n---\n") : "(nothing)";
  const line = evidence.line > 0 ? ` (line ${evidence.line})` : "";
  return `step: ${evidence.step}${line}\nexpected:\n${evidence.expected}\nreceived:\n${received}`;
}

interface RequirementInfo {
  level?: Level;
  anchor?: string;
  section?: string;
}

function requirementInfo(id: string, run: RunResult): RequirementInfo {
  const fromRun: RequirementResult | undefined = run.requirements.find((r) => r.id === id);
  const fromCatalogue = requirementById(id);
  const section = fromCatalogue ? `${fromCatalogue.section}. ${fromCatalogue.sectionTitle}` : fromRun?.section;
  return { level: fromRun?.level ?? fromCatalogue?.level, anchor: fromRun?.anchor ?? fromCatalogue?.anchor, section };
}

function addTestCase(tc: TestCase, s: ScenarioResult, run: RunResult, options: JunitOptions): string | undefined {
  const first = s.requirements[0];
  tc.className(first ? `xep0355.${s.role}.${sectionPrefix(first)}` : `xep0355.${s.role}`)
    .name(`${s.id} — ${s.title}`)
    .file(s.file)
    .time(seconds(s.durationMs));
  tc.property("requirements", s.requirements.join(","));
  const info = first ? requirementInfo(first, run) : {};
  if (info.level) tc.property("level", info.level);
  if (info.section) tc.property("section", info.section);
  const anchors = [...new Set(s.requirements.map((id) => requirementInfo(id, run).anchor).filter((a): a is string => !!a))];
  if (anchors.length > 0) tc.property("anchor", anchors.map((a) => `${XEP_URL}#${a}`).join(" "));
  const transcript = options.transcriptPath?.(s);
  if (transcript) tc.property("transcript", transcript);

  const out = [...s.notes];
  if (transcript) out.push(`[[ATTACHMENT|${transcript}]]`);
  if (out.length > 0) tc.standardOutput(out.join("\n"));

  const evidence = s.evidence ? formatEvidence(s.evidence) : undefined;
  switch (s.verdict) {
    case "fail": {
      const prefix = s.failedRequirement && !s.reason.startsWith(s.failedRequirement) ? `${s.failedRequirement}: ` : "";
      tc.failure(prefix + s.reason, s.failedRequirement ?? "fail");
      if (evidence) tc.stacktrace(evidence);
      return undefined;
    }
    case "error":
      tc.error(s.reason, "error", evidence);
      return undefined;
    case "not-supported":
      tc.skipped();
      return s.reason;
    case "not-applicable":
      tc.skipped();
      return `not applicable: ${s.reason}`;
    case "pass":
      return undefined;
  }
}

/**
 * The builder writes a bare <skipped/>; give each its message, in test case order. The root
 * <testsuites> also gets the total time, which the builder leaves out.
 */
function addSkippedMessages(xml: string, messages: (string | undefined)[], totalSeconds: number): string {
  const root = parseXml(xml);
  root.attrs.time = String(totalSeconds);
  const cases = childElements(root).flatMap((suite) => childElements(suite).filter((c) => c.name === "testcase"));
  cases.forEach((tc: Element, i) => {
    const skipped = tc.getChild("skipped");
    const message = messages[i];
    if (skipped && message) skipped.attrs.message = message;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}\n`;
}

export function buildJunitXml(run: RunResult, options: JunitOptions = {}): string {
  const builder = rootBuilder.newBuilder().name("xep0355");
  const roles = ROLES.filter((r) => run.scenarios.some((s) => s.role === r));
  const skippedMessages: (string | undefined)[] = [];
  for (const role of roles.length > 0 ? roles : run.targets.map((t) => t.role)) {
    const target = run.targets.find((t) => t.role === role);
    const scenarios = run.scenarios.filter((s) => s.role === role);
    const suite = builder
      .testSuite()
      .name(`xep0355.${role}`)
      .timestamp(junitTimestamp(run.startedAt))
      .time(seconds(scenarios.reduce((sum, s) => sum + s.durationMs, 0)));
    if (target) {
      suite.property("target", target.name);
      suite.property("protocolVersion", target.protocolVersion);
      if (target.software) suite.property("software", target.software);
    }
    suite.property("suiteVersion", run.suiteVersion);
    if (run.interrupted) suite.property("interrupted", "true");
    for (const s of scenarios) skippedMessages.push(addTestCase(suite.testCase(), s, run, options));
  }
  // Like each suite's time, the root's is the sum of the test case times (scenarios run concurrently).
  return addSkippedMessages(builder.build(), skippedMessages, seconds(run.scenarios.reduce((sum, s) => sum + s.durationMs, 0)));
}

export async function writeJunitReport(run: RunResult, path: string, options: JunitOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildJunitXml(run, options), "utf8");
}
