import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioSyntaxError } from "../src/scenario/parse.js";
import { loadSuite } from "../src/scenario/load.js";

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
