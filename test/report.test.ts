import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue, type Requirement } from "../src/catalogue/catalogue.js";
import { VERDICT_SEVERITY, type RequirementResult, type RunResult, type ScenarioResult } from "../src/runner/result.js";
import { aggregateRequirements, overallVerdict, requirementVerdict, summarize } from "../src/report/aggregate.js";
import { formatRequirementTable, formatScenarioLine, formatSummary } from "../src/report/console.js";
import { RESULTS_SCHEMA, writeJsonReport, type JsonSchema } from "../src/report/json.js";
import { badgeContent, BADGE_COLOURS, buildBadge } from "../src/report/badge.js";
import { compareWithExpected, readExpected, writeExpected } from "../src/report/expected.js";
import { buildHtmlReport } from "../src/report/html.js";
import { buildJunitXml, writeJunitReport } from "../src/report/junit.js";
import { buildMarkdownSummary } from "../src/report/markdown.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { loadSuite } from "../src/scenario/load.js";
import { childElements, parseXml, type Element } from "../src/xml/element.js";

const req = (id: string, level: Requirement["level"], section: string, anchor: string): Requirement => ({
  id,
  spec: "0355",
  level,
  section,
  sectionTitle: `section ${section}`,
  anchor,
  text: `text of ${id}`,
});

const CATALOGUE: Requirement[] = [
  req("SRV-FWD-01", "MUST", "B", "stanza_forward"),
  req("SRV-FWD-02", "MUST", "B", "stanza_forward"),
  req("SRV-REP-01", "MUST", "C", "stanza_forward"),
  req("SRV-REP-03", "MUST NOT", "C", "stanza_forward"),
  req("SRV-REP-04", "SHOULD", "C", "stanza_forward"),
  req("SRV-DSC-01", "MUST", "E", "disco"),
  req("SRV-DSC-07", "MUST", "E", "remaining_disco"),
  req("SRV-DSC-08", "MUST", "E", "remaining_disco"),
  req("SRV-CLI-01", "MAY", "F", "client_usecases"),
  req("ME-REP-01", "MUST", "G", "stanza_forward"),
];

const NOT_APPLICABLE = new Set(["SRV-DSC-07", "SRV-DSC-08"]);
const SECRET_MARKER = "TRANSCRIPT-ONLY-MARKER";

function scenario(partial: Partial<ScenarioResult> & Pick<ScenarioResult, "id" | "requirements" | "verdict">): ScenarioResult {
  return {
    title: `title of ${partial.id}`,
    role: "server",
    file: `suites/server/${partial.id}.yaml`,
    reason: "",
    notes: [],
    readings: {},
    durationMs: 123,
    transcript: [{ t: 0, actor: "juliet", direction: "out", data: `<iq id='${SECRET_MARKER}'/>` }],
    ...partial,
  };
}

const SCENARIOS: ScenarioResult[] = [
  scenario({ id: "srv-fwd-01-no-to", requirements: ["SRV-FWD-01", "SRV-FWD-02"], verdict: "pass" }),
  scenario({
    id: "srv-rep-03-wrong-id",
    requirements: ["SRV-REP-01", "SRV-REP-03", "SRV-REP-04"],
    verdict: "fail",
    reason: "at /iq@type: expected 'error', received 'result'",
    failedRequirement: "SRV-REP-03",
    evidence: { step: "expect juliet", line: 14, expected: "<iq type='error'/>", received: ["<iq type='result'/>"] },
    notes: ["target follows the lenient reading of SRV-REP-02"],
  }),
  scenario({ id: "srv-rep-01-basic", requirements: ["SRV-REP-01"], verdict: "pass" }),
  scenario({ id: "srv-fwd-02-lost", requirements: ["SRV-FWD-02"], verdict: "error", reason: "connection closed by target" }),
  scenario({ id: "srv-cli-01-client", requirements: ["SRV-CLI-01"], verdict: "not-supported", reason: "client mode not enabled" }),
  scenario({ id: "srv-dsc-07-remaining", requirements: ["SRV-DSC-07"], verdict: "not-applicable", reason: "target speaks 0.4.1" }),
  // Another role's scenario must not leak into the server's requirements.
  scenario({ id: "me-rep-01", role: "component", requirements: ["ME-REP-01", "SRV-FWD-01"], verdict: "fail", reason: "x" }),
];

const SERVER_SCENARIOS = SCENARIOS.filter((s) => s.role === "server");

function makeRun(): RunResult {
  return {
    suiteVersion: "0.1.0",
    startedAt: "2025-01-02T03:04:05.000Z",
    durationMs: 4321,
    targets: [{ role: "server", name: "Test server", protocolVersion: "0.5", software: "mock 1.0" }],
    interrupted: false,
    scenarios: SERVER_SCENARIOS,
    requirements: aggregateRequirements(SCENARIOS, CATALOGUE, "server", NOT_APPLICABLE),
  };
}

/** An ambiguous requirement, and a scenario that records the reading the target follows. */
const AMBIGUOUS = req("SRV-REP-07", "ambiguous", "C", "stanza_forward");
const READING_SCENARIO = scenario({
  id: "srv-rep-07-inner-error",
  requirements: ["SRV-REP-07"],
  verdict: "pass",
  readings: { "SRV-REP-07": "lenient" },
  notes: ["SRV-REP-07: the target follows the lenient reading (juliet received <iq type='error'>)."],
});

/** makeRun plus SRV-REP-07 (ambiguous, passing with the lenient reading), in catalogue order. */
function makeReadingRun(): RunResult {
  const catalogue = [...CATALOGUE];
  catalogue.splice(catalogue.findIndex((r) => r.id === "SRV-REP-04") + 1, 0, AMBIGUOUS);
  const scenarios = [...SERVER_SCENARIOS, READING_SCENARIO];
  return { ...makeRun(), scenarios, requirements: aggregateRequirements(scenarios, catalogue, "server", NOT_APPLICABLE) };
}

/** The requirements of makeRun that pass or do not apply (MUST: SRV-FWD-01, SRV-REP-01), and the erroring SHOULD. */
function compliantRequirements(): RequirementResult[] {
  return makeRun().requirements.filter((r) => ["SRV-FWD-01", "SRV-REP-01", "SRV-REP-04", "SRV-DSC-07"].includes(r.id));
}

/** A run whose only MUST gap is SRV-DSC-01, untested. */
function makeUntestedRun(): RunResult {
  const run = makeRun();
  const keep = new Set(["SRV-FWD-01", "SRV-REP-01", "SRV-DSC-01", "SRV-DSC-07"]);
  return { ...run, scenarios: run.scenarios.filter((s) => s.verdict !== "fail" && s.verdict !== "error"), requirements: run.requirements.filter((r) => keep.has(r.id)) };
}

describe("aggregateRequirements", () => {
  const reqs = aggregateRequirements(SCENARIOS, CATALOGUE, "server", NOT_APPLICABLE);
  const byId = new Map(reqs.map((r) => [r.id, r]));

  it("covers exactly the role's catalogue IDs, in catalogue order", () => {
    expect(reqs.map((r) => r.id)).toEqual(CATALOGUE.filter((r) => r.id.startsWith("SRV-")).map((r) => r.id));
    const me = aggregateRequirements(SCENARIOS, CATALOGUE, "component", new Set());
    expect(me.map((r) => [r.id, r.verdict, r.scenarios])).toEqual([["ME-REP-01", "fail", ["me-rep-01"]]]);
  });

  it("takes the worst verdict of the scenarios listing a requirement", () => {
    expect(byId.get("SRV-FWD-01")).toMatchObject({ verdict: "pass", scenarios: ["srv-fwd-01-no-to"] });
    expect(byId.get("SRV-FWD-02")).toMatchObject({ verdict: "error", scenarios: ["srv-fwd-01-no-to", "srv-fwd-02-lost"] });
    expect(byId.get("SRV-REP-03")).toMatchObject({ verdict: "fail", level: "MUST NOT", section: "C", anchor: "stanza_forward" });
  });

  it("does not count a scenario that failed on another requirement", () => {
    // srv-rep-03-wrong-id failed on SRV-REP-03, so it says nothing about SRV-REP-01, which another scenario passes.
    expect(byId.get("SRV-REP-01")).toMatchObject({ verdict: "pass", scenarios: ["srv-rep-03-wrong-id", "srv-rep-01-basic"] });
    // ...and when no scenario checked it, the requirement errors.
    expect(byId.get("SRV-REP-04")).toMatchObject({ verdict: "error", scenarios: ["srv-rep-03-wrong-id"] });
    expect(requirementVerdict("SRV-REP-04", SERVER_SCENARIOS, NOT_APPLICABLE)).toEqual({
      verdict: "error",
      reason: "only listed by scenarios that did not check it (srv-rep-03-wrong-id: at /iq@type: expected 'error', received 'result')",
    });
    // A scenario about SRV-REP-04 that failed on its prerequisite SRV-REP-01: blocked.
    const blocked = scenario({ id: "srv-rep-04-x", requirements: ["SRV-REP-04", "SRV-REP-01"], verdict: "fail", failedRequirement: "SRV-REP-01", reason: "r" });
    expect(requirementVerdict("SRV-REP-04", [blocked], NOT_APPLICABLE)).toEqual({ verdict: "error", reason: "blocked by failure of SRV-REP-01" });
  });

  it("marks unlisted requirements untested, not-supported when the target lacks the feature, or not-applicable", () => {
    expect(byId.get("SRV-DSC-01")).toMatchObject({ verdict: "untested", reason: "no scenario verifies it", scenarios: [] });
    expect(byId.get("SRV-DSC-08")).toMatchObject({ verdict: "not-applicable", scenarios: [] });
    expect(byId.get("SRV-DSC-07")).toMatchObject({ verdict: "not-applicable", scenarios: ["srv-dsc-07-remaining"] });
    expect(byId.get("SRV-CLI-01")?.verdict).toBe("not-supported");
    const unsupported = (r: Requirement) => (r.section === "E" ? "the target does not declare disco" : undefined);
    const withFeatures = aggregateRequirements(SCENARIOS, CATALOGUE, "server", NOT_APPLICABLE, unsupported);
    expect(withFeatures.find((r) => r.id === "SRV-DSC-01")).toMatchObject({ verdict: "not-supported", reason: "the target does not declare disco" });
  });

  it("aggregates the readings of an ambiguous requirement's scenarios", () => {
    const reqs = makeReadingRun().requirements;
    expect(reqs.find((r) => r.id === AMBIGUOUS.id)).toMatchObject({ verdict: "pass", reading: "lenient", scenarios: [READING_SCENARIO.id] });
    expect(reqs.find((r) => r.id === "SRV-REP-01")).not.toHaveProperty("reading");
    const other = scenario({ id: "srv-rep-07-other", requirements: [AMBIGUOUS.id], verdict: "pass", readings: { [AMBIGUOUS.id]: "strict" } });
    expect(requirementVerdict(AMBIGUOUS.id, [READING_SCENARIO, other], new Set())).toMatchObject({ verdict: "pass", reading: "lenient + strict" });
  });

  it("covers every requirement of the real catalogue for each role", () => {
    const all = loadCatalogue();
    const server = aggregateRequirements([], all, "server", new Set());
    const component = aggregateRequirements([], all, "component", new Set());
    expect(server.length + component.length).toBe(all.length);
    expect(new Set(server.map((r) => r.section))).toEqual(new Set(["A", "B", "C", "D", "E", "F"]));
    expect(new Set(component.map((r) => r.section))).toEqual(new Set(["G", "H"]));
    // Nothing ran: every requirement that applies is untested, none is "not supported".
    expect(new Set([...server, ...component].map((r) => r.verdict))).toEqual(new Set(["untested"]));
  });
});

describe("summarize / overallVerdict", () => {
  const reqs = makeRun().requirements;

  it("counts per level group, leaving not-applicable out", () => {
    const s = summarize(reqs);
    expect(s.MUST).toEqual({
      passed: 2,
      total: 5,
      failing: ["SRV-REP-03"],
      errored: ["SRV-FWD-02"],
      untested: ["SRV-DSC-01"],
      notSupported: [],
    });
    expect(s.SHOULD).toMatchObject({ passed: 0, total: 1, errored: ["SRV-REP-04"] });
    expect(s.MAY).toMatchObject({ passed: 0, total: 1, notSupported: ["SRV-CLI-01"] });
    expect(s.implied.total).toBe(0);
  });

  it("is not compliant when a MUST fails or errors, and names them (and the untested ones)", () => {
    expect(overallVerdict(reqs)).toEqual({
      compliant: false,
      failingMust: ["SRV-REP-03"],
      erroredMust: ["SRV-FWD-02"],
      untestedMust: ["SRV-DSC-01"],
      line: "not compliant: MUST requirements failing: SRV-REP-03; errored: SRV-FWD-02; untested: SRV-DSC-01",
    });
    const onlyErrored = reqs.filter((r) => r.id !== "SRV-REP-03" && r.id !== "SRV-DSC-01");
    expect(overallVerdict(onlyErrored).line).toBe("not compliant: MUST requirements errored: SRV-FWD-02");
  });

  it("is incomplete, never compliant, when a MUST is untested", () => {
    const untested = compliantRequirements().concat(reqs.filter((r) => r.id === "SRV-DSC-01"));
    expect(overallVerdict(untested)).toMatchObject({
      compliant: false,
      failingMust: [],
      erroredMust: [],
      untestedMust: ["SRV-DSC-01"],
      line: "incomplete: 1 MUST requirement(s) have no scenario, so compliance cannot be claimed (untested: SRV-DSC-01)",
    });
  });

  it("is compliant when every MUST passes; failing SHOULDs do not matter", () => {
    const ok = compliantRequirements();
    expect(overallVerdict(ok)).toMatchObject({ compliant: true, line: "compliant: all 2 MUST requirements pass" });
    const withUnsupported = [...ok, { ...reqs.find((r) => r.id === "SRV-DSC-01")!, verdict: "not-supported" as const }];
    expect(overallVerdict(withUnsupported).line).toBe("compliant: all 2 MUST requirements pass (1 not supported: SRV-DSC-01)");
  });
});

describe("console", () => {
  const [pass, fail, , error, notSupported, notApplicable] = SERVER_SCENARIOS;

  it("formats one line per scenario", () => {
    const plain = { color: false };
    expect(formatScenarioLine(pass, plain)).toBe("  PASS  srv-fwd-01-no-to  (123 ms)");
    expect(formatScenarioLine(fail, plain)).toBe(
      "  FAIL  srv-rep-03-wrong-id  SRV-REP-03: at /iq@type: expected 'error', received 'result'",
    );
    expect(formatScenarioLine(error, plain)).toBe("  ERROR srv-fwd-02-lost  connection closed by target");
    expect(formatScenarioLine(notSupported, plain)).toBe("  SKIP  srv-cli-01-client  client mode not enabled");
    expect(formatScenarioLine(notApplicable, plain)).toBe("  N/A   srv-dsc-07-remaining  target speaks 0.4.1");
    expect(formatScenarioLine(fail, { color: true })).toContain("\x1b[31mFAIL ");
  });

  it("formats the requirement table grouped by section with aligned columns", () => {
    const table = formatRequirementTable(makeRun().requirements, { color: false, scenarios: SERVER_SCENARIOS });
    const lines = table.split("\n");
    expect(lines[0]).toBe("== XEP-0355 Namespace Delegation 0.5 — https://xmpp.org/extensions/xep-0355.html");
    expect(lines[2]).toBe("B. Server — forwarding");
    expect(lines).toContain("C. Server — handling the ME's reply");
    const rows = lines.filter((l) => l.startsWith("  SRV-"));
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r.indexOf("scenario")))).toHaveProperty("size", 1);
    expect(rows.find((r) => r.includes("SRV-REP-04"))).toMatch(/ERROR\s+1 scenario\s+only listed by scenarios that did not check it/);
    expect(rows.find((r) => r.includes("SRV-DSC-01"))).toMatch(/^  SRV-DSC-01\s+MUST\s+UNTESTED\s+0 scenarios\s+no scenario verifies it$/);
  });

  it("shows the reading of an ambiguous requirement in its row", () => {
    const run = makeReadingRun();
    const rows = formatRequirementTable(run.requirements, { color: false, scenarios: run.scenarios }).split("\n");
    expect(rows.find((r) => r.includes("SRV-REP-07"))).toMatch(/^  SRV-REP-07\s+ambiguous\s+PASS\s+1 scenario\s+reading: lenient$/);
    const failed = { ...run.requirements.find((r) => r.id === "SRV-REP-07")!, verdict: "fail" as const, reason: "SRV-REP-07: x" };
    expect(formatRequirementTable([failed], { color: false, scenarios: [] })).toMatch(/FAIL\s+1 scenario\s+reading: lenient  x$/);
    expect(formatRequirementTable(run.requirements, { color: true })).toContain("\x1b[91mUNTESTED\x1b[0m");
  });

  it("summarizes level counts, untested included, and the overall verdict", () => {
    const text = formatSummary(makeRun());
    expect(text).toMatch(/MUST\s+2\/5\s+pass\s+failing: SRV-REP-03\s+errored: SRV-FWD-02\s+untested: 1$/m);
    expect(text.split("\n").at(-1)).toBe("not compliant: MUST requirements failing: SRV-REP-03; errored: SRV-FWD-02; untested: SRV-DSC-01");
    const incomplete = formatSummary({ ...makeRun(), requirements: [...compliantRequirements(), ...makeRun().requirements.filter((r) => r.id === "SRV-DSC-01")] });
    expect(incomplete.split("\n").at(-1)).toMatch(/^incomplete: 1 MUST requirement\(s\) have no scenario/);
  });
});

/** Validates the subset of JSON Schema that RESULTS_SCHEMA uses; refuses any other keyword. */
function validate(schema: JsonSchema, value: unknown, path = "$", root: JsonSchema = schema): string[] {
  const known = new Set(["$schema", "$id", "$ref", "$defs", "title", "description", "type", "enum", "required", "properties", "additionalProperties", "items", "minimum"]);
  for (const key of Object.keys(schema)) if (!known.has(key)) throw new Error(`validator does not support '${key}'`);
  if (schema.$ref) {
    const name = /^#\/\$defs\/(\w+)$/.exec(schema.$ref)?.[1];
    const target = name ? root.$defs?.[name] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return validate(target, value, path, root);
  }
  const errors: string[] = [];
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  const typeOk: Record<NonNullable<JsonSchema["type"]>, boolean> = {
    object: isObject,
    array: Array.isArray(value),
    string: typeof value === "string",
    number: typeof value === "number" && Number.isFinite(value),
    integer: Number.isInteger(value),
    boolean: typeof value === "boolean",
  };
  if (schema.type && !typeOk[schema.type]) return [`${path}: expected ${schema.type}`];
  if (schema.enum && !schema.enum.includes(value as string)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
  if (schema.items && Array.isArray(value)) value.forEach((v, i) => errors.push(...validate(schema.items!, v, `${path}[${i}]`, root)));
  if (isObject) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) errors.push(...validate(sub, v, `${path}.${key}`, root));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
      else if (schema.additionalProperties) errors.push(...validate(schema.additionalProperties, v, `${path}.${key}`, root));
    }
  }
  return errors;
}

describe("reports on disk", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xep0355-report-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes JSON that round-trips and validates against RESULTS_SCHEMA", async () => {
    const run = makeRun();
    const path = join(dir, "nested", "results.json");
    await writeJsonReport(run, path);
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    expect(parsed).toEqual(run);
    expect(validate(RESULTS_SCHEMA, parsed)).toEqual([]);
    expect(JSON.stringify(parsed)).toContain(SECRET_MARKER);

    const broken = structuredClone(run) as unknown as { scenarios: Record<string, unknown>[]; requirements: Record<string, unknown>[] };
    broken.scenarios[0].verdict = "passed";
    delete broken.requirements[0].level;
    expect(validate(RESULTS_SCHEMA, broken)).toEqual(['$.scenarios[0].verdict: "passed" not in enum', "$.requirements[0]: missing level"]);
  });

  it("writes the readings and the untested verdict into results.json, within the schema", async () => {
    const run = makeReadingRun();
    const path = join(dir, "readings", "results.json");
    await writeJsonReport(run, path);
    const parsed = JSON.parse(await readFile(path, "utf8")) as RunResult;
    expect(validate(RESULTS_SCHEMA, parsed)).toEqual([]);
    expect(parsed.requirements.find((r) => r.id === "SRV-REP-07")).toMatchObject({ level: "ambiguous", verdict: "pass", reading: "lenient" });
    expect(parsed.requirements.find((r) => r.id === "SRV-DSC-01")).toMatchObject({ verdict: "untested", reason: "no scenario verifies it" });
    expect(parsed.scenarios.find((s) => s.id === READING_SCENARIO.id)?.readings).toEqual({ "SRV-REP-07": "lenient" });
    expect(parsed.scenarios.find((s) => s.id === "srv-fwd-01-no-to")?.readings).toEqual({});

    const broken = structuredClone(parsed) as unknown as { scenarios: Record<string, unknown>[]; requirements: Record<string, unknown>[] };
    broken.scenarios[0].readings = { "SRV-REP-07": 1 };
    delete broken.scenarios[1].readings;
    broken.requirements[0].reading = ["lenient"];
    expect(validate(RESULTS_SCHEMA, broken)).toEqual([
      '$.scenarios[0].readings.SRV-REP-07: expected string',
      "$.scenarios[1]: missing readings",
      "$.requirements[0].reading: expected string",
    ]);
  });

  it("keeps the schema's enums in step with the result model and the catalogue", () => {
    const defs = RESULTS_SCHEMA.$defs!;
    expect([...(defs.verdict.enum ?? [])].sort()).toEqual(Object.keys(VERDICT_SEVERITY).sort());
    for (const r of loadCatalogue()) expect(defs.level.enum).toContain(r.level);
  });

  it("docs/results.schema.json is generated from RESULTS_SCHEMA", async () => {
    // Fails on any mismatch; `npx vitest run test/report.test.ts -u` regenerates the file.
    await expect(JSON.stringify(RESULTS_SCHEMA, null, 2) + "\n").toMatchFileSnapshot("../docs/results.schema.json");
  });

  it("writes JUnit XML with one suite per role and the right outcome counts", async () => {
    const path = join(dir, "junit.xml");
    const run = makeRun();
    await writeJunitReport(run, path, { transcriptPath: (s) => join(dir, "transcripts", `${s.id}.log`) });
    const xml = await readFile(path, "utf8");
    expect(xml).not.toContain(SECRET_MARKER);
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    // The Jenkins schema has no testsuites@skipped; times are the run's wall clock, not sums of concurrent scenarios.
    expect(root.attrs.skipped).toBeUndefined();
    expect(root.attrs).toMatchObject({ tests: "6", failures: "1", errors: "1", time: String(run.durationMs / 1000) });
    const suites = childElements(root);
    expect(suites.map((s) => s.attrs.name)).toEqual(["xep0355.server"]);
    const suite = suites[0];
    expect(suite.attrs).toMatchObject({ tests: "6", failures: "1", errors: "1", skipped: "2", time: String(run.durationMs / 1000) });

    const cases = suite.getChildren("testcase");
    const byId = (id: string): Element => {
      const found = cases.find((c) => String(c.attrs.name).startsWith(`${id} — `));
      if (!found) throw new Error(`no testcase ${id}`);
      return found;
    };

    const failed = byId("srv-rep-03-wrong-id");
    // Only what the schema allows on a test case: name, classname, time; no file, no <properties>.
    expect(failed.attrs).toEqual({ classname: "xep0355.server.SRV-REP", name: "srv-rep-03-wrong-id — title of srv-rep-03-wrong-id", time: "0.123" });
    for (const tc of cases) expect(tc.getChild("properties"), String(tc.attrs.name)).toBeUndefined();
    const failure = failed.getChild("failure");
    expect(failure?.attrs.message).toBe("SRV-REP-03: at /iq@type: expected 'error', received 'result'");
    expect(failure?.getText()).toContain("received:\n<iq type='result'/>");
    // What the properties said, in the test case's <system-out>; the transcript relative to the reports folder.
    expect(failed.getChildText("system-out")).toBe(
      [
        "requirements: SRV-REP-01,SRV-REP-03,SRV-REP-04",
        "level: MUST",
        "section: C. Server — handling the ME's reply",
        "spec: https://xmpp.org/extensions/xep-0355.html#stanza_forward",
        "scenario file: suites/server/srv-rep-03-wrong-id.yaml",
        "transcript: transcripts/srv-rep-03-wrong-id.log",
        "note: target follows the lenient reading of SRV-REP-02",
        "[[ATTACHMENT|transcripts/srv-rep-03-wrong-id.log]]",
      ].join("\n"),
    );

    expect(byId("srv-fwd-02-lost").getChild("error")?.attrs.message).toBe("connection closed by target");
    // <skipped> takes no attribute in the schema: the reason is its text.
    expect(byId("srv-cli-01-client").getChild("skipped")?.attrs).toEqual({});
    expect(byId("srv-cli-01-client").getChildText("skipped")).toBe("client mode not enabled");
    expect(byId("srv-dsc-07-remaining").getChildText("skipped")).toBe("not applicable: target speaks 0.4.1");
    expect(byId("srv-fwd-01-no-to").getChild("skipped")).toBeUndefined();
  });

  it("JUnit transcript paths: relative to the folder of junit.xml, whether given absolute or relative to the working directory", () => {
    const run = makeRun();
    const out = (transcriptPath: (s: ScenarioResult) => string, reportsDir?: string) =>
      childElements(childElements(parseXml(buildJunitXml(run, { transcriptPath, reportsDir })))[0])
        .filter((c) => c.name === "testcase")
        .map((tc) => /\[\[ATTACHMENT\|(.*)\]\]/.exec(tc.getChildText("system-out") ?? "")?.[1]);
    const absolute = out((s) => join(dir, "out", "transcripts", `${s.id}.log`), join(dir, "out"));
    expect(absolute[0]).toBe("transcripts/srv-fwd-01-no-to.log");
    const fromCwd = out((s) => join("reports", "x", "transcripts", `${s.id}.log`), "reports/x");
    expect(fromCwd[0]).toBe("transcripts/srv-fwd-01-no-to.log");
    // Without a reports folder (buildJunitXml alone) the path is written as given.
    expect(out((s) => `t/${s.id}.log`)[0]).toBe("t/srv-fwd-01-no-to.log");
  });
});

describe("readings and untested requirements in every report", () => {
  const props = (el: Element | undefined): Record<string, string> =>
    Object.fromEntries((el?.getChild("properties")?.getChildren("property") ?? []).map((p) => [String(p.attrs.name), String(p.attrs.value)]));

  it("summary.md lists the ambiguous readings and the untested requirements, and counts untested per level", () => {
    const md = buildMarkdownSummary(makeReadingRun());
    expect(md).toContain("| level | pass | failing | error | untested | not supported |");
    expect(md).toContain("| MUST ❌ | 2/5 | 1 | 1 | 1 | 0 |");
    expect(md).toMatch(/### Untested \(1\)\n\n- \*\*SRV-DSC-01\*\* \(MUST\).*: no scenario verifies it$/m);
    expect(md).toMatch(/### Ambiguous readings \(1\)\n\n.*\n\n- \*\*SRV-REP-07\*\* \(ambiguous\).*: \*\*lenient\*\* — `srv-rep-07-inner-error`$/m);
    expect(buildMarkdownSummary(makeRun())).not.toContain("Ambiguous readings");
  });

  it("summary.md and badge.svg call an untested MUST incomplete, never compliant or green", () => {
    const run = makeUntestedRun();
    expect(buildMarkdownSummary(run)).toMatch(/^## ⚠️ XEP-0355 conformance: incomplete \(MUST requirements untested\)\n\n> incomplete: 1 MUST requirement\(s\)/);
    const badge = badgeContent(run);
    expect(badge).toMatchObject({ state: "untested", colour: BADGE_COLOURS.grey, message: "incomplete · MUST 2/3" });
    expect(buildBadge(run)).not.toContain(BADGE_COLOURS.green);
    // Without the untested MUST the same run is compliant and green.
    const compliant = { ...run, requirements: run.requirements.filter((r) => r.id !== "SRV-DSC-01") };
    expect(badgeContent(compliant)).toMatchObject({ state: "compliant", colour: BADGE_COLOURS.green, message: "MUST 2/2" });
    expect(buildMarkdownSummary(compliant)).toMatch(/^## ✅ XEP-0355 conformance: compliant/);
  });

  it("junit.xml puts readings and untested requirements in suite properties and system-out, not in test cases", () => {
    const root = parseXml(buildJunitXml(makeReadingRun()));
    const suite = childElements(root)[0];
    expect(props(suite)).toMatchObject({ "reading.SRV-REP-07": "lenient", untested: "SRV-DSC-01" });
    const children = childElements(suite).map((c) => c.name);
    expect(children[0]).toBe("properties");
    expect(children.at(-1)).toBe("system-out");
    expect(children.filter((n) => n === "testcase")).toHaveLength(7);
    const out = suite.getChildText("system-out") ?? "";
    expect(out).toContain("readings of ambiguous requirements (either reading is accepted):\n  SRV-REP-07: lenient");
    expect(out).toContain("untested (they apply, but no scenario verifies them):\n  SRV-DSC-01 (MUST)");
    expect(out.split("\n")[0]).toMatch(/^XEP-0355: not compliant: /);
    const tc = suite.getChildren("testcase").find((c) => String(c.attrs.name).startsWith(`${READING_SCENARIO.id} — `));
    expect(tc?.getChild("properties")).toBeUndefined();
    expect(tc?.getChildText("system-out")).toContain("readings: SRV-REP-07=lenient");
    // A run without readings or untested requirements adds neither property.
    const plain = childElements(parseXml(buildJunitXml(makeUntestedRun())))[0];
    expect(Object.keys(props(plain)).filter((k) => k.startsWith("reading."))).toEqual([]);
  });

  it("index.html shows the reading on the requirement row and the scenario, and styles untested", () => {
    const html = buildHtmlReport(makeReadingRun());
    const row = /<tr id="req-SRV-REP-07"[^>]*>[\s\S]*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(row).toContain('data-reading="lenient"');
    expect(row).toContain("reading: <strong>lenient</strong>");
    const scn = /<details class="scenario[^"]*" id="scn-srv-rep-07-inner-error"[\s\S]*?<\/details>/.exec(html)?.[0] ?? "";
    expect(scn).toMatch(/<span class="reading-chip" data-requirement="SRV-REP-07" data-reading="lenient">.*SRV-REP-07<\/a>: <strong>lenient<\/strong>/);
    const untested = /<tr id="req-SRV-DSC-01"[^>]*>[\s\S]*?<\/tr>/.exec(html)?.[0] ?? "";
    expect(untested).toContain('class="req row-untested" data-verdict="untested"');
    expect(untested).toContain('<span class="badge v-untested">UNTESTED</span>');
    expect(html).toMatch(/\.badge\.v-untested \{/);
    expect(html).toContain("body.problems-only tr.req:not(.row-fail):not(.row-error):not(.row-untested)");
    expect(html).toContain('<span class="c-untested">1 untested</span>');
    // Problems: one failing, two erroring, one untested requirement.
    expect(html).toContain('Problems only <span class="pill">4</span>');

    const incomplete = buildHtmlReport(makeUntestedRun());
    expect(incomplete).toContain('<div class="verdict verdict-untested" id="overall-verdict">Incomplete</div>');
    expect(incomplete).toMatch(/<title>XEP-0355 conformance — incomplete — mock 1.0<\/title>/);
  });

  it("the expected-verdicts file pins readings; a change of reading is a difference; old files still load", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xep0355-expected-"));
    try {
      const run = makeReadingRun();
      const path = join(dir, "expected.json");
      await writeExpected(run, "Test server", path);
      const pinned = await readExpected(path);
      expect(pinned.readings).toEqual({ "SRV-REP-07": "lenient" });
      expect(compareWithExpected(run, pinned)).toEqual([]);

      const strict = structuredClone(run);
      strict.requirements.find((r) => r.id === "SRV-REP-07")!.reading = "strict";
      expect(compareWithExpected(strict, pinned)).toEqual(["SRV-REP-07: expected the lenient reading, got strict"]);
      const none = structuredClone(run);
      delete none.requirements.find((r) => r.id === "SRV-REP-07")!.reading;
      expect(compareWithExpected(none, pinned)).toEqual(["SRV-REP-07: expected the lenient reading, but none was recorded (pass)"]);
      expect(compareWithExpected(run, { ...pinned, readings: {} })).toEqual(["SRV-REP-07: reading lenient not in the expected file"]);

      // A file from before readings: loadable, verdicts compared, readings not.
      const old = join(dir, "old.json");
      await writeFile(old, JSON.stringify({ target: "Test server", verdicts: pinned.verdicts }));
      const loaded = await readExpected(old);
      expect(loaded.readings).toBeUndefined();
      expect(compareWithExpected(strict, loaded)).toEqual([]);

      await writeFile(old, JSON.stringify({ target: "x", verdicts: {}, readings: { "SRV-REP-07": 1 } }));
      await expect(readExpected(old)).rejects.toThrow(/'readings' must map requirement IDs to reading names/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the expected-verdicts file pins the requirement each failure is blamed on", () => {
  it("writes it for failing scenarios, and a failure blamed elsewhere is a difference; files without it compare verdicts only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xep0355-blamed-"));
    try {
      const run = makeRun();
      const path = join(dir, "expected.json");
      await writeExpected(run, "Test server", path);
      const pinned = await readExpected(path);
      expect(pinned.blamed).toEqual({ "srv-rep-03-wrong-id": "SRV-REP-03" });
      expect(compareWithExpected(run, pinned)).toEqual([]);

      const moved = structuredClone(run);
      moved.scenarios.find((s) => s.id === "srv-rep-03-wrong-id")!.failedRequirement = "SRV-REP-01";
      expect(compareWithExpected(moved, pinned)).toEqual([
        "srv-rep-03-wrong-id: expected a failure of SRV-REP-03, got one of SRV-REP-01 (at /iq@type: expected 'error', received 'result')",
      ]);
      expect(compareWithExpected(moved, { ...pinned, blamed: undefined })).toEqual([]);

      await writeFile(path, JSON.stringify({ target: "x", verdicts: {}, blamed: { a: 1 } }));
      await expect(readExpected(path)).rejects.toThrow(/'blamed' must map scenario IDs to requirement IDs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("--strict against the embedded mock server", () => {
  // With keepGrants off the mock does not keep client-mode grants across sessions: SRV-CLI-10 (#rules 1) is not supported.
  const runOnce = async (strict: boolean): Promise<RunResult> => {
    const scenarios = (await loadSuite("server")).filter((s) => s.id === "srv-adv-01-advertisement" || s.id === "srv-cli-10-kept-grants-configurable");
    expect(scenarios).toHaveLength(2);
    const driver = new MockServerDriver({ version: 2, faults: [], keepGrants: false });
    return (await executeRun([{ driver, scenarios }], { concurrency: 1, scenarioDeadlineMs: 20_000, strict })).run;
  };

  it("turns not-supported requirements into failures; untested stays untested; neither run is compliant", async () => {
    const [lenient, strict] = [await runOnce(false), await runOnce(true)];
    const verdict = (run: RunResult, id: string) => run.requirements.find((r) => r.id === id)?.verdict;
    expect(verdict(lenient, "SRV-CLI-10")).toBe("not-supported");
    expect(verdict(strict, "SRV-CLI-10")).toBe("fail");
    expect(strict.requirements.find((r) => r.id === "SRV-CLI-10")?.reason).toMatch(/not supported, and --strict counts that as failure: /);
    expect(verdict(lenient, "SRV-ADV-01")).toBe("pass");
    const untested = lenient.requirements.filter((r) => r.verdict === "untested").map((r) => r.id);
    expect(untested.length).toBeGreaterThan(0);
    for (const id of untested) expect(verdict(strict, id), id).toBe("untested");

    const [o1, o2] = [overallVerdict(lenient.requirements), overallVerdict(strict.requirements)];
    expect(o1).toMatchObject({ compliant: false, failingMust: [] });
    expect(o1.line).toMatch(/^incomplete: /);
    expect(o2.compliant).toBe(false);
    expect(o2.failingMust).toContain("SRV-CLI-10");
    expect(o2.line).toMatch(/^not compliant: MUST requirements failing: .*SRV-CLI-10/);
    expect(badgeContent(lenient).state).toBe("untested");
    expect(badgeContent(strict)).toMatchObject({ state: "failing", colour: BADGE_COLOURS.red });
    expect(formatRequirementTable(strict.requirements, { color: false, scenarios: strict.scenarios })).toMatch(
      /SRV-CLI-10\s+MUST\s+FAIL\s+1 scenario \s+not supported, and --strict counts that as failure/,
    );
  });
});
