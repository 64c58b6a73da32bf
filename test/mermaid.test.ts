import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMarkdownSummary } from "../src/report/markdown.js";
import { MAX_MESSAGES, mermaidSequence, mermaidText } from "../src/report/mermaid.js";
import type { RunResult, ScenarioResult, TranscriptEntry } from "../src/runner/result.js";
import { runCli } from "./helpers/cli.js";

/**
 * summary.md's Mermaid sequence diagrams (src/report/mermaid.ts). Every line of a diagram must be one
 * of the few statements it writes, with the label text escaped; a real Mermaid (11.x) rendered these
 * diagrams when they were written, but is not a dependency: the line grammar below is the check here.
 */

const NASTY = "a;b #35; <br/> end %% --> ->> : \"q\" 'x' &amp; ``` `tick` {x} [y] | \\ loop alt\nsecond line";
const CLIENT_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='capulet.test' version='1.0'>";

/** Text Mermaid reads as plain: entity codes aside, none of # ; < > & " ` : and no line break. */
const PLAIN = /^(?:[^#;<>&"`:\n]|#\d+;)*$/;
const STATEMENT = [
  /^sequenceDiagram$/,
  /^ {2}participant p\d+ as (.+)$/,
  /^ {2,4}p\d+(?:->>|-->>|-x)p\d+: (.+)$/,
  /^ {2,4}Note over p\d+(?:,p\d+)?: (.+)$/,
  /^ {2}rect rgba\(\d+, \d+, \d+, [\d.]+\)$/,
  /^ {2}end$/,
];

function checkGrammar(text: string): void {
  for (const line of text.split("\n")) {
    const m = STATEMENT.map((re) => re.exec(line)).find(Boolean);
    expect(m, `not a statement of ours: ${line}`).toBeTruthy();
    if (m?.[1] !== undefined) expect(m[1], line).toMatch(PLAIN);
  }
}

function scenario(transcript: TranscriptEntry[], extra: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id: "srv-x-01",
    title: "a title",
    role: "server",
    file: "suites/server/x.scenario",
    requirements: ["SRV-REP-05"],
    verdict: "fail",
    reason: "SRV-REP-05: at /iq@type: expected 'error', received 'result'",
    failedRequirement: "SRV-REP-05",
    notes: [],
    readings: {},
    durationMs: 100,
    transcript,
    ...extra,
  };
}

/** juliet's stream, `before` IQs, the offending result, then `after` messages. */
function longTranscript(before: number, after: number): { transcript: TranscriptEntry[]; evidence: ScenarioResult["evidence"] } {
  const t: TranscriptEntry[] = [
    { t: 0, actor: "juliet", direction: "out", data: CLIENT_OPEN },
    { t: 1, actor: "juliet", direction: "in", data: `${CLIENT_OPEN.replace("to=", "from=")}<stream:features/>` },
  ];
  for (let i = 0; i < before; i++) t.push({ t: 2 + i, actor: "juliet", direction: "out", data: `<iq type='get' id='q${i};#&lt;' to='capulet.test'><query xmlns='jabber:iq:version'/></iq>` });
  const bad = "<iq type='result' id='bad&quot;;#x' from='capulet.test'/>";
  t.push({ t: 500, actor: "juliet", direction: "in", data: bad });
  for (let i = 0; i < after; i++) t.push({ t: 600 + i, actor: "juliet", direction: "out", data: `<message id='m${i}' to='romeo@capulet.test'><body>x</body></message>` });
  return {
    transcript: t,
    evidence: { step: "line 3 (juliet receives:): juliet expected <iq type='error'/>: at /iq@type: expected 'error', received 'result'", line: 3, expected: "<iq type='error'/>", received: [bad] },
  };
}

describe("mermaidText", () => {
  it("writes every character Mermaid or the fence gives a meaning as an entity code, on one line, cut", () => {
    const out = mermaidText(NASTY, 500);
    expect(out).toMatch(PLAIN);
    expect(out).toContain("a#59;b #35;35#59; #60;br/#62;");
    expect(out).toContain("#96;#96;#96;");
    expect(out).toContain("second line");
    expect(mermaidText("x".repeat(200), 20)).toBe(`${"x".repeat(19)}…`);
  });
});

describe("mermaidSequence", () => {
  it("draws lifelines, arrows, the offending stanza on a red band with the difference, and escapes everything", () => {
    const { transcript, evidence } = longTranscript(3, 1);
    transcript.splice(2, 0, { t: 1, actor: "juliet", direction: "note", data: NASTY }, { t: 1, actor: "suite", direction: "note", data: "end" });
    const d = mermaidSequence(scenario(transcript, { evidence }), { role: "server", name: `n ${NASTY}`, protocolVersion: "0.5", software: "Soft;ware 1.0" });
    checkGrammar(d.text);
    const lines = d.text.split("\n");
    expect(lines.slice(0, 3)).toEqual(["sequenceDiagram", "  participant p0 as juliet (client)", "  participant p1 as Soft#59;ware (target server)"]);
    expect(lines).toContain("  p0-->>p1: stream setup (3 stanzas, both ways)");
    expect(lines).toContain("  p0->>p1: iq get q0#59;#35;#60; · query version");
    const band = lines.indexOf("    p1-xp0: ✗ iq result bad#34;#59;#35;x");
    expect(band).toBeGreaterThan(0);
    expect(lines[band - 1]).toMatch(/^ {2}rect /);
    expect(lines[band + 1]).toBe("    Note over p0: at /iq@type#58; expected 'error', received 'result'");
    expect(lines[band + 2]).toBe("  end");
    expect(d).toMatchObject({ shown: d.total });
  });

  it("a stanza that never arrived is a red note on the actor that waited; an error spans the diagram", () => {
    const t: TranscriptEntry[] = [{ t: 0, actor: "juliet", direction: "out", data: CLIENT_OPEN }];
    const missing = mermaidSequence(
      scenario(t, { evidence: { step: "line 5 (juliet receives:): juliet expected <iq type='error'/>: nothing matching within 1500 ms", line: 5, expected: "<iq type='error' id='q'/>", received: [] } }),
    );
    checkGrammar(missing.text);
    expect(missing.text).toContain("    Note over p0: ✗ expected #60;iq type='error' id='q'/#62; never arrived (nothing matching within 1500 ms)");
    const error = mermaidSequence(scenario(t, { verdict: "error", reason: `connection refused; ${NASTY}`, failedRequirement: undefined }));
    checkGrammar(error.text);
    expect(error.text).toMatch(/\n {4}Note over p0,p1: ✗ error#58; connection refused#59; /);
  });

  it("stays bounded: keeps the start and what leads to the failure, and says how many were left out", () => {
    const { transcript, evidence } = longTranscript(80, 20);
    const d = mermaidSequence(scenario(transcript, { evidence }));
    checkGrammar(d.text);
    expect(d.total).toBe(1 + 80 + 1 + 20);
    expect(d.shown).toBe(MAX_MESSAGES);
    const gaps = [...d.text.matchAll(/Note over p0,p1: … (\d+) messages? left out \(full flow in index\.html\) …/g)].map((m) => Number(m[1]));
    expect(gaps).toHaveLength(2);
    expect(gaps[0] + gaps[1] + d.shown).toBe(d.total);
    expect(d.text).toContain("p1-xp0: ✗ iq result");
    // The failure is near the end of what is shown: three stanzas after it, then the second gap.
    const lines = d.text.split("\n");
    const band = lines.findIndex((l) => l.includes("-xp0"));
    expect(lines.slice(band + 3, band + 6).every((l) => l.includes("message m"))).toBe(true);
    expect(lines.at(-1)).toMatch(/left out/);
    expect(mermaidSequence(scenario(transcript, { evidence }), undefined, { maxMessages: 1000 }).shown).toBe(d.total);
  });
});

describe("summary.md", () => {
  const run = (scenarios: ScenarioResult[]): RunResult => ({
    suiteVersion: "0.1.0",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1000,
    targets: [{ role: "server", name: "t", protocolVersion: "0.5", software: "mock" }],
    interrupted: false,
    scenarios,
    requirements: [],
  });

  it("has a Mermaid diagram per failing scenario, failing before erroring, at most ten, the others named", () => {
    const { transcript, evidence } = longTranscript(2, 0);
    const failing = Array.from({ length: 11 }, (_, i) => scenario(transcript, { id: `srv-f-${String(i).padStart(2, "0")}`, evidence }));
    const erroring = scenario(transcript.slice(0, 1), { id: "srv-e-01", verdict: "error", reason: "boom", failedRequirement: undefined });
    const passing = scenario(transcript, { id: "srv-p-01", verdict: "pass", reason: "" });
    const md = buildMarkdownSummary(run([erroring, passing, ...failing]));
    expect(md).toContain("### Stanza flow of the failing scenarios (12)");
    const blocks = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(10);
    for (const b of blocks) checkGrammar(b);
    expect(md.match(/<details open>/g)).toHaveLength(3);
    expect(md).toContain("<summary>❌ <strong>srv-f-00</strong> (fail, SRV-REP-05): a title</summary>");
    expect(md).toContain("2 more not drawn here (see `index.html`): `srv-f-10`, `srv-e-01`.");
    expect(md).not.toContain("srv-p-01</strong>");
    expect(buildMarkdownSummary(run([passing]))).not.toContain("```mermaid");
  });

  it("says when a diagram was cut", () => {
    const { transcript, evidence } = longTranscript(80, 0);
    const md = buildMarkdownSummary(run([scenario(transcript, { evidence })]));
    expect(md).toMatch(/_30 of 82 messages shown, around the failure; every stanza is in `index\.html` and `transcripts\/srv-x-01\.log`\._/);
  });

  describe("of `xep0355 run --role server --mock-fault SRV-REP-05`", () => {
    let dir: string;
    let md: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "xep0355-mermaid-"));
      const ran = await runCli(["run", "--role", "server", "--mock-fault", "SRV-REP-05", "--quiet", "--reports", dir], { killAfterMs: 100_000 });
      expect(ran.code, ran.stderr).toBe(1);
      md = await readFile(join(dir, "summary.md"), "utf8");
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("draws each SRV-REP-05 scenario: juliet asks, the ME's reply is forwarded, the spoofed result reaches juliet", () => {
      const blocks = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
      expect(blocks.length).toBe(3);
      for (const b of blocks) {
        checkGrammar(b);
        expect(b).toContain("participant p0 as juliet (client)");
        expect(b).toMatch(/participant p(\d+) as me \(managing entity\)/);
        expect(b).toMatch(/p0->>p3: iq get rep05\w*-q · pubsub › items/);
        expect(b).toMatch(/p3->>p4: iq set fwd-[\w-]+… · delegation › iq get/);
        expect(b).toMatch(/ {4}p3-xp0: ✗ iq result rep05\w*-q/);
        expect(b).toContain("Note over p0: at /iq@type#58; expected 'error', received 'result'");
      }
    });
  });
});
