import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeReports } from "../src/cli/reports.js";
import { buildBadge, badgeContent } from "../src/report/badge.js";
import { buildMarkdownSummary } from "../src/report/markdown.js";
import { createProgress } from "../src/report/progress.js";
import { buildSequence, failureFocus } from "../src/report/sequence.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { executeRun } from "../src/runner/execute.js";
import type { RunResult } from "../src/runner/result.js";
import { loadSuite } from "../src/scenario/load.js";
import { parseXml } from "../src/xml/element.js";

/**
 * The HTML report of a real run: the server suite (a few scenarios) against the embedded mock with
 * two faults, one giving a wrong stanza (SRV-REP-05) and one a stanza that never arrives (SRV-UNA-01).
 * The browser part opens the page in Debian's Chromium (never a downloaded one) and is skipped when
 * /usr/bin/chromium is absent (apt-get install -y chromium).
 */

const CHROMIUM = process.env.XEP0355_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOT = fileURLToPath(new URL("../reports/screenshot.png", import.meta.url));

const MISMATCH = "srv-rep-05-spoofed-from";
const TIMEOUT = "srv-una-01-managing-entity-offline";
const PASSING = ["srv-adv-01-advertisement", "srv-fwd-01-no-to", "srv-dsc-01-feature"];
const SECRETS = ["managing-secret", "other-secret", "juliet-pass", "romeo-pass"];

let dir: string;
let run: RunResult;
let paths: string[];
let html: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xep0355-html-"));
  const wanted = new Set([MISMATCH, TIMEOUT, ...PASSING]);
  const scenarios = (await loadSuite("server")).filter((s) => wanted.has(s.id));
  expect(scenarios.map((s) => s.id).sort()).toEqual([...wanted].sort());
  const driver = new MockServerDriver({ version: 2, faults: ["SRV-REP-05", "SRV-UNA-01"] });
  ({ run } = await executeRun([{ driver, scenarios }], { concurrency: 5, scenarioDeadlineMs: 20_000, strict: false }));
  paths = await writeReports(run, dir);
  html = await readFile(join(dir, "index.html"), "utf8");
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("report files", () => {
  it("the run has the expected verdicts", () => {
    const verdict = Object.fromEntries(run.scenarios.map((s) => [s.id, s.verdict]));
    expect(verdict[MISMATCH]).toBe("fail");
    expect(verdict[TIMEOUT]).toBe("fail");
    for (const id of PASSING) expect(verdict[id], id).toBe("pass");
  });

  it("writeReports writes and returns every report file", async () => {
    for (const name of ["junit.xml", "results.json", "index.html", "summary.md", "badge.svg"]) {
      expect(paths).toContain(join(dir, name));
      expect((await readFile(join(dir, name), "utf8")).length, name).toBeGreaterThan(100);
    }
    const transcript = await readFile(join(dir, "transcripts", `${MISMATCH}.log`), "utf8");
    expect(transcript).toContain("juliet → target");
    const junit = await readFile(join(dir, "junit.xml"), "utf8");
    expect(junit).toContain(`[[ATTACHMENT|transcripts/${MISMATCH}.log]]`);
  });

  it("the HTML page is self-contained and holds no secret", () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<link\b|<script\s+src|@import|@font-face|url\(\s*["']?https?:/i);
    expect(html).not.toMatch(/\bsrc=["']?https?:/i);
    for (const secret of SECRETS) expect(html).not.toContain(secret);
    expect(html).toContain("[redacted]");
    // Each row links into its own XEP (the mock server declares both, so XEP-0356's rows are here too, untested).
    for (const r of run.requirements) if (r.anchor) expect(html).toContain(`https://xmpp.org/extensions/xep-${r.spec}.html#${r.anchor}`);
    expect(new Set(run.requirements.map((r) => r.spec))).toEqual(new Set(["0355", "0356"]));
  });

  it("the sequence model marks the offending stanza and the one that never arrived", () => {
    const mismatch = run.scenarios.find((s) => s.id === MISMATCH)!;
    const focus = failureFocus(mismatch);
    expect(focus).toMatchObject({ kind: "mismatch", actor: "juliet", path: "/iq@type" });
    const seq = buildSequence(mismatch, run.targets[0]);
    const offending = seq.events.filter((e) => e.kind === "arrow" && e.offending);
    expect(offending).toHaveLength(1);
    expect(offending[0]).toMatchObject({ from: seq.target, to: "juliet", head: "iq result", id: "rep05-q" });
    expect(seq.lifelines.map((l) => l.id)).toEqual(["juliet", "juliet2", "romeo", seq.target, "me"]);

    const timeout = run.scenarios.find((s) => s.id === TIMEOUT)!;
    const missing = buildSequence(timeout, run.targets[0]).events.filter((e) => e.kind === "missing");
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ actor: "juliet", style: "never-arrived" });
    expect(missing[0].kind === "missing" && missing[0].text).toMatch(/^expected <iq type="error" id="una01-q"> never arrived/);
  });

  it("summary.md names the failing requirements with their reasons", () => {
    const md = buildMarkdownSummary(run);
    expect(md).toMatch(/^## ❌ XEP-0355 \+ XEP-0356 conformance: not compliant/);
    expect(md).toContain("| MUST ❌ |");
    expect(md).toMatch(/- \*\*SRV-REP-05\*\* \(MUST\).*expected &lt;iq type='error'/);
    expect(md).toMatch(/- \*\*SRV-UNA-01\*\* \(MUST\)/);
    expect(md.split("\n").filter((l) => l.startsWith("- **SRV-REP-05**"))).toHaveLength(1);
  });

  it("the requirements no scenario of this partial run verifies are untested", () => {
    const untested = run.requirements.filter((r) => r.verdict === "untested");
    expect(untested.length).toBeGreaterThan(0);
    expect(untested.every((r) => r.scenarios.length === 0)).toBe(true);
    expect(html).toContain('<span class="badge v-untested">UNTESTED</span>');
  });

  it("badge.svg is a red badge with the MUST count of each specification", () => {
    const svg = buildBadge(run);
    const root = parseXml(svg);
    expect(root.name).toBe("svg");
    const content = badgeContent(run);
    expect(content.state).toBe("failing");
    const [delegation, privilege] = content.segments;
    expect(content.segments.map((x) => [x.label, x.state])).toEqual([["XEP-0355", "failing"], ["XEP-0356", "untested"]]);
    expect(delegation.message).toMatch(/^MUST \d+\/\d+( · SHOULD \d+\/\d+)?$/);
    expect(privilege.message).toMatch(/^incomplete · MUST 0\/\d+/);
    expect(svg).toContain(delegation.colour);
    expect(svg).toContain(privilege.colour);
    expect(svg).toContain(`XEP-0355: ${delegation.message}; XEP-0356: ${privilege.message}`);
  });
});

describe("console progress", () => {
  const capture = (isTTY: boolean) => {
    const stream = { isTTY, columns: 80, text: "", write(chunk: string) { this.text += chunk; return true; } };
    return stream;
  };

  it("prints one plain line per scenario when not on a terminal", () => {
    const stream = capture(false);
    const progress = createProgress(run.scenarios.length, stream);
    for (const s of run.scenarios) progress.onResult(s);
    progress.finish();
    const lines = stream.text.trimEnd().split("\n");
    expect(lines).toHaveLength(run.scenarios.length);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`\\[${run.scenarios.length}/${run.scenarios.length}\\]$`));
    expect(stream.text).not.toContain("\x1b");
  });

  it("rewrites one status line on a terminal and prints the failures above it", () => {
    const stream = capture(true);
    const progress = createProgress(run.scenarios.length, stream);
    for (const s of run.scenarios) progress.onResult(s);
    progress.finish();
    const failing = run.scenarios.filter((s) => s.verdict === "fail");
    const finished = stream.text.split("\n").filter(Boolean);
    // The failure lines, then the final status line; everything else was rewritten in place.
    expect(finished).toHaveLength(failing.length + 1);
    for (const s of failing) expect(stream.text).toContain(s.id);
    expect(finished[finished.length - 1]).toContain(`[${run.scenarios.length}/${run.scenarios.length}]`);
    expect(finished[finished.length - 1]).toContain(`${failing.length} fail`);
    expect(stream.text).toContain("\r\x1b[2K");
  });
});

describe.skipIf(!HAVE_CHROMIUM)("HTML report in headless Chromium", () => {
  it("renders the header, the requirement table and the failing scenario's diagram", async () => {
    const { chromium } = await import("playwright-core");
    const profile = await mkdtemp(join(tmpdir(), "xep0355-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1360, height: 900 },
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:")) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(`file://${join(dir, "index.html")}`);

      expect(await page.title()).toMatch(/^XEP-0355 \+ XEP-0356 conformance — not compliant/);
      expect(await page.locator("#overall-verdict").textContent()).toBe("Not compliant");
      // Five level cards per specification, and each specification's own verdict.
      expect(await page.locator(".card[data-level]").count()).toBe(10);
      expect(await page.locator("#spec-0355 .card[data-level]").count()).toBe(5);
      expect(await page.locator('[data-spec-verdict="0355"]').textContent()).toBe("Not compliant");
      expect(await page.locator('[data-spec-verdict="0356"]').textContent()).toBe("Incomplete");
      expect(await page.locator("table.reqs tr.req").count()).toBe(run.requirements.length);
      expect(await page.locator("#req-SRV-REP-05 .badge").textContent()).toBe("FAIL");

      const failing = page.locator(`#scn-${MISMATCH}`);
      expect(await failing.getAttribute("open")).not.toBeNull();
      const offending = failing.locator("svg.seq .msg.offending");
      expect(await offending.count()).toBe(1);
      expect(await offending.getAttribute("aria-label")).toContain("iq result");
      // The offending stanza's XML is shown from the start, its differing attribute marked.
      const offendingPanel = failing.locator(`[data-panel="${await offending.getAttribute("data-msg")}"]`);
      expect(await offendingPanel.isVisible()).toBe(true);
      const columns = failing.locator(".explain .ev-col");
      expect(await columns.nth(0).locator("mark.diff").textContent()).toBe('type="error"');
      expect(await columns.nth(1).locator("mark.diff").textContent()).toBe('type="result"');

      const timeout = page.locator(`#scn-${TIMEOUT}`);
      expect(await timeout.locator("svg.seq .msg.missing").count()).toBe(1);
      expect(await timeout.locator("svg.seq .msg.missing text.problem").textContent()).toContain("never arrived");

      // Clicking another arrow shows its XML instead.
      const other = failing.locator("svg.seq .msg.to-target").first();
      const id = await other.getAttribute("data-msg");
      const panel = failing.locator(`[data-panel="${id}"]`);
      expect(await panel.isVisible()).toBe(false);
      await other.click();
      expect(await panel.isVisible()).toBe(true);
      expect(await panel.locator("pre.xml").textContent()).toMatch(/^<iq /);
      expect(await offendingPanel.isVisible()).toBe(false);
      expect(await other.getAttribute("class")).toContain("selected");

      // "Problems only" hides the passing rows.
      await page.click('[data-filter="problems"]');
      expect(await page.locator("tr.req.row-pass").first().isVisible()).toBe(false);
      expect(await page.locator("#req-SRV-REP-05").isVisible()).toBe(true);
      // Untested requirements (most of the catalogue: only a few scenarios ran) are problems too, and not green.
      const untested = page.locator("tr.req.row-untested");
      expect(await untested.count()).toBeGreaterThan(0);
      expect(await untested.first().isVisible()).toBe(true);
      expect(await untested.first().locator(".badge").textContent()).toBe("UNTESTED");
      expect(await untested.first().locator(".badge").evaluate((el) => getComputedStyle(el).color)).not.toBe("rgb(21, 128, 61)");
      await page.click('[data-filter="all"]');

      // Nothing in the page fits outside its box: no horizontal scrolling of the page itself.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await mkdir(join(SCREENSHOT, ".."), { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
