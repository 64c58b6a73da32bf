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
