import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { anchorUrl } from "../catalogue/catalogue.js";
import { SPECIFICATIONS, type SpecId } from "../catalogue/specs.js";
import type { RequirementResult, RunResult, ScenarioResult, TargetInfo, Verdict } from "../runner/result.js";
import { type Element } from "../xml/element.js";
import { LEVEL_GROUPS, levelGroup, overallVerdict, type LevelGroup, type OverallVerdict, type Summary } from "./aggregate.js";
import { runSpecNames, sectionGroups, specGroups, specTitle, specVerdictLine, spokenText, type SpecGroup } from "./by-spec.js";
import { buildSequence, failureFocus } from "./sequence.js";
import { renderSequence } from "./sequence-svg.js";
import { esc, renderXmlText, resolvePath, type XmlMark } from "./xml-html.js";

/**
 * reports/index.html: one self-contained page (inline CSS and JS, no network, no web fonts) with the
 * run's header, per specification (src/report/by-spec.ts) its verdict and level counts, the requirement
 * tables by specification, role and catalogue section, and per scenario (by specification) its
 * verdict, failure explanation (expected vs received, the differing part marked) and a sequence
 * diagram of its stanzas. It shows only what is in the RunResult.
 */

export const VERDICT_LABEL: Record<Verdict, string> = {
  pass: "PASS",
  fail: "FAIL",
  "not-supported": "NOT SUPPORTED",
  "not-applicable": "N/A",
  error: "ERROR",
  untested: "UNTESTED",
};

/** Short hash of the run's target descriptions: equal fingerprints, same configuration under test. */
export function configFingerprint(run: RunResult): string {
  return createHash("sha256").update(JSON.stringify(run.targets)).digest("hex").slice(0, 12);
}

function badge(v: Verdict): string {
  return `<span class="badge v-${v}">${VERDICT_LABEL[v]}</span>`;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, "-");
}

const ROLE_ORDER: TargetInfo["role"][] = ["server", "component"];

const scenarioAnchor = (id: string) => `scn-${slug(id)}`;
const requirementAnchor = (id: string) => `req-${slug(id)}`;

/** Catalogue text is light markdown: `code`, *emphasis*, (#anchor …) references to the row's XEP. */
function catalogueText(text: string, spec: SpecId): string {
  return esc(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*([^*]+)\*/g, "<em>$1</em>")
    .replace(/\(#([\w-]+)([^)]*)\)/g, (_w, anchor: string, rest: string) => `(<a href="${SPECIFICATIONS[spec].url}#${anchor}">#${anchor}${rest}</a>)`);
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

// ——— header ————————————————————————————————————————————————————————————————

/** The header's verdict: an interrupted run, or one whose only MUST gap is untested ones, is incomplete. */
export function pageVerdict(run: RunResult, overall: OverallVerdict): { state: string; word: string } {
  if (run.interrupted) return { state: "incomplete", word: "Incomplete run" };
  if (overall.partial) return { state: "incomplete", word: "Partial run" };
  if (overall.compliant) return { state: "compliant", word: "Compliant" };
  if (overall.failingMust.length > 0) return { state: "not-compliant", word: "Not compliant" };
  if (overall.erroredMust.length > 0) return { state: "errored", word: "Not compliant" };
  return { state: "untested", word: "Incomplete" };
}

function headerHtml(run: RunResult, groups: SpecGroup[]): string {
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const { state, word } = pageVerdict(run, overall);
  const targets = run.targets.length > 0 ? run.targets : [];
  const unreached = targets.length === 0 ? `<div class="meta-item wide"><span class="k">target</span><span class="v">not reached</span></div>` : "";
  const targetRows = unreached + targets
    .map(
      (t: TargetInfo) =>
        `<div class="meta-item wide"><span class="k">${esc(t.role)} target</span><span class="v"><strong>${esc(t.software ?? "unknown software")}</strong> — ${esc(t.name)}</span></div>`,
    )
    .join("");
  const protocols = [...new Set(groups.flatMap((g) => g.info.targets.map((t) => `${g.spec.name} ${t.version} (${t.namespace})`)))].join("; ") || "—";
  const fp = configFingerprint(run);
  return `<header class="top">
  <div class="top-inner">
    <div class="title-row">
      <div>
        <div class="eyebrow">Conformance report</div>
        <h1>${groups.map((g) => esc(specTitle(g.spec))).join(" · ")}</h1>
      </div>
      <div class="verdict verdict-${state}" id="overall-verdict">${word}</div>
    </div>
    <p class="verdict-line">${run.interrupted ? "Run interrupted, results incomplete — " : ""}${esc(overall.line)}</p>
    <div class="meta">
      ${targetRows}
      <div class="meta-item"><span class="k">protocol</span><span class="v">${esc(protocols)}</span></div>
      <div class="meta-item"><span class="k">suite</span><span class="v">xep0355-conformance ${esc(run.suiteVersion)}</span></div>
      <div class="meta-item"><span class="k">date</span><span class="v">${esc(formatDate(run.startedAt))} · <span class="nowrap">${esc(formatDuration(run.durationMs))}</span></span></div>
      <div class="meta-item"><span class="k">config</span><span class="v"><code title="sha256 of the targets' JSON (role, name, protocol version, software): runs with the same fingerprint tested the same configuration">sha256:${fp}</code></span></div>
    </div>
  </div>
</header>`;
}

function levelCards(summary: Summary, spec: SpecGroup["spec"]): string {
  const cards = LEVEL_GROUPS.map((g: LevelGroup) => {
    const s = summary[g];
    const cls =
      s.failing.length > 0 ? "bad" : s.errored.length > 0 ? "warn" : s.untested.length > 0 ? "untested" : s.total === 0 ? "none" : s.passed === s.total ? "good" : "partial";
    const pct = (n: number) => (s.total === 0 ? 0 : (100 * n) / s.total);
    const bar =
      `<div class="bar" aria-hidden="true"><span class="seg s-pass" style="width:${pct(s.passed)}%"></span>` +
      `<span class="seg s-fail" style="width:${pct(s.failing.length)}%"></span>` +
      `<span class="seg s-error" style="width:${pct(s.errored.length)}%"></span>` +
      `<span class="seg s-untested" style="width:${pct(s.untested.length)}%"></span>` +
      `<span class="seg s-ns" style="width:${pct(s.notSupported.length)}%"></span></div>`;
    const details = [
      s.failing.length ? `<span class="c-fail">${s.failing.length} failing</span>` : "",
      s.errored.length ? `<span class="c-error">${s.errored.length} error</span>` : "",
      s.untested.length ? `<span class="c-untested">${s.untested.length} untested</span>` : "",
      s.notSupported.length ? `<span class="c-ns">${s.notSupported.length} not supported</span>` : "",
    ].filter(Boolean);
    const note = g === "MUST" ? "decides compliance" : g === "implied" || g === "ambiguous" ? "reported, not counted" : "";
    return `<div class="card card-${cls}" data-level="${g}">
  <div class="card-level">${g}</div>
  <div class="card-count"><span class="n">${s.passed}</span><span class="d">/${s.total}</span></div>
  ${bar}
  <div class="card-details">${details.join(" · ") || (s.total ? "all pass" : "none apply")}</div>
  ${note ? `<div class="card-note">${note}</div>` : ""}
</div>`;
  });
  return `<section class="cards" aria-label="${esc(spec.name)} verdict per level">${cards.join("")}</section>`;
}

/** Per specification: its name, title, version and link, its verdict and compliance line, what the targets speak, its level cards. */
function specOverview(run: RunResult, groups: SpecGroup[]): string {
  return groups
    .map((g) => {
      const { state, word } = pageVerdict(run, g.overall);
      return `<section class="spec-overview" id="spec-${g.spec.id}" data-spec="${g.spec.id}">
<div class="spec-title"><h2>${esc(specTitle(g.spec))}</h2><span class="spec-version">version ${esc(g.spec.version)}</span><a class="spec-url" href="${esc(g.spec.url)}">${esc(g.spec.url)}</a><span class="spec-verdict verdict-${state}" data-spec-verdict="${g.spec.id}">${word}</span></div>
<p class="spec-line">${esc(specVerdictLine(g))} <span class="muted">· ${esc(spokenText(g.info, run.targets))}</span></p>
${levelCards(g.summary, g.spec)}
</section>`;
    })
    .join("\n");
}

// ——— requirements ————————————————————————————————————————————————————————————

function requirementTables(run: RunResult, groups: SpecGroup[]): string {
  const verdictOf = new Map(run.scenarios.map((s) => [s.id, s.verdict]));
  const out: string[] = [];
  for (const g of groups) {
    if (g.requirements.length === 0) continue;
    out.push(`<h3 class="spec-head" id="reqs-${g.spec.id}">${esc(specTitle(g.spec))} <a class="spec-url" href="${esc(g.spec.url)}">${esc(g.spec.url)}</a></h3>`);
    const roles = ROLE_ORDER.filter((role) => g.requirements.some((r) => r.role === role));
    for (const role of roles) {
      const reqs = g.requirements.filter((r) => r.role === role);
      if (roles.length > 1) out.push(`<h4 class="role-head">${role === "server" ? "Server role" : "Component role"}</h4>`);
      for (const { spec, section, title, requirements: rows } of sectionGroups(reqs)) {
        const counts = rows.filter((r) => r.verdict === "pass").length;
        const applicable = rows.filter((r) => r.verdict !== "not-applicable").length;
        out.push(`<div class="req-section" data-spec="${spec}" data-section="${esc(section)}">
<h4><span class="sec-letter">${esc(section)}</span> ${esc(title)}<span class="sec-count">${counts}/${applicable} pass</span></h4>
<table class="reqs">
<thead><tr><th class="c-id">ID</th><th class="c-level">Level</th><th class="c-verdict">Verdict</th><th>Requirement</th><th class="c-spec">Spec</th><th class="c-scn">Scenarios</th></tr></thead>
<tbody>${rows.map((r) => requirementRow(r, verdictOf)).join("")}</tbody>
</table></div>`);
      }
    }
  }
  return out.join("\n");
}

function requirementRow(r: RequirementResult, verdictOf: Map<string, Verdict>): string {
  const scenarios = r.scenarios.length
    ? r.scenarios
        .map((id) => `<a class="scn-link" href="#${scenarioAnchor(id)}"><span class="dot v-${verdictOf.get(id) ?? "error"}"></span>${esc(id)}</a>`)
        .join("")
    : `<span class="muted">none</span>`;
  const reasonText = r.reason.startsWith(`${r.id}: `) ? r.reason.slice(r.id.length + 2) : r.reason;
  const reason = r.verdict !== "pass" && reasonText ? `<div class="reason">${esc(reasonText)}</div>` : "";
  const reading = r.reading ? `<div class="reading" title="which reading of this ambiguous rule the target follows (either is accepted)">reading: <strong>${esc(r.reading)}</strong></div>` : "";
  const anchor = r.anchor ? `<a class="spec" href="${esc(anchorUrl(r))}" title="${SPECIFICATIONS[r.spec].name} §${esc(r.anchor)}">#${esc(r.anchor)}</a>` : "";
  const readingAttr = r.reading ? ` data-reading="${esc(r.reading)}"` : "";
  return `<tr id="${requirementAnchor(r.id)}" class="req row-${r.verdict}" data-verdict="${r.verdict}"${readingAttr}>
<td class="c-id"><code>${esc(r.id)}</code></td><td class="c-level"><span class="level l-${slug(levelGroup(r.level))}">${esc(r.level)}</span></td>
<td class="c-verdict">${badge(r.verdict)}${reading}</td><td class="c-text">${catalogueText(r.text, r.spec)}${reason}</td><td class="c-spec">${anchor}</td><td class="c-scn">${scenarios}</td></tr>`;
}

// ——— scenarios ————————————————————————————————————————————————————————————————

function explanation(s: ScenarioResult): string {
  const ev = s.evidence;
  if (!ev) return "";
  const focus = failureFocus(s);
  // The reason usually repeats the step; show the step only when it adds something.
  const step = s.reason.includes(ev.step)
    ? ""
    : `<div class="step"><span class="k">failing step</span> ${esc(ev.step)}${ev.line > 0 ? ` <span class="muted">(line ${ev.line})</span>` : ""}</div>`;
  const path = focus.path;
  const rootOnly = path !== undefined && /^\/[^/@]+$/.test(path);
  const markExpected = (root: Element): XmlMark | undefined => {
    if (!path) return undefined;
    if (rootOnly) return { el: root, what: "tag" };
    const at = resolvePath(root, path);
    if (!at.complete) return undefined;
    if (at.attr) return { el: at.el, what: "attr", attr: at.attr };
    if (at.text) return { el: at.el, what: "text" };
    return { el: at.el, what: /missing|no such/.test(focus.receivedText ?? "") ? "element" : "tag" };
  };
  const markReceived = (root: Element): XmlMark | undefined => {
    if (focus.kind === "unexpected") return { el: root, what: "element" };
    if (!path) return undefined;
    if (rootOnly) return { el: root, what: "tag" };
    const at = resolvePath(root, path);
    if (!at.complete) {
      const missing = path.split(/\/+/).pop()?.split("@")[0] ?? "";
      const deep = path.includes("//");
      return { el: at.el, what: "tag", note: deep ? `← no <${missing}> inside` : `← <${missing}> missing here` };
    }
    if (at.attr) {
      if (at.el.attrs[at.attr] === undefined) return { el: at.el, what: "tag", note: `← attribute '${at.attr}' missing` };
      return { el: at.el, what: "attr", attr: at.attr };
    }
    if (at.text) return { el: at.el, what: "text" };
    return { el: at.el, what: "tag" };
  };
  const plain = (text: string) => `<span class="plain">${esc(text)}</span>`;
  const expectedHtml =
    focus.kind === "check"
      ? plain(ev.expected)
      : ev.expected === "nothing"
        ? `<span class="muted">nothing</span>`
        : ev.expected.startsWith("no <")
          ? `<span class="muted">no</span> ${renderXmlText(ev.expected.slice(3))}`
          : renderXmlText(ev.expected, markExpected);
  const shown = focus.kind === "missing" ? undefined : (focus.stanza ?? ev.received[0]);
  const others = ev.received.filter((r) => r !== shown);
  const receivedHtml =
    focus.kind === "check"
      ? plain(ev.received.join("\n") || "(nothing)")
      : shown
        ? renderXmlText(shown, markReceived)
        : `<span class="muted">nothing ${ev.received.length ? "matching " : ""}arrived${focus.why ? ` (${esc(focus.why)})` : ""}</span>`;
  const diffLine = path && focus.kind !== "missing"
    ? `<div class="diffline">at <code>${esc(path)}</code>: expected <code class="exp">${esc(focus.expectedText ?? "")}</code>, received <code class="got">${esc(focus.receivedText ?? "")}</code></div>`
    : "";
  const receivedTitle = focus.kind === "unexpected" ? "Received (should not have arrived)" : ev.received.length > 1 ? "Received (closest of the stanzas that arrived)" : "Received";
  const more = others.length && focus.kind !== "check"
    ? `<details class="others"><summary>${others.length} ${shown ? "other " : ""}stanza${others.length === 1 ? "" : "s"} received and not matched</summary>${others.map((o) => `<pre class="xml">${renderXmlText(o)}</pre>`).join("")}</details>`
    : "";
  return `<div class="explain">
${step}${diffLine}
<div class="evr">
  <div class="ev-col"><div class="ev-title">Expected</div><pre class="xml">${expectedHtml}</pre></div>
  <div class="ev-col"><div class="ev-title">${receivedTitle}</div><pre class="xml">${receivedHtml}</pre>${more}</div>
</div></div>`;
}

/**
 * A link to a requirement's row, or its bare ID when this run reports no such row: a scenario may list
 * rows of a specification --spec left out (prv-flow-* checks SRV-* rows of XEP-0355 too).
 */
function requirementRef(id: string, run: RunResult, className = ""): string {
  const cls = className ? ` class="${className}"` : "";
  if (run.requirements.some((r) => r.id === id)) return `<a${cls} href="#${requirementAnchor(id)}">${esc(id)}</a>`;
  const unreported = className ? `${className} unreported` : "unreported";
  return `<span class="${unreported}" title="not reported in this run: its specification was not selected (--spec)">${esc(id)}</span>`;
}

function scenarioHtml(s: ScenarioResult, index: number, run: RunResult): string {
  const target = run.targets.find((t) => t.role === s.role);
  const reqLinks = s.requirements.map((id) => requirementRef(id, run, `req-chip${id === s.failedRequirement ? " blamed" : ""}`)).join("");
  const open = s.verdict === "fail" || s.verdict === "error";
  const reason = s.verdict !== "pass" && s.reason ? `<div class="reason-box r-${s.verdict}"><strong>${VERDICT_LABEL[s.verdict]}</strong>${s.failedRequirement ? ` on ${requirementRef(s.failedRequirement, run)}` : ""}: ${esc(s.reason)}</div>` : "";
  const readings = Object.entries(s.readings ?? {});
  const readingChips = readings.length
    ? `<div class="scn-meta scn-readings"><span class="k">readings</span> ${readings
        .map(([id, name]) => `<span class="reading-chip" data-requirement="${esc(id)}" data-reading="${esc(name)}">${requirementRef(id, run)}: <strong>${esc(name)}</strong></span>`)
        .join("")}</div>`
    : "";
  const notes = s.notes.length ? `<div class="notes"><div class="k">Notes</div><ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></div>` : "";
  let diagram = "";
  if (s.transcript.length > 0) {
    const seq = renderSequence(buildSequence(s, target), `m${index}`);
    diagram = `<div class="diagram">
<div class="diagram-head"><span class="k">Stanza flow</span><span class="legend"><span class="lg-target">→ sent by the target</span><span class="lg-suite">→ sent by the suite</span><span class="lg-grp">⇢ collapsed stream setup / close</span>${open ? `<span class="lg-bad">→ offending</span>` : ""}<span class="muted">click an arrow for its XML</span></span></div>
<div class="svg-wrap">${seq.svg}</div>
<div class="panels">${seq.panels}</div></div>`;
  } else {
    diagram = `<div class="diagram empty muted">No stanzas were exchanged.</div>`;
  }
  return `<details class="scenario v-${s.verdict}" id="${scenarioAnchor(s.id)}" data-verdict="${s.verdict}"${open ? " open" : ""}>
<summary>${badge(s.verdict)}<span class="scn-id">${esc(s.id)}</span><span class="scn-title">${esc(s.title)}</span><span class="scn-time">${esc(formatDuration(s.durationMs))}</span></summary>
<div class="scn-body">
<div class="scn-meta"><span class="k">requirements</span> ${reqLinks}<span class="k file">file</span> <code>${esc(s.file)}</code></div>
${readingChips}${reason}${explanation(s)}${notes}${diagram}
</div></details>`;
}

function scenarioList(run: RunResult, groups: SpecGroup[]): string {
  const out: string[] = [];
  let index = 0;
  const withScenarios = groups.filter((g) => g.scenarios.length > 0);
  for (const g of withScenarios) {
    if (withScenarios.length > 1) out.push(`<h3 class="spec-head">${esc(specTitle(g.spec))}</h3>`);
    const roles = ROLE_ORDER.filter((role) => g.scenarios.some((s) => s.role === role));
    for (const role of roles) {
      if (roles.length > 1) out.push(`<h4 class="role-head">${role === "server" ? "Server role" : "Component role"}</h4>`);
      for (const s of g.scenarios.filter((x) => x.role === role)) out.push(scenarioHtml(s, index++, run));
    }
  }
  return out.join("\n");
}

function scenarioCounts(run: RunResult): string {
  const counts = new Map<Verdict, number>();
  for (const s of run.scenarios) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  return (["pass", "fail", "error", "not-supported", "not-applicable"] as Verdict[])
    .filter((v) => counts.get(v))
    .map((v) => `<span class="cnt"><span class="dot v-${v}"></span>${counts.get(v)} ${VERDICT_LABEL[v].toLowerCase()}</span>`)
    .join("");
}

// ——— page ——————————————————————————————————————————————————————————————————————

export function buildHtmlReport(run: RunResult): string {
  const overall = overallVerdict(run.requirements, { partial: run.partial });
  const groups = specGroups(run);
  const title = `${runSpecNames(groups)} conformance — ${pageVerdict(run, overall).word.toLowerCase().replace(" run", "")}${run.targets[0]?.software ? ` — ${run.targets[0].software}` : ""}`;
  const problems = run.requirements.filter((r) => r.verdict === "fail" || r.verdict === "error" || r.verdict === "untested").length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="xep0355-conformance ${esc(run.suiteVersion)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${headerHtml(run, groups)}
<main>
${specOverview(run, groups)}
<nav class="toolbar">
  <div class="seg-ctl" role="group" aria-label="filter">
    <button type="button" data-filter="all" class="on">All</button>
    <button type="button" data-filter="problems">Problems only${problems ? ` <span class="pill">${problems}</span>` : ""}</button>
  </div>
  <div class="jump"><a href="#requirements">Requirements</a>${groups.length > 1 ? groups.filter((g) => g.requirements.length > 0).map((g) => `<a href="#reqs-${g.spec.id}">${esc(g.spec.name)}</a>`).join("") : ""}<a href="#scenarios">Scenarios</a></div>
  <div class="seg-ctl"><button type="button" data-expand="1">Expand all</button><button type="button" data-expand="0">Collapse all</button></div>
</nav>
<section id="requirements">
<h2>Requirements <span class="h-sub">${run.requirements.length} from the ${groups.length > 1 ? "catalogues, grouped by specification and section" : "catalogue, grouped by section"}</span></h2>
${run.requirements.length ? requirementTables(run, groups) : `<p class="muted">No requirements were evaluated.</p>`}
</section>
<section id="scenarios">
<h2>Scenarios <span class="h-sub">${scenarioCounts(run)}</span></h2>
${run.scenarios.length ? scenarioList(run, groups) : `<p class="muted">No scenario ran.</p>`}
</section>
</main>
<footer>Generated by xep0355-conformance ${esc(run.suiteVersion)} · ${groups.length > 1 ? "specs" : "spec"}: ${groups.map((g) => `<a href="${esc(g.spec.url)}">${esc(g.spec.url)}</a>`).join(", ")} · secrets of the target file, and what the suite derived from them, are redacted throughout</footer>
<script>${JS}</script>
</body>
</html>
`;
}

export async function writeHtmlReport(run: RunResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildHtmlReport(run), "utf8");
}

const JS = `
(function () {
  // Syntax colours for a panel's XML, added when it is first shown (keeps the file small).
  function colour(pre) {
    if (!pre) return;
    pre.removeAttribute('data-plain');
    var esc = function (t) { return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); };
    pre.innerHTML = esc(pre.textContent).replace(
      /(&lt;!--[\\s\\S]*?--&gt;)|(&lt;\\/?[\\w:.-]+)|([\\w:.-]+)=("[^"]*"|'[^']*')|(\\/?&gt;)/g,
      function (m, comment, tag, name, value, end) {
        if (comment) return '<span class="xc">' + comment + '</span>';
        if (tag) return '<span class="xn">' + tag + '</span>';
        if (name) return '<span class="xa">' + name + '</span>=<span class="xv">' + value + '</span>';
        return '<span class="xn">' + end + '</span>';
      });
  }
  function showPanel(id, toggle) {
    var panel = document.querySelector('[data-panel="' + id + '"]');
    if (!panel) return;
    var box = panel.parentNode;
    var wasOpen = !panel.hidden;
    box.querySelectorAll('.msg-panel').forEach(function (p) { p.hidden = true; });
    var svg = box.parentNode.querySelector('svg');
    if (svg) svg.querySelectorAll('.msg.selected').forEach(function (g) { g.classList.remove('selected'); });
    if (wasOpen && toggle) return;
    panel.hidden = false;
    colour(panel.querySelector('pre[data-plain]'));
    var g = svg && svg.querySelector('[data-msg="' + id + '"]');
    if (g) g.classList.add('selected');
  }
  document.addEventListener('click', function (e) {
    var g = e.target.closest && e.target.closest('[data-msg]');
    if (g) { showPanel(g.getAttribute('data-msg'), true); return; }
    var f = e.target.closest && e.target.closest('[data-filter]');
    if (f) {
      document.body.classList.toggle('problems-only', f.getAttribute('data-filter') === 'problems');
      document.querySelectorAll('[data-filter]').forEach(function (b) { b.classList.toggle('on', b === f); });
      return;
    }
    var x = e.target.closest && e.target.closest('[data-expand]');
    if (x) {
      var open = x.getAttribute('data-expand') === '1';
      document.querySelectorAll('details.scenario').forEach(function (d) { d.open = open; });
    }
  });
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target.getAttribute && e.target.getAttribute('data-msg')) {
      e.preventDefault();
      showPanel(e.target.getAttribute('data-msg'), true);
    }
  });
  function openHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
    if (el && el.tagName === 'TR') { el.classList.add('flash'); setTimeout(function () { el.classList.remove('flash'); }, 1600); }
  }
  window.addEventListener('hashchange', openHash);
  openHash();
  // The offending stanza's XML is shown from the start.
  document.querySelectorAll('details.scenario').forEach(function (d) {
    var bad = d.querySelector('.msg.offending, .msg.missing');
    if (bad) showPanel(bad.getAttribute('data-msg'), false);
  });
})();
`;

const CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1b2430; --muted: #667085; --line: #e3e7ed; --line2: #eef1f5;
  --pass: #15803d; --pass-bg: #dcfce7; --fail: #c0262d; --fail-bg: #fde2e2; --error: #c2570c; --error-bg: #ffedd5;
  --ns: #8a6d0b; --ns-bg: #fdf3c4; --untested: #5b21b6; --untested-bg: #ede9fe; --na: #6b7280; --na-bg: #eceef1; --accent: #2f5bd3;
  --mono: ui-monospace, "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
[id] { scroll-margin-top: 64px; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 var(--sans); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.k { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .06em; font-weight: 600; }

header.top { background: linear-gradient(135deg, #101828 0%, #1d2939 100%); color: #f2f4f7; }
.top-inner { max-width: 1280px; margin: 0 auto; padding: 26px 32px 22px; }
.title-row { display: flex; align-items: center; justify-content: space-between; gap: 24px; flex-wrap: wrap; }
.eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: 11.5px; color: #98a2b3; font-weight: 600; }
h1 { margin: 2px 0 0; font-size: 26px; font-weight: 650; letter-spacing: -.01em; }
.verdict { font-weight: 700; font-size: 17px; padding: 9px 20px; border-radius: 999px; letter-spacing: .02em; white-space: nowrap; }
.verdict-compliant { background: #16a34a; color: #fff; }
.verdict-not-compliant { background: #dc2626; color: #fff; }
.verdict-incomplete, .verdict-errored { background: #ea580c; color: #fff; }
.verdict-untested { background: #6d28d9; color: #fff; }
.verdict-line { margin: 10px 0 16px; color: #d0d5dd; font-size: 14.5px; }
.meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 8px 24px; border-top: 1px solid #344054; padding-top: 14px; }
.meta-item { display: flex; flex-direction: column; min-width: 0; }
.meta-item.wide { grid-column: span 2; }
.meta-item .k { color: #98a2b3; font-size: 10.5px; }
.meta-item .v { color: #f2f4f7; overflow-wrap: anywhere; }
.meta-item code { color: #fde68a; font-size: 12.5px; }

main { max-width: 1280px; margin: 0 auto; padding: 22px 32px 40px; }
.cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 14px; }
.spec-overview + .spec-overview { margin-top: 18px; }
.spec-title { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.spec-title h2 { margin: 0; font-size: 18px; }
.spec-version { color: var(--muted); font-size: 13px; }
.spec-url { font-size: 12.5px; overflow-wrap: anywhere; }
.spec-verdict { margin-left: auto; font-weight: 700; font-size: 12.5px; padding: 3px 12px; border-radius: 999px; white-space: nowrap; }
.spec-line { margin: 4px 0 10px; font-size: 13.5px; overflow-wrap: anywhere; }
.spec-head { font-size: 16px; margin: 24px 0 4px; display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px 12px; border-top: 4px solid var(--na); }
.card-good { border-top-color: var(--pass); } .card-bad { border-top-color: var(--fail); } .card-warn { border-top-color: var(--error); }
.card-partial { border-top-color: #d4a72c; } .card-untested { border-top-color: #8b5cf6; } .card-none { opacity: .65; }
.card-level { font-weight: 700; font-size: 12.5px; letter-spacing: .08em; color: var(--muted); }
.card-count .n { font-size: 30px; font-weight: 700; line-height: 1.2; }
.card-count .d { font-size: 18px; color: var(--muted); font-weight: 600; }
.bar { display: flex; height: 7px; border-radius: 4px; overflow: hidden; background: var(--na-bg); margin: 6px 0 8px; }
.seg { display: block; height: 100%; }
.s-pass { background: #22c55e; } .s-fail { background: #ef4444; } .s-error { background: #f97316; } .s-ns { background: #e7c84a; } .s-untested { background: #a78bfa; }
.card-details { font-size: 12.5px; color: var(--muted); }
.c-fail { color: var(--fail); font-weight: 600; } .c-error { color: var(--error); font-weight: 600; } .c-ns { color: var(--ns); } .c-untested { color: var(--untested); font-weight: 600; }
.card-note { font-size: 11px; color: #98a2b3; margin-top: 2px; }

.toolbar { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; justify-content: space-between; gap: 12px;
  margin: 18px -8px 0; padding: 10px 8px; background: rgba(245,246,248,.94); backdrop-filter: blur(4px); border-bottom: 1px solid var(--line); }
.seg-ctl { display: inline-flex; border: 1px solid #cfd5de; border-radius: 8px; overflow: hidden; background: #fff; }
.seg-ctl button { font: inherit; font-size: 13px; border: 0; background: transparent; padding: 5px 12px; cursor: pointer; color: var(--ink); }
.seg-ctl button + button { border-left: 1px solid #cfd5de; }
.seg-ctl button.on { background: #1d2939; color: #fff; }
.pill { display: inline-block; min-width: 18px; padding: 0 5px; border-radius: 9px; background: var(--fail); color: #fff; font-size: 11px; font-weight: 700; text-align: center; }
.jump a { margin: 0 8px; font-weight: 600; }

h2 { font-size: 20px; margin: 26px 0 10px; display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; }
.h-sub { font-size: 13px; font-weight: 400; color: var(--muted); display: inline-flex; gap: 12px; flex-wrap: wrap; }
.cnt { display: inline-flex; align-items: center; gap: 5px; }
.role-head { font-size: 15px; margin: 20px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
.req-section { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; margin: 12px 0; overflow: hidden; }
.req-section h4 { margin: 0; padding: 10px 16px; font-size: 14.5px; background: #f9fafb; border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: 10px; }
.sec-letter { display: inline-grid; place-items: center; width: 24px; height: 24px; border-radius: 6px; background: #1d2939; color: #fff; font-size: 12.5px; }
.sec-count { margin-left: auto; font-weight: 500; color: var(--muted); font-size: 12.5px; }
table.reqs { width: 100%; border-collapse: collapse; }
.reqs th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 600; padding: 7px 10px; border-bottom: 1px solid var(--line); }
.reqs td { padding: 8px 10px; border-bottom: 1px solid var(--line2); vertical-align: top; }
.reqs tr:last-child td { border-bottom: 0; }
.reqs tr.row-fail td { background: #fff6f6; } .reqs tr.row-error td { background: #fff9f2; } .reqs tr.row-untested td { background: #faf8ff; }
.reqs tr.flash td { background: #fff4c2; transition: background .3s; }
.c-id { width: 112px; white-space: nowrap; } .c-id code { font-weight: 600; font-size: 12.5px; }
.c-level { width: 96px; white-space: nowrap; } .c-verdict { width: 128px; white-space: nowrap; }
.c-spec { width: 140px; font-size: 12.5px; } .c-scn { width: 280px; }
.c-text { color: #344054; } .c-text code { background: #f2f4f7; padding: 0 3px; border-radius: 4px; font-size: 12px; }
.reason { margin-top: 4px; font-size: 12.5px; color: var(--muted); }
tr.row-fail .reason { color: var(--fail); } tr.row-error .reason { color: var(--error); } tr.row-untested .reason { color: var(--untested); }
.reading { margin-top: 4px; font-size: 11.5px; color: #475467; white-space: normal; }
.reading-chip { font-size: 12px; padding: 1px 7px; border-radius: 5px; background: #f4f4f5; color: #3f3f46; }
.reading-chip a { font-family: var(--mono); }
.level { font-size: 11.5px; font-weight: 600; padding: 1px 7px; border-radius: 5px; background: #eef2ff; color: #3730a3; }
.l-SHOULD { background: #ecfeff; color: #155e75; } .l-MAY { background: #f0fdf4; color: #166534; }
.l-implied, .l-ambiguous { background: #f4f4f5; color: #52525b; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; letter-spacing: .04em; padding: 2px 8px; border-radius: 5px; white-space: nowrap; }
.badge.v-pass { background: var(--pass-bg); color: var(--pass); } .badge.v-fail { background: var(--fail); color: #fff; }
.badge.v-error { background: var(--error); color: #fff; } .badge.v-not-supported { background: var(--ns-bg); color: var(--ns); }
.badge.v-not-applicable { background: var(--na-bg); color: var(--na); }
.badge.v-untested { background: var(--untested-bg); color: var(--untested); box-shadow: inset 0 0 0 1px #c4b5fd; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; flex: none; }
.dot.v-pass { background: #22c55e; } .dot.v-fail { background: #ef4444; } .dot.v-error { background: #f97316; }
.dot.v-not-supported { background: #e7c84a; } .dot.v-not-applicable { background: #c4c9d1; } .dot.v-untested { background: #a78bfa; }
.scn-link { display: inline-flex; align-items: center; gap: 5px; font-family: var(--mono); font-size: 11.5px; margin: 0 10px 2px 0; white-space: nowrap; }

details.scenario { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; margin: 8px 0; border-left: 4px solid #22c55e; }
details.scenario.v-fail { border-left-color: #ef4444; } details.scenario.v-error { border-left-color: #f97316; }
details.scenario.v-not-supported { border-left-color: #e7c84a; } details.scenario.v-not-applicable { border-left-color: #c4c9d1; }
details.scenario > summary { cursor: pointer; padding: 10px 14px; display: flex; align-items: center; gap: 12px; list-style: none; }
details.scenario > summary::-webkit-details-marker { display: none; }
details.scenario > summary::before { content: "▸"; color: var(--muted); transition: transform .15s; }
details.scenario[open] > summary::before { transform: rotate(90deg); }
.scn-id { font-family: var(--mono); font-weight: 600; font-size: 13px; white-space: nowrap; }
.scn-title { color: #475467; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.scn-time { color: var(--muted); font-size: 12px; white-space: nowrap; }
.scn-body { padding: 2px 18px 16px; border-top: 1px solid var(--line2); }
.scn-meta { margin: 10px 0; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.scn-meta .file { margin-left: 12px; }
.req-chip { font-family: var(--mono); font-size: 12px; padding: 1px 7px; border-radius: 5px; background: #eef2ff; }
.req-chip.blamed { background: var(--fail); color: #fff; }
.req-chip.unreported { background: #f4f4f5; color: #71717a; }
.reason-box { padding: 9px 12px; border-radius: 8px; margin: 10px 0; font-size: 13.5px; overflow-wrap: anywhere; }
.r-fail { background: var(--fail-bg); color: #7f1d1d; } .r-error { background: var(--error-bg); color: #7c2d12; }
.r-not-supported { background: var(--ns-bg); color: #5b4706; } .r-not-applicable { background: var(--na-bg); color: #374151; }
.reason-box a { color: inherit; text-decoration: underline; }
.explain { border: 1px solid #f3c5c5; border-radius: 10px; padding: 10px 12px 12px; margin: 10px 0; background: #fffafa; }
.step { font-size: 12.5px; color: #475467; overflow-wrap: anywhere; }
.diffline { margin: 6px 0 2px; font-size: 13px; }
.diffline code { border-radius: 4px; }
.diffline code.exp, .diffline code.got { padding: 1px 5px; }
code.exp { background: var(--pass-bg); color: #14532d; } code.got { background: var(--fail-bg); color: #7f1d1d; }
.evr { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 8px; }
.ev-col { min-width: 0; }
.ev-title { font-size: 11.5px; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin-bottom: 4px; }
pre.xml { margin: 0; padding: 10px 12px; background: #fbfcfd; border: 1px solid var(--line); border-radius: 8px; overflow: auto; max-height: 420px; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
.xn { color: #1d4ed8; } .xa { color: #9a3412; } .xv { color: #15803d; } .xt { color: #1b2430; } .xc { color: #98a2b3; font-style: italic; }
mark.diff { background: #fecaca; color: inherit; border-radius: 3px; padding: 1px 0; box-shadow: 0 0 0 1px #f87171; }
mark.diff-block { display: inline-block; padding: 2px 4px; }
.diff-note { color: var(--fail); font-family: var(--sans); font-size: 12px; font-weight: 600; }
details.others { margin-top: 6px; font-size: 12.5px; } details.others pre { margin-top: 6px; }
.notes { margin: 10px 0; } .notes ul { margin: 4px 0 0; padding-left: 20px; }

.diagram { margin-top: 12px; }
.diagram.empty { padding: 10px 0; }
.diagram-head { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; margin-bottom: 6px; }
.legend { display: inline-flex; gap: 14px; font-size: 12px; flex-wrap: wrap; }
.lg-target { color: #2563eb; } .lg-suite { color: #475467; } .lg-grp { color: #98a2b3; } .lg-bad { color: #dc2626; font-weight: 600; }
.svg-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 10px; background: #fff; padding: 4px 0; }
svg.seq { display: block; font-family: var(--mono); max-width: 100%; height: auto; } /* wide casts shrink to fit rather than hide lifelines off to the right */
svg.seq .ll { stroke: #cbd2dc; stroke-width: 1.2; stroke-dasharray: 4 4; }
svg.seq .ll-target { stroke: #7c8da6; stroke-dasharray: none; stroke-width: 2.5; }
svg.seq .head rect { fill: #f2f4f7; stroke: #cbd2dc; }
svg.seq .head-target rect { fill: #1d2939; stroke: #1d2939; }
svg.seq .head-component rect { fill: #f5f3ff; stroke: #c4b5fd; }
svg.seq .head-user rect { fill: #eff6ff; stroke: #bfdbfe; }
svg.seq .hn { text-anchor: middle; font: 600 13px var(--sans); fill: #1b2430; }
svg.seq .hs { text-anchor: middle; font: 11px var(--sans); fill: #667085; }
svg.seq .head-target .hn { fill: #fff; } svg.seq .head-target .hs { fill: #cbd5e1; }
svg.seq .tm { text-anchor: end; font-size: 10.5px; fill: #98a2b3; }
svg.seq .msg { cursor: pointer; outline: none; }
svg.seq .hit { fill: transparent; }
svg.seq .msg:hover .hit, svg.seq .msg:focus .hit { fill: rgba(47, 91, 211, .06); }
svg.seq .msg.selected .hit { fill: rgba(47, 91, 211, .13); }
svg.seq .offending.selected .hit, svg.seq .offending:hover .hit, svg.seq .missing.selected .hit { fill: transparent; }
svg.seq .offending.selected .band, svg.seq .missing.selected .band { stroke: #ef4444; stroke-width: 1.5; }
svg.seq .arrow { stroke-width: 1.6; }
svg.seq .to-target .arrow { stroke: #475467; } svg.seq .to-target .ah { fill: #475467; }
svg.seq .from-target .arrow { stroke: #2563eb; } svg.seq .from-target .ah { fill: #2563eb; }
svg.seq .grp .arrow { stroke: #a9b3c1; stroke-dasharray: 5 4; } svg.seq .grp .ah { fill: #a9b3c1; }
svg.seq .lbl { text-anchor: middle; font-size: 11.25px; }
svg.seq .lh { font-weight: 700; fill: #1b2430; } svg.seq .li { fill: #8a94a6; } svg.seq .lp { fill: #6d28d9; }
svg.seq .from-target .lh { fill: #1d4ed8; }
svg.seq .lg { fill: #98a2b3; font-style: italic; }
svg.seq .offending .arrow { stroke: #dc2626; stroke-width: 2.6; }
svg.seq .ah-bad { fill: #dc2626; }
svg.seq .offending .lh, svg.seq .offending .lp { fill: #b91c1c; }
svg.seq .band { fill: rgba(239, 68, 68, .08); stroke: rgba(239, 68, 68, .5); stroke-width: 1; }
svg.seq .problem { font-size: 11.25px; fill: #b91c1c; font-weight: 600; }
svg.seq .missing .arrow { stroke: #dc2626; stroke-width: 2; stroke-dasharray: 6 4; }
svg.seq .cross { stroke: #dc2626; stroke-width: 2.6; stroke-linecap: round; }
svg.seq .note rect { fill: #fffbea; stroke: #f1d98a; }
svg.seq .note text { text-anchor: middle; font: 11.5px var(--sans); fill: #6b5300; }
svg.seq .suite-note rect { fill: #f0f9ff; stroke: #bae6fd; } svg.seq .suite-note text { fill: #075985; }
.panels { margin-top: 8px; }
.msg-panel { border: 1px solid #c7d2fe; border-radius: 8px; overflow: hidden; }
.msg-panel.offending { border-color: #fca5a5; }
.msg-title { font-size: 12.5px; padding: 6px 12px; background: #eef2ff; color: #3730a3; font-family: var(--mono); overflow-wrap: anywhere; }
.msg-panel.offending .msg-title { background: #fef2f2; color: #991b1b; }
.msg-panel pre.xml { border: 0; border-radius: 0; }

body.problems-only tr.req:not(.row-fail):not(.row-error):not(.row-untested):not(.row-not-supported) { display: none; }
body.problems-only details.scenario.v-pass, body.problems-only details.scenario.v-not-applicable { display: none; }
body.problems-only .req-section:not(:has(tr.row-fail, tr.row-error, tr.row-untested, tr.row-not-supported)) { display: none; }
footer { max-width: 1280px; margin: 0 auto; padding: 0 32px 30px; color: var(--muted); font-size: 12px; }
@media (max-width: 900px) { .cards { grid-template-columns: repeat(2, 1fr); } .evr { grid-template-columns: 1fr; } .c-scn { width: auto; } }
@media print { .toolbar { display: none; } details.scenario { break-inside: avoid; } }
`;
