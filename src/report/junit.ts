import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import junit, { type Builder, type TestCase, type TestSuite } from "junit-report-builder";
import { requirementById } from "../catalogue/catalogue.js";
import { SPECIFICATIONS, specOfRequirement } from "../catalogue/specs.js";
import type { Level } from "../catalogue/catalogue.js";
import type { RequirementResult, RunResult, ScenarioResult } from "../runner/result.js";
import { childElements, parseXml, type Element } from "../xml/element.js";
import { overallVerdict, sectionPrefix, type Role } from "./aggregate.js";
import { specGroups, type SpecGroup } from "./by-spec.js";

/**
 * junit.xml, valid against the Jenkins JUnit schema (test/fixtures/jenkins-junit.xsd): a test case has
 * only name, classname and time, and <skipped> holds text, not attributes; so what a scenario adds
 * (requirements, level, section, XEP link, scenario file, readings, notes, transcript) goes into its
 * <system-out>, and what a role's requirements add into suite properties and the suite's <system-out>.
 * One suite per specification and role (src/report/by-spec.ts): xep0355.server, xep0355.component,
 * xep0356.server, xep0356.component.
 */

export interface JunitOptions {
  /**
   * Where the scenario's transcript was written, if it was (absolute, or relative to the working
   * directory); named in its <system-out>, also as a Jenkins / GitLab attachment.
   */
  transcriptPath?: (s: ScenarioResult) => string | undefined;
  /** The folder junit.xml is written to: transcript paths are given relative to it (writeJunitReport sets it). */
  reportsDir?: string;
}

// The package is CommonJS (`module.exports = builder`) typed as `export default builder`, so under
// NodeNext the default import is the builder at run time but typed as the module namespace.
const junitModule = junit as unknown as Builder | { default: Builder };
const rootBuilder: Builder = "newBuilder" in junitModule ? junitModule : junitModule.default;

const ROLES: Role[] = ["server", "component"];

/** Characters XML 1.0 cannot hold, even escaped; dropped, as the builder does (its invalidCharReplacement). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlText(text: string): string {
  return text.replace(NOT_XML, "");
}

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

/** A transcript path as the report names it: relative to the reports folder, with forward slashes. */
function reportPath(path: string, reportsDir: string | undefined): string {
  if (reportsDir === undefined) return path;
  const rel = relative(resolve(reportsDir), resolve(path));
  return (rel === "" || isAbsolute(rel) ? path : rel).split(sep).join("/");
}

/** The test case's <system-out>: one "key: value" line per fact, then the notes and the attachment. */
function testCaseOutput(s: ScenarioResult, run: RunResult, transcript: string | undefined): string {
  const first = s.requirements[0];
  const info = first ? requirementInfo(first, run) : {};
  // Each requirement's link goes to its own XEP (XEP-0355's or XEP-0356's).
  const links = s.requirements.flatMap((id) => {
    const anchor = requirementInfo(id, run).anchor;
    return anchor ? [`${SPECIFICATIONS[specOfRequirement(id)].url}#${anchor}`] : [];
  });
  const anchors = [...new Set(links)];
  const readings = Object.entries(s.readings ?? {});
  const lines = [`requirements: ${s.requirements.join(",")}`];
  if (info.level) lines.push(`level: ${info.level}`);
  if (info.section) lines.push(`section: ${info.section}`);
  if (anchors.length > 0) lines.push(`spec: ${anchors.join(" ")}`);
  lines.push(`scenario file: ${s.file}`);
  if (readings.length > 0) lines.push(`readings: ${readings.map(([id, name]) => `${id}=${name}`).join(", ")}`);
  if (transcript) lines.push(`transcript: ${transcript}`);
  lines.push(...s.notes.map((n) => `note: ${n}`));
  if (transcript) lines.push(`[[ATTACHMENT|${transcript}]]`);
  return lines.join("\n");
}

/** "xep0355.server", "xep0356.component": a suite's name, and its test cases' classname prefix. */
function suiteName(group: SpecGroup, role: Role): string {
  return `xep${group.spec.id}.${role}`;
}

function addTestCase(tc: TestCase, s: ScenarioResult, run: RunResult, options: JunitOptions, suite: string): string | undefined {
  const first = s.requirements[0];
  tc.className(first ? `${suite}.${sectionPrefix(first)}` : suite)
    .name(`${s.id} — ${s.title}`)
    .time(seconds(s.durationMs));
  const written = options.transcriptPath?.(s);
  tc.standardOutput(testCaseOutput(s, run, written ? reportPath(written, options.reportsDir) : undefined));

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
      return s.reason || "not supported";
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

/** The same for people, as the suite's <system-out>: the role's verdict line for the specification, readings, untested requirements. */
function suiteOutput(group: SpecGroup, reqs: RequirementResult[], partial?: boolean): string | undefined {
  if (reqs.length === 0) return undefined;
  const lines = [`${group.spec.name}: ${overallVerdict(reqs, { partial }).line}`];
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
 * What the builder cannot write: each bare <skipped/> gets its reason as text (the schema allows no
 * attribute on it), each suite its <system-out> (after its test cases, as the schema orders it), and
 * the root <testsuites> its wall-clock time and no `skipped` count (not in the schema).
 */
function finishXml(xml: string, messages: (string | undefined)[], suiteOutputs: (string | undefined)[], totalSeconds: number): string {
  const root = parseXml(xml);
  root.attrs.time = String(totalSeconds);
  delete root.attrs.skipped;
  const suites = childElements(root);
  const cases = suites.flatMap((suite) => childElements(suite).filter((c) => c.name === "testcase"));
  cases.forEach((tc: Element, i) => {
    const skipped = tc.getChild("skipped");
    const message = messages[i];
    if (skipped && message) skipped.t(xmlText(message));
  });
  suites.forEach((suite, i) => {
    const out = suiteOutputs[i];
    if (out) suite.c("system-out").t(xmlText(out));
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}\n`;
}

/**
 * Scenarios run concurrently, and the roles too: a suite's time is the run's wall-clock duration (the
 * run records no per-role span), never the sum of its test cases' times.
 */
export function buildJunitXml(run: RunResult, options: JunitOptions = {}): string {
  const wallClock = seconds(run.durationMs);
  const builder = rootBuilder.newBuilder().name("xep0355");
  const groups = specGroups(run);
  // A suite per specification and role that has scenarios or requirements; with neither, one per target.
  let suites = groups.flatMap((group) =>
    ROLES.filter((role) => group.scenarios.some((s) => s.role === role) || group.requirements.some((r) => r.role === role)).map((role) => ({ group, role })),
  );
  if (suites.length === 0) suites = run.targets.map((t) => ({ group: groups[0], role: t.role }));
  const skippedMessages: (string | undefined)[] = [];
  const suiteOutputs: (string | undefined)[] = [];
  for (const { group, role } of suites) {
    const target = run.targets.find((t) => t.role === role);
    const spoken = group.info.targets.find((t) => t.role === role);
    const scenarios = group.scenarios.filter((s) => s.role === role);
    const name = suiteName(group, role);
    const suite = builder
      .testSuite()
      .name(name)
      .timestamp(junitTimestamp(run.startedAt))
      .time(wallClock);
    suite.property("spec", group.spec.name);
    if (target) {
      suite.property("target", target.name);
      // The version the target speaks of this suite's specification.
      const version = spoken?.version ?? (group.spec.id === "0355" ? target.protocolVersion : undefined);
      if (version) suite.property("protocolVersion", version);
      if (spoken?.namespace) suite.property("namespace", spoken.namespace);
      if (target.software) suite.property("software", target.software);
    }
    suite.property("suiteVersion", run.suiteVersion);
    if (run.interrupted) suite.property("interrupted", "true");
    const reqs = group.requirements.filter((r) => r.role === role);
    addRequirementProperties(suite, reqs);
    suiteOutputs.push(suiteOutput(group, reqs, run.partial));
    for (const s of scenarios) skippedMessages.push(addTestCase(suite.testCase(), s, run, options, name));
  }
  return finishXml(builder.build(), skippedMessages, suiteOutputs, wallClock);
}

export async function writeJunitReport(run: RunResult, path: string, options: JunitOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildJunitXml(run, { reportsDir: dirname(path), ...options }), "utf8");
}
