import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadAllCatalogues, sectionNeed, sectionTitle } from "../src/catalogue/catalogue.js";
import { listCommand } from "../src/cli/list-command.js";
import { aggregateRequirements } from "../src/report/aggregate.js";
import { badgeContent, BADGE_COLOURS, buildBadge } from "../src/report/badge.js";
import { runSpecs, specGroups } from "../src/report/by-spec.js";
import { formatRequirementTable, formatSummary } from "../src/report/console.js";
import { buildHtmlReport } from "../src/report/html.js";
import { RESULTS_SCHEMA } from "../src/report/json.js";
import { buildJunitXml } from "../src/report/junit.js";
import { buildMarkdownSummary } from "../src/report/markdown.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { executeRun } from "../src/runner/execute.js";
import type { RunResult, ScenarioResult } from "../src/runner/result.js";
import { loadSuite } from "../src/scenario/load.js";
import { childElements, parseXml, type Element } from "../src/xml/element.js";

/**
 * Every report groups by specification (src/report/by-spec.ts): a run of both XEPs shows two groups,
 * each with its own heading, level counts, verdict, section titles from its own catalogue and links
 * into its own XEP; a run of one (--spec 0355) shows only that one.
 */

function scenario(partial: Partial<ScenarioResult> & Pick<ScenarioResult, "id" | "requirements" | "verdict">): ScenarioResult {
  return { title: `title of ${partial.id}`, role: "server", file: `suites/server/${partial.id}.scenario`, reason: "", notes: [], readings: {}, durationMs: 5, transcript: [], ...partial };
}

/** Both catalogues, server role: SRV-FWD-01 passes, PRV-IQ-03 fails, everything else untested. */
function bothSpecsRun(): RunResult {
  const scenarios = [
    scenario({ id: "srv-fwd-01-no-to", requirements: ["SRV-FWD-01"], verdict: "pass" }),
    scenario({ id: "prv-iq-03-type-none", requirements: ["PRV-IQ-03"], verdict: "fail", failedRequirement: "PRV-IQ-03", reason: "the privileged IQ was executed" }),
  ];
  return {
    suiteVersion: "0.1.0",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1000,
    targets: [{ role: "server", name: "t", protocolVersion: "0.5", software: "mock", specVersions: { "0355": "0.5", "0356": "0.3" } }],
    interrupted: false,
    specs: runSpecs(["0356", "0355"], [
      { role: "server", spec: "0355", revision: 2 },
      { role: "server", spec: "0356", revision: 1 },
    ]),
    scenarios,
    requirements: aggregateRequirements(scenarios, loadAllCatalogues(), "server", new Set()),
  };
}

const headings = (text: string) => text.split("\n").filter((l) => l.startsWith("== "));

describe("the catalogues' sections, keyed by specification and letter", () => {
  it("titles each section from its own catalogue", () => {
    expect(sectionTitle("0355", "B")).toBe("Server — forwarding");
    expect(sectionTitle("0356", "B")).toBe("Server — roster access");
    expect(sectionTitle("0355", "G")).toBe("Managing entity (component) obligations");
    expect(sectionTitle("0356", "G")).toBe("Privileged entity (component) obligations");
  });

  it("SECTION_NEEDS is per specification: XEP-0355's F and H need client mode, XEP-0356's F and H nothing", () => {
    expect(sectionNeed({ spec: "0355", section: "F" })).toBe("clientMode");
    expect(sectionNeed({ spec: "0355", section: "H" })).toBe("clientMode");
    expect(sectionNeed({ spec: "0356", section: "F" })).toBeUndefined();
    expect(sectionNeed({ spec: "0355", section: "B" })).toBeUndefined();
  });
});

describe("a run of both specifications", () => {
  const run = bothSpecsRun();

  it("has two groups in catalogue order, each with its own verdict, version and namespace", () => {
    const groups = specGroups(run);
    expect(groups.map((g) => g.spec.name)).toEqual(["XEP-0355", "XEP-0356"]);
    expect(groups[0].requirements.every((r) => r.spec === "0355")).toBe(true);
    expect(groups[1].requirements.every((r) => /^PRV-/.test(r.id))).toBe(true);
    expect(groups[0].overall.line).toMatch(/^incomplete: /);
    expect(groups[1].overall.failingMust).toEqual(["PRV-IQ-03"]);
    expect(groups[1].info.targets).toEqual([{ role: "server", version: "0.3", namespace: "urn:xmpp:privilege:1" }]);
    expect(groups[0].scenarios.map((s) => s.id)).toEqual(["srv-fwd-01-no-to"]);
  });

  it("console: a heading per XEP, its sections titled from its catalogue, a level table and compliance line each", () => {
    const table = formatRequirementTable(run.requirements, { color: false, scenarios: run.scenarios });
    expect(headings(table)).toEqual([
      "== XEP-0355 Namespace Delegation 0.5 — https://xmpp.org/extensions/xep-0355.html",
      "== XEP-0356 Privileged Entity 0.4.1 — https://xmpp.org/extensions/xep-0356.html",
    ]);
    const [delegation, privilege] = table.split(/^== XEP-0356 .*$/m);
    expect(delegation).toContain("B. Server — forwarding");
    expect(delegation).not.toMatch(/PRV-/);
    expect(privilege).toContain("B. Server — roster access");
    expect(privilege).not.toContain("Server — forwarding");
    expect(privilege).toMatch(/^ {2}PRV-IQ-03\s+MUST\s+FAIL\s+1 scenario\s+the privileged IQ was executed$/m);

    const summary = formatSummary(run).split("\n");
    expect(summary).toContain("XEP-0355 Namespace Delegation — server speaks 0.5 (urn:xmpp:delegation:2)");
    expect(summary).toContain("XEP-0356 Privileged Entity — server speaks 0.3 (urn:xmpp:privilege:1)");
    expect(summary.filter((l) => /^ {2}MUST /.test(l))).toHaveLength(2);
    expect(summary.find((l) => l.startsWith("  XEP-0355: "))).toMatch(/^ {2}XEP-0355: incomplete: /);
    expect(summary.find((l) => l.startsWith("  XEP-0356: "))).toMatch(/^ {2}XEP-0356: not compliant: MUST requirements failing: PRV-IQ-03;/);
    expect(summary.at(-1)).toMatch(/^not compliant: MUST requirements failing: PRV-IQ-03/);
  });

  it("index.html: a block per XEP with its title, version, link and verdict; rows link into their own XEP", () => {
    const html = buildHtmlReport(run);
    expect(html).toContain("<h1>XEP-0355 Namespace Delegation · XEP-0356 Privileged Entity</h1>");
    expect(html).toMatch(/<title>XEP-0355 \+ XEP-0356 conformance — not compliant — mock<\/title>/);
    expect(html).toMatch(/<section class="spec-overview" id="spec-0356"[^>]*>\n<div class="spec-title"><h2>XEP-0356 Privileged Entity<\/h2><span class="spec-version">version 0\.4\.1<\/span><a class="spec-url" href="https:\/\/xmpp\.org\/extensions\/xep-0356\.html">/);
    expect(html).toContain('<span class="spec-verdict verdict-not-compliant" data-spec-verdict="0356">Not compliant</span>');
    expect(html).toContain('<span class="spec-verdict verdict-untested" data-spec-verdict="0355">Incomplete</span>');
    expect(html).toContain("XEP-0356: not compliant: MUST requirements failing: PRV-IQ-03");
    expect(html).toContain("XEP-0356 0.3 (urn:xmpp:privilege:1)");
    expect(html.match(/<section class="cards" aria-label="XEP-035[56] verdict per level">/g)).toHaveLength(2);
    expect(html).toMatch(/<h3 class="spec-head" id="reqs-0356">XEP-0356 Privileged Entity <a class="spec-url" href="https:\/\/xmpp\.org\/extensions\/xep-0356\.html">/);

    const section = (spec: string, letter: string) => new RegExp(`<div class="req-section" data-spec="${spec}" data-section="${letter}">\\n<h4><span class="sec-letter">${letter}</span> ([^<]*)<`).exec(html)?.[1];
    expect(section("0355", "B")).toBe("Server — forwarding");
    expect(section("0356", "B")).toBe("Server — roster access");
    const row = (id: string) => new RegExp(`<tr id="req-${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";
    expect(row("PRV-IQ-03")).toMatch(/<a class="spec" href="https:\/\/xmpp\.org\/extensions\/xep-0356\.html#[\w-]+" title="XEP-0356 §/);
    expect(row("PRV-IQ-03")).not.toContain("xep-0355.html");
    expect(row("SRV-FWD-01")).toMatch(/href="https:\/\/xmpp\.org\/extensions\/xep-0355\.html#stanza_forward"/);
    // The XEP-0355 blocks come first, and the scenarios are grouped the same way.
    expect(html.indexOf('id="reqs-0355"')).toBeLessThan(html.indexOf('id="reqs-0356"'));
    expect(html).toMatch(/<h3 class="spec-head">XEP-0356 Privileged Entity<\/h3>\n<details class="scenario v-fail" id="scn-prv-iq-03-type-none"/);
  });

  it("junit.xml: a suite per XEP and role, with the XEP, version and namespace; classnames name the XEP", () => {
    const suites = childElements(parseXml(buildJunitXml(run)));
    expect(suites.map((s) => s.attrs.name)).toEqual(["xep0355.server", "xep0356.server"]);
    const props = (el: Element) => Object.fromEntries((el.getChild("properties")?.getChildren("property") ?? []).map((p) => [String(p.attrs.name), String(p.attrs.value)]));
    expect(props(suites[0])).toMatchObject({ spec: "XEP-0355", protocolVersion: "0.5", namespace: "urn:xmpp:delegation:2" });
    expect(props(suites[1])).toMatchObject({ spec: "XEP-0356", protocolVersion: "0.3", namespace: "urn:xmpp:privilege:1" });
    expect(suites[1].getChildren("testcase").map((c) => c.attrs.classname)).toEqual(["xep0356.server.PRV-IQ"]);
    expect(suites[1].getChildText("system-out")?.split("\n")[0]).toMatch(/^XEP-0356: not compliant: MUST requirements failing: PRV-IQ-03/);
    expect(suites[0].getChildText("system-out")?.split("\n")[0]).toMatch(/^XEP-0355: incomplete: /);
    const tc = suites[1].getChildren("testcase")[0];
    expect(tc.getChildText("system-out")).toContain("section: D. Server — IQ permission");
  });

  it("summary.md: a section per XEP with its verdict, link, level table and its own failing requirements", () => {
    const md = buildMarkdownSummary(run);
    expect(md).toMatch(/^## ❌ XEP-0355 \+ XEP-0356 conformance: not compliant\n/);
    const parts = md.split(/^### /m);
    const delegation = parts.find((p) => p.includes("XEP-0355 Namespace Delegation 0.5")) ?? "";
    const privilege = parts.find((p) => p.includes("XEP-0356 Privileged Entity 0.4.1")) ?? "";
    expect(delegation).toMatch(/^⚠️ XEP-0355 Namespace Delegation 0\.5: incomplete \(MUST requirements untested\)\n\nhttps:\/\/xmpp\.org\/extensions\/xep-0355\.html · server speaks 0\.5/);
    expect(privilege).toMatch(/^❌ XEP-0356 Privileged Entity 0\.4\.1: not compliant\n/);
    expect(privilege).toContain("> XEP-0356: not compliant: MUST requirements failing: PRV-IQ-03;");
    expect(privilege).toMatch(/#### Failing \(1\)\n\n- \*\*PRV-IQ-03\*\* \(MUST\) \(\[§[\w-]+\]\(https:\/\/xmpp\.org\/extensions\/xep-0356\.html#/);
    expect(delegation).not.toContain("PRV-IQ-03");
    expect(md.match(/^\| MUST /gm)).toHaveLength(2);
    expect(md).toContain("(XEP-0355 0.5, XEP-0356 0.3)");
  });

  it("badge.svg: one badge, a label and message per XEP in its own colour; the whole is as bad as the worst", () => {
    const content = badgeContent(run);
    expect(content.segments.map((s) => [s.label, s.state, s.colour])).toEqual([
      ["XEP-0355", "untested", BADGE_COLOURS.grey],
      ["XEP-0356", "failing", BADGE_COLOURS.red],
    ]);
    expect(content).toMatchObject({ state: "failing", colour: BADGE_COLOURS.red, label: "XEP-0355 · XEP-0356" });
    const svg = buildBadge(run);
    expect(svg).toContain(`<title>XEP-0355: ${content.segments[0].message}; XEP-0356: ${content.segments[1].message}</title>`);
    expect(svg).toContain(`fill="${BADGE_COLOURS.grey}"`);
    expect(svg).toContain(`fill="${BADGE_COLOURS.red}"`);
    expect(svg).not.toContain(BADGE_COLOURS.green);
    expect(parseXml(svg).attrs.width).toBe(String(Number(/<clipPath[^>]*><rect width="(\d+)"/.exec(svg)?.[1])));
  });

  it("results.json: each requirement's spec and the run's specs with version and namespace, valid against docs/results.schema.json", () => {
    const schema = JSON.parse(readFileSync(new URL("../docs/results.schema.json", import.meta.url), "utf8")) as object;
    expect(schema).toEqual(JSON.parse(JSON.stringify(RESULTS_SCHEMA)));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const json = JSON.parse(JSON.stringify(run)) as RunResult;
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.specs?.map((s) => [s.id, s.name, s.version, s.targets])).toEqual([
      ["0355", "XEP-0355", "0.5", [{ role: "server", version: "0.5", namespace: "urn:xmpp:delegation:2" }]],
      ["0356", "XEP-0356", "0.4.1", [{ role: "server", version: "0.3", namespace: "urn:xmpp:privilege:1" }]],
    ]);
    const broken = { ...json, specs: [{ ...json.specs![0], id: "0999" }] };
    expect(validate(broken)).toBe(false);
  });
});

describe("a partial run (--only)", () => {
  it("names only the XEP of its requirements, and never says compliant although nothing failed", () => {
    const full = bothSpecsRun();
    const run: RunResult = {
      ...full,
      partial: true,
      specs: full.specs?.filter((s) => s.id === "0355"),
      scenarios: full.scenarios.filter((s) => s.verdict === "pass"),
      requirements: full.requirements.filter((r) => r.id === "SRV-FWD-01"),
    };
    expect(buildMarkdownSummary(run)).toMatch(/^## ⚠️ XEP-0355 conformance: partial run \(no compliance claim\)\n\n> partial run: /);
    const html = buildHtmlReport(run);
    expect(html).toContain('<div class="verdict verdict-incomplete" id="overall-verdict">Partial run</div>');
    expect(html).not.toMatch(/>Compliant</);
    expect(badgeContent(run)).toMatchObject({ state: "incomplete", message: "partial · MUST 1/1" });
  });
});

describe("--spec 0356 with a scenario that also checks XEP-0355 rows (prv-flow-01)", () => {
  it("runs it, reports only XEP-0356 rows, and its chips of XEP-0355 rows link nowhere", async () => {
    const scenarios = (await loadSuite("server")).filter((s) => s.id === "prv-flow-01-pep-publish-notify");
    expect(scenarios[0]?.requirements.some((id) => id.startsWith("SRV-"))).toBe(true);
    const { run } = await executeRun([{ driver: new MockServerDriver({ version: 2, faults: [] }), scenarios }], { concurrency: 1, scenarioDeadlineMs: 20_000, strict: false, specs: ["0356"] });
    expect(run.scenarios.map((s) => s.verdict)).toEqual(["pass"]);
    expect(run.requirements.some((r) => r.id.startsWith("SRV-"))).toBe(false);
    const html = buildHtmlReport(run);
    const anchors = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const dangling = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]).filter((id) => !anchors.has(id));
    expect(dangling).toEqual([]);
    expect(html).toMatch(/<span class="req-chip unreported" title="not reported in this run: its specification was not selected \(--spec\)">SRV-/);
  });
});

describe("runs against the embedded mock server (it declares both XEPs)", () => {
  let both: RunResult;
  let only0355: RunResult;
  beforeAll(async () => {
    const wanted = new Set(["srv-adv-01-advertisement", "prv-adv-01-advertisement"]);
    const scenarios = (await loadSuite("server")).filter((s) => wanted.has(s.id));
    expect(scenarios).toHaveLength(2);
    const run = async (specs?: ("0355" | "0356")[]) =>
      (await executeRun([{ driver: new MockServerDriver({ version: 2, faults: [] }), scenarios }], { concurrency: 2, scenarioDeadlineMs: 20_000, strict: false, specs })).run;
    [both, only0355] = [await run(), await run(["0355"])];
  });

  it("by default both: two groups with the right titles and links, and run.specs with versions and namespaces", () => {
    expect(both.specs?.map((s) => [s.id, s.targets])).toEqual([
      ["0355", [{ role: "server", version: "0.5", namespace: "urn:xmpp:delegation:2" }]],
      ["0356", [{ role: "server", version: "0.4.1", namespace: "urn:xmpp:privilege:2" }]],
    ]);
    expect(both.scenarios.map((s) => [s.id, s.verdict]).sort()).toEqual([
      ["prv-adv-01-advertisement", "pass"],
      ["srv-adv-01-advertisement", "pass"],
    ]);
    expect(headings(formatRequirementTable(both.requirements, { color: false }))).toEqual([
      "== XEP-0355 Namespace Delegation 0.5 — https://xmpp.org/extensions/xep-0355.html",
      "== XEP-0356 Privileged Entity 0.4.1 — https://xmpp.org/extensions/xep-0356.html",
    ]);
    const html = buildHtmlReport(both);
    expect(html).toContain('id="spec-0355"');
    expect(html).toContain('id="spec-0356"');
    expect(html).toMatch(/<tr id="req-PRV-ADV-01"[\s\S]*?href="https:\/\/xmpp\.org\/extensions\/xep-0356\.html#advertise_roster"/);
    expect(childElements(parseXml(buildJunitXml(both))).map((s) => s.attrs.name)).toEqual(["xep0355.server", "xep0356.server"]);
  });

  it("--spec 0355: only XEP-0355, in every report", () => {
    expect(only0355.specs?.map((s) => s.id)).toEqual(["0355"]);
    expect(only0355.scenarios.map((s) => s.id)).toEqual(["srv-adv-01-advertisement"]);
    expect(only0355.requirements.length).toBeGreaterThan(0);
    expect(only0355.requirements.every((r) => r.spec === "0355")).toBe(true);
    expect(only0355.targets[0].specVersions).toEqual({ "0355": "0.5" });

    const table = formatRequirementTable(only0355.requirements, { color: false, scenarios: only0355.scenarios });
    expect(headings(table)).toEqual(["== XEP-0355 Namespace Delegation 0.5 — https://xmpp.org/extensions/xep-0355.html"]);
    const summary = formatSummary(only0355);
    expect(summary).toContain("XEP-0355 Namespace Delegation — server speaks 0.5 (urn:xmpp:delegation:2)");
    // One specification: its verdict is the run's, said once, on the last line.
    expect(summary).not.toMatch(/XEP-0356|^ {2}XEP-0355: /m);
    expect(summary.split("\n").at(-1)).toMatch(/^incomplete: /);
    for (const report of [table, summary, buildHtmlReport(only0355), buildJunitXml(only0355), buildMarkdownSummary(only0355), buildBadge(only0355)]) {
      expect(report).not.toMatch(/XEP-0356|xep-0356|xep0356|PRV-/);
    }
    expect(buildMarkdownSummary(only0355)).toMatch(/^## ⚠️ XEP-0355 conformance: incomplete/);
    expect(badgeContent(only0355)).toMatchObject({ label: "XEP-0355", state: "untested" });
    expect(badgeContent(only0355).segments).toHaveLength(1);
  });
});

describe("xep0355 list --requirements", () => {
  afterEach(() => vi.restoreAllMocks());
  const capture = async (args: string[]): Promise<string> => {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await listCommand(args)).toBe(0);
    return out;
  };

  it("lists both catalogues, each under its XEP's heading", async () => {
    const out = await capture(["--requirements"]);
    const lines = out.split("\n");
    const h0355 = lines.findIndex((l) => l.startsWith("== XEP-0355 Namespace Delegation 0.5 — https://xmpp.org/extensions/xep-0355.html ("));
    const h0356 = lines.findIndex((l) => l.startsWith("== XEP-0356 Privileged Entity 0.4.1 — https://xmpp.org/extensions/xep-0356.html ("));
    expect(h0355).toBe(0);
    expect(h0356).toBeGreaterThan(h0355);
    const between = lines.slice(h0355 + 1, h0356);
    expect(between.some((l) => l.startsWith("SRV-REP-03 "))).toBe(true);
    expect(between.some((l) => l.startsWith("PRV-"))).toBe(false);
    expect(lines.slice(h0356).some((l) => l.startsWith("PRV-IQ-03 "))).toBe(true);
    expect(lines.slice(h0356).some((l) => l.startsWith("PE-MSG-01 "))).toBe(true);
    expect(out).toMatch(/\n\d+\/\d+ requirements covered by \d+ scenarios\n$/);
  });

  it("--json gives each row its specification", async () => {
    const rows = JSON.parse(await capture(["--requirements", "--json", "--role", "server"])) as { id: string; spec: string }[];
    expect(rows.find((r) => r.id === "PRV-IQ-01")?.spec).toBe("0356");
    expect(rows.find((r) => r.id === "SRV-FWD-01")?.spec).toBe("0355");
    expect(rows.some((r) => r.id.startsWith("PE-"))).toBe(false);
  });
});
