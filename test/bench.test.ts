import { describe, expect, it } from "vitest";
import { LatencyHistogram, taxRatio } from "../src/bench/stats.js";
import { checkAnswer } from "../src/bench/iq-kinds.js";
import { parseXml } from "../src/xml/element.js";
import { spawn } from "node:child_process";
import { BIN, runCli, type CommandOutcome } from "./helpers/cli.js";

type Outcome = CommandOutcome;

function bench(args: string[]): Promise<Outcome> {
  return runCli(["bench", ...args], { killAfterMs: 30_000 });
}

/**
 * `xep0355 bench ARGS` sent Ctrl-C after `afterMs`. A process still starting up has no handler yet
 * and dies of the signal (no exit code): then again, later (a busy machine starts slowly).
 */
async function benchInterrupted(args: string[], afterMs = 1500): Promise<Outcome & { signal: NodeJS.Signals | null }> {
  for (let delay = afterMs; ; delay *= 2) {
    const outcome = await new Promise<Outcome & { signal: NodeJS.Signals | null }>((resolve) => {
      const started = Date.now();
      const child = spawn(BIN, ["bench", ...args]);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const interrupt = setTimeout(() => child.kill("SIGINT"), delay);
      const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (code, signal) => {
        clearTimeout(interrupt);
        clearTimeout(guard);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      });
    });
    if (outcome.signal !== "SIGINT" || delay >= 8 * afterMs) return outcome;
  }
}

const TINY = ["--duration", "0.3", "--users", "2", "--in-flight", "4", "--json"];

function phaseShape() {
  return { iqPerSec: expect.any(Number), p50Ms: expect.any(Number), p99Ms: expect.any(Number), errors: expect.any(Number) };
}

describe("xep0355 bench", () => {
  it("prints exactly the JSON shape against the embedded mock, with right answers only, in bounded time", async () => {
    const out = await bench(TINY);
    expect(out.stderr).toBe("");
    const json = JSON.parse(out.stdout);
    expect(Object.keys(json)).toEqual(["delegated", "plain", "ratio"]);
    expect(Object.keys(json.delegated)).toEqual(["iqPerSec", "p50Ms", "p99Ms", "errors"]);
    expect(json).toEqual({ delegated: phaseShape(), plain: phaseShape(), ratio: expect.any(Number) });
    expect(json.delegated.errors).toBe(0);
    expect(json.plain.errors).toBe(0);
    expect(json.delegated.iqPerSec).toBeGreaterThan(0);
    expect(json.plain.iqPerSec).toBeGreaterThan(0);
    expect(out.code).toBe(0);
    expect(out.ms).toBeLessThan(20_000);
  });

  it("counts a managing entity's wrong answers as errors, not as speed (ME-REP-02: new id, bare 'to')", async () => {
    const out = await bench([...TINY, "--mock-fault", "ME-REP-02"]);
    const json = JSON.parse(out.stdout);
    expect(json.delegated.errors).toBeGreaterThan(0);
    expect(json.delegated.iqPerSec).toBe(0);
    expect(json.plain.errors).toBe(0);
    expect(json.ratio).toBeNull();
    expect(out.code).toBe(1);
    expect(out.ms).toBeLessThan(20_000);
  });

  it("counts unwrapped replies relayed raw as errors (ME-REP-01 with SRV-REP-09), and names them in the table", async () => {
    const out = await bench(["--duration", "0.3", "--users", "2", "--mock-fault", "ME-REP-01,SRV-REP-09"]);
    expect(out.stdout).toMatch(/delegated errors: \d+ unwrapped/);
    expect(out.code).toBe(1);
  });

  it("drives the echo target and stops cleanly on Ctrl-C", async () => {
    const echo = await bench(["--against", "echo", ...TINY]);
    expect(JSON.parse(echo.stdout).plain.errors).toBe(0);
    expect(echo.code).toBe(0);
    // Two 10 s phases unless Ctrl-C ends it: exit 130 (not 0, not a kill) shows it stopped at once.
    const interrupted = await benchInterrupted(["--against", "echo", "--duration", "10"]);
    expect(interrupted.code, interrupted.stderr).toBe(130);
  });

  it("refuses bad usage with exit 2", async () => {
    expect((await bench(["--duration", "1", "--count", "5"])).code).toBe(2);
    expect((await bench(["--users", "0"])).code).toBe(2);
    expect((await bench(["--against", "echo", "--mock-fault", "ME-REP-02"])).code).toBe(2);
  });
});

describe("bench building blocks", () => {
  it("percentiles of the latency histogram", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.percentile(0.5)).toBeCloseTo(50, 1);
    expect(h.percentile(0.99)).toBeCloseTo(99, 1);
    expect(new LatencyHistogram().percentile(0.5)).toBe(0);
  });

  it("the delegation tax is delegated cost over plain cost", () => {
    expect(taxRatio({ iqPerSec: 10_000, p50Ms: 0, p99Ms: 0, errors: 0 }, { iqPerSec: 25_000, p50Ms: 0, p99Ms: 0, errors: 0 })).toBe(2.5);
    expect(taxRatio({ iqPerSec: 0, p50Ms: 0, p99Ms: 0, errors: 3 }, { iqPerSec: 25_000, p50Ms: 0, p99Ms: 0, errors: 0 })).toBeNull();
  });

  it("checks answers: type, wrapper, payload", () => {
    const ok = parseXml("<iq type='result' id='a'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='xep0355-bench'/></pubsub></iq>");
    expect(checkAnswer("delegated", ok)).toBeUndefined();
    expect(checkAnswer("plain", parseXml("<iq type='result' id='a'/>"))).toBeUndefined();
    expect(checkAnswer("plain", parseXml("<iq type='error' id='a'/>"))).toBe("error-answer");
    expect(checkAnswer("delegated", parseXml("<iq type='result' id='a'/>"))).toBe("wrong-payload");
    expect(checkAnswer("delegated", parseXml("<iq type='result' id='a'><forwarded xmlns='urn:xmpp:forward:0'/></iq>"))).toBe("unwrapped");
    expect(checkAnswer("delegated", parseXml("<iq type='get' id='a'/>"))).toBe("wrong-type");
  });
});
