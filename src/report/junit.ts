import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import junit, { type Builder, type TestCase, type TestSuite } from "junit-report-builder";
import { requirementById, XEP_URL } from "../catalogue/catalogue.js";
import type { Level } from "../catalogue/catalogue.js";
import type { RequirementResult, RunResult, ScenarioResult } from "../runner/result.js";
import { childElements, parseXml, type Element } from "../xml/element.js";
import { overallVerdict, sectionPrefix, type Role } from "./aggregate.js";

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

  const readings = Object.entries(s.readings ?? {});
  const out = [...s.notes];
  if (readings.length > 0) out.push(`readings: ${readings.map(([id, name]) => `${id}=${name}`).join(", ")}`);
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
 * What a role's requirements say beyond its test cases (which are scenarios): the reading of each
 * ambiguous requirement and the untested ones. Suite properties for programs (test case properties
 * are outside the Jenkins schema): `reading.<ID>` = reading, `untested` = comma-separated IDs.
 */
function addRequirementProperties(suite: TestSuite, reqs: RequirementResult[]): void {
  for (const r of reqs) if (r.reading) suite.property(`reading.${r.id}`, r.reading);
  const untested = reqs.filter((r) => r.verdict === "untested").map((r) => r.id);
  if (untested.length > 0) suite.property("untested", untested.join(","));
}

/** The same for people, as the suite's <system-out>: the role's verdict line, readings, untested requirements. */
function suiteOutput(reqs: RequirementResult[], partial?: boolean): string | undefined {
  if (reqs.length === 0) return undefined;
  const lines = [overallVerdict(reqs, { partial }).line];
  const withReading = reqs.filter((r) => r.reading);
  if (withReading.length > 0) {
    lines.push("readings of ambiguous requirements (either reading is accepted):", ...withReading.map((r) => `  ${r.id}: ${r.reading}`));
  }
  const untested = reqs.filter((r) => r.verdict === "untested");
  if (untested.length > 0) {
    lines.push("untested (they apply, but no scenario verifies them):", ...untested.map((r) => `  ${r.id} (${r.level})`));
  }
  return lines.join("\n");
}

/**
 * The builder writes a bare <skipped/>; give each its message, in test case order. Each suite gets
 * its <system-out> (after its test cases, as the JUnit XSD orders it), and the root <testsuites>
 * the total time, both of which the builder cannot write.
 */
function finishXml(xml: string, messages: (string | undefined)[], suiteOutputs: (string | undefined)[], totalSeconds: number): string {
  const root = parseXml(xml);
  root.attrs.time = String(totalSeconds);
  const suites = childElements(root);
  const cases = suites.flatMap((suite) => childElements(suite).filter((c) => c.name === "testcase"));
  cases.forEach((tc: Element, i) => {
    const skipped = tc.getChild("skipped");
    const message = messages[i];
    if (skipped && message) skipped.attrs.message = message;
  });
  suites.forEach((suite, i) => {
    const out = suiteOutputs[i];
    if (out) suite.c("system-out").t(out);
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}\n`;
}

export function buildJunitXml(run: RunResult, options: JunitOptions = {}): string {
  const builder = rootBuilder.newBuilder().name("xep0355");
  const roles = ROLES.filter((r) => run.scenarios.some((s) => s.role === r));
  const skippedMessages: (string | undefined)[] = [];
  const suiteOutputs: (string | undefined)[] = [];
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
    const reqs = run.requirements.filter((r) => r.role === role);
    addRequirementProperties(suite, reqs);
    suiteOutputs.push(suiteOutput(reqs, run.partial));
    for (const s of scenarios) skippedMessages.push(addTestCase(suite.testCase(), s, run, options));
  }
  // Like each suite's time, the root's is the sum of the test case times (scenarios run concurrently).
  return finishXml(builder.build(), skippedMessages, suiteOutputs, seconds(run.scenarios.reduce((sum, s) => sum + s.durationMs, 0)));
}

export async function writeJunitReport(run: RunResult, path: string, options: JunitOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildJunitXml(run, options), "utf8");
}
