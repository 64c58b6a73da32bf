import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue, type Requirement } from "../src/catalogue/catalogue.js";
import { VERDICT_SEVERITY, type RunResult, type ScenarioResult } from "../src/runner/result.js";
import { aggregateRequirements, overallVerdict, requirementVerdict, summarize } from "../src/report/aggregate.js";
import { formatRequirementTable, formatScenarioLine, formatSummary } from "../src/report/console.js";
import { RESULTS_SCHEMA, writeJsonReport, type JsonSchema } from "../src/report/json.js";
import { writeJunitReport } from "../src/report/junit.js";
import { childElements, parseXml, type Element } from "../src/xml/element.js";

const req = (id: string, level: Requirement["level"], section: string, anchor: string): Requirement => ({
  id,
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
  scenario({ id: "me-rep-01", role: "component", requirements: ["SRV-FWD-01", "ME-REP-01"], verdict: "fail", reason: "x" }),
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
    // ...and when no other scenario reaches it, the requirement errors as blocked.
    expect(byId.get("SRV-REP-04")).toMatchObject({ verdict: "error", scenarios: ["srv-rep-03-wrong-id"] });
    expect(requirementVerdict("SRV-REP-04", SERVER_SCENARIOS, NOT_APPLICABLE)).toEqual({
      verdict: "error",
      reason: "blocked by failure of SRV-REP-03",
    });
  });

  it("marks unlisted requirements not-supported, or not-applicable when declared so", () => {
    expect(byId.get("SRV-DSC-01")).toMatchObject({ verdict: "not-supported", scenarios: [] });
    expect(byId.get("SRV-DSC-08")).toMatchObject({ verdict: "not-applicable", scenarios: [] });
    expect(byId.get("SRV-DSC-07")).toMatchObject({ verdict: "not-applicable", scenarios: ["srv-dsc-07-remaining"] });
    expect(byId.get("SRV-CLI-01")?.verdict).toBe("not-supported");
  });

  it("covers every requirement of the real catalogue for each role", () => {
    const all = loadCatalogue();
    const server = aggregateRequirements([], all, "server", new Set());
    const component = aggregateRequirements([], all, "component", new Set());
    expect(server.length + component.length).toBe(all.length);
    expect(new Set(server.map((r) => r.section))).toEqual(new Set(["A", "B", "C", "D", "E", "F"]));
    expect(new Set(component.map((r) => r.section))).toEqual(new Set(["G"]));
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
      notSupported: ["SRV-DSC-01"],
    });
    expect(s.SHOULD).toMatchObject({ passed: 0, total: 1, errored: ["SRV-REP-04"] });
    expect(s.MAY).toMatchObject({ passed: 0, total: 1, notSupported: ["SRV-CLI-01"] });
    expect(s.implied.total).toBe(0);
  });

  it("is not compliant when a MUST fails or errors, and names them", () => {
    expect(overallVerdict(reqs)).toEqual({
      compliant: false,
      failingMust: ["SRV-REP-03"],
      erroredMust: ["SRV-FWD-02"],
      line: "not compliant: MUST requirements failing: SRV-REP-03; errored: SRV-FWD-02",
    });
    const onlyErrored = reqs.filter((r) => r.id !== "SRV-REP-03");
    expect(overallVerdict(onlyErrored).line).toBe("not compliant: MUST requirements errored: SRV-FWD-02");
  });

  it("is compliant when every MUST passes; failing SHOULDs do not matter", () => {
    const ok = reqs.filter((r) => ["SRV-FWD-01", "SRV-REP-01", "SRV-REP-04", "SRV-DSC-07"].includes(r.id));
    expect(overallVerdict(ok)).toMatchObject({ compliant: true, line: "compliant: all 2 MUST requirements pass" });
    const withUnsupported = [...ok, ...reqs.filter((r) => r.id === "SRV-DSC-01")];
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
    expect(lines[0]).toBe("B. Server — forwarding");
    expect(lines).toContain("C. Server — handling the ME's reply");
    const rows = lines.filter((l) => l.startsWith("  SRV-"));
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r.indexOf("scenario")))).toHaveProperty("size", 1);
    expect(rows.find((r) => r.includes("SRV-REP-04"))).toMatch(/ERROR\s+1 scenario\s+blocked by failure of SRV-REP-03$/);
  });

  it("summarizes level counts and the overall verdict", () => {
    const text = formatSummary(makeRun());
    expect(text).toMatch(/MUST\s+2\/5\s+pass\s+failing: SRV-REP-03\s+errored: SRV-FWD-02/);
    expect(text.split("\n").at(-1)).toBe("not compliant: MUST requirements failing: SRV-REP-03; errored: SRV-FWD-02");
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
    await writeJunitReport(makeRun(), path, { transcriptPath: (s) => `transcripts/${s.id}.log` });
    const xml = await readFile(path, "utf8");
    expect(xml).not.toContain(SECRET_MARKER);
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    const suites = childElements(root);
    expect(suites.map((s) => s.attrs.name)).toEqual(["xep0355.server"]);
    const suite = suites[0];
    expect(suite.attrs).toMatchObject({ tests: "6", failures: "1", errors: "1", skipped: "2" });

    const cases = suite.getChildren("testcase");
    const byId = (id: string): Element => {
      const found = cases.find((c) => String(c.attrs.name).startsWith(`${id} — `));
      if (!found) throw new Error(`no testcase ${id}`);
      return found;
    };
    const props = (tc: Element): Record<string, string> =>
      Object.fromEntries((tc.getChild("properties")?.getChildren("property") ?? []).map((p) => [p.attrs.name, p.attrs.value]));

    const failed = byId("srv-rep-03-wrong-id");
    expect(failed.attrs).toMatchObject({ classname: "xep0355.server.SRV-REP", name: "srv-rep-03-wrong-id — title of srv-rep-03-wrong-id", time: "0.123" });
    expect(props(failed)).toEqual({
      requirements: "SRV-REP-01,SRV-REP-03,SRV-REP-04",
      level: "MUST",
      anchor: "https://xmpp.org/extensions/xep-0355.html#stanza_forward",
      section: "C. Server — handling the ME's reply",
      transcript: "transcripts/srv-rep-03-wrong-id.log",
    });
    const failure = failed.getChild("failure");
    expect(failure?.attrs.message).toBe("SRV-REP-03: at /iq@type: expected 'error', received 'result'");
    expect(failure?.getText()).toContain("received:\n<iq type='result'/>");
    expect(failed.getChildText("system-out")).toContain("[[ATTACHMENT|transcripts/srv-rep-03-wrong-id.log]]");

    expect(byId("srv-fwd-02-lost").getChild("error")?.attrs.message).toBe("connection closed by target");
    expect(byId("srv-cli-01-client").getChild("skipped")?.attrs.message).toBe("client mode not enabled");
    expect(byId("srv-dsc-07-remaining").getChild("skipped")?.attrs.message).toBe("not applicable: target speaks 0.4.1");
    expect(byId("srv-fwd-01-no-to").getChild("skipped")).toBeUndefined();
  });
});
