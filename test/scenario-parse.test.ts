import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioSyntaxError } from "../src/scenario/parse.js";
import { loadSuite } from "../src/scenario/load.js";
import { runTextScenario } from "../src/runner/interpreter.js";
import type { ScenarioContext } from "../src/runner/context.js";

const header = "id: x\ntitle: t\nrole: server\nrequirements: SRV-FWD-01\n\ncast:\n  juliet: client\n  me: component managing\n\n";

describe("scenario text format", () => {
  it("parses steps, blocks, durations and requirement tags", () => {
    const s = parseScenario(
      header + "me connects\njuliet sends:\n  <iq id='a'/>\n\nme receives within 500ms: [SRV-FWD-07]\n  <iq/>\nme receives nothing within 100ms\nwait 10ms\n",
      "x.scenario",
    );
    expect(s.steps.map((st) => st.kind)).toEqual(["connect", "send", "receive", "receive-nothing", "wait"]);
    expect(s.steps[2]).toMatchObject({ withinMs: 500, requirement: "SRV-FWD-07", xml: "<iq/>", line: 14 });
    expect(s.cast).toEqual([
      { name: "juliet", kind: "client", ref: "juliet" },
      { name: "me", kind: "component", ref: "managing" },
    ]);
  });

  it("parses a 'finally:' section into clean-up steps, once, with steps on both sides", () => {
    const s = parseScenario(header + "juliet connects\njuliet sends:\n  <iq id='a'/>\nfinally:\njuliet sends:\n  <iq id='b'/>\n", "x.scenario");
    expect(s.steps.map((st) => st.kind)).toEqual(["connect", "send"]);
    expect(s.cleanup?.map((st) => st.line)).toEqual([14]);
    expect(() => parseScenario(header + "juliet connects\nfinally:\n", "x.scenario")).toThrow(/needs steps after it/);
    expect(() => parseScenario(header + "finally:\njuliet connects\n", "x.scenario")).toThrow(/needs steps before it/);
    expect(() => parseScenario(header + "juliet connects\nfinally:\njuliet connects\nfinally:\njuliet connects\n", "x.scenario")).toThrow(/twice/);
  });

  it("runs the clean-up steps after a failing check, notes a failing clean-up step and keeps the check's failure", async () => {
    const s = parseScenario(header + "juliet connects\njuliet sends:\n  <iq id='check'/>\nfinally:\njuliet sends:\n  <iq id='undo'/>\njuliet disconnects\n", "x.scenario");
    const sent: string[] = [];
    const notes: string[] = [];
    const ctx = {
      defaultRequirement: "SRV-FWD-01",
      connect: async () => undefined,
      send: async (_actor: string, xml: string) => {
        sent.push(xml);
        if (xml.includes("check")) throw new Error("the check failed");
        if (xml.includes("undo")) throw new Error("the undo failed too");
      },
      disconnect: async () => sent.push("disconnect"),
      note: (text: string) => notes.push(text),
    } as unknown as ScenarioContext;
    await expect(runTextScenario(s, ctx)).rejects.toThrow(/line 11 .*the check failed/);
    // The clean-up ran, stopped at its first failure (no disconnect), and said so.
    expect(sent).toEqual(["<iq id='check'/>", "<iq id='undo'/>"]);
    expect(notes).toEqual([expect.stringMatching(/^clean-up stopped at line 14 .*the undo failed too/)]);
  });

  it("parses 'receives one of' and 'it matches one of' with their named readings", () => {
    const s = parseScenario(
      header +
        "juliet receives one of: [SRV-REP-07]\n  reading strict:\n    <iq type='error' id='q'>\n      <error/>\n    </iq>\n  reading lenient:\n    <iq type='result' id='q'/>\n" +
        "it matches one of:\n  reading keeps-to:\n    <iq to='x'/>\n  reading no-to:\n    <iq match:absent='to'/>\n",
      "x.scenario",
    );
    expect(s.steps[0]).toMatchObject({
      kind: "receive-one-of",
      actor: "juliet",
      requirement: "SRV-REP-07",
      alternatives: [
        { reading: "strict", xml: "<iq type='error' id='q'>\n      <error/>\n    </iq>" },
        { reading: "lenient", xml: "<iq type='result' id='q'/>" },
      ],
    });
    expect(s.steps[1]).toMatchObject({ kind: "it-matches-one-of", alternatives: [{ reading: "keeps-to" }, { reading: "no-to" }] });
  });

  it.each([
    ["one reading only", header + "juliet receives one of:\n  reading strict:\n    <iq/>\n", /needs at least two 'reading NAME:' alternatives/],
    ["a stanza outside a reading", header + "juliet receives one of:\n  <iq/>\n", /x.scenario:11: expected 'reading NAME:'/],
    ["a reading without stanza", header + "juliet receives one of:\n  reading a:\n  reading b:\n    <iq/>\n", /'reading a:' needs an indented stanza/],
  ])("rejects a 'one of' block with %s", (_what, source, message) => {
    expect(() => parseScenario(source, "x.scenario")).toThrow(message);
  });

  it.each([
    ["an unknown step", header + "juliet sendz:\n  <iq/>\n", /x.scenario:10: unknown step 'juliet sendz:'/],
    ["an actor not in the cast", header + "romeo connects\n", /x.scenario:10: actor 'romeo' is not in the cast/],
    ["a missing stanza block", header + "juliet sends:\nme connects\n", /x.scenario:10: step 'juliet sends:' needs an indented stanza/],
    ["a missing header", "title: t\nrole: server\nrequirements: SRV-FWD-01\ncast:\n  a: client\na connects\n", /missing header 'id:'/],
    ["a bad requirement ID", header.replace("SRV-FWD-01", "fwd1") + "me connects\n", /'fwd1' is not a catalogue ID/],
    ["an unknown need", header.replace("cast:", "needs: teleport\ncast:") + "me connects\n", /unknown need 'teleport'/],
  ])("names file and line for %s", (_what, source, message) => {
    expect(() => parseScenario(source, "x.scenario")).toThrow(ScenarioSyntaxError);
    expect(() => parseScenario(source, "x.scenario")).toThrow(message);
  });

  it("loads every shipped scenario without error", async () => {
    expect((await loadSuite("server")).length).toBeGreaterThan(40);
    expect((await loadSuite("component")).length).toBeGreaterThan(5);
  });
});
