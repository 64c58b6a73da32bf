import { describe, expect, it } from "vitest";
import { managingNestingResponder, nestingResponder, probeFeature } from "../src/actors/nesting-responder.js";
import { parseTarget, TargetFileError } from "../src/target/load.js";
import { parseXml, serialize } from "../src/xml/element.js";

const base = {
  role: "server",
  domain: "capulet.test",
  c2sPort: 5222,
  componentPort: 5347,
  accounts: { juliet: { username: "juliet", password: "a" }, romeo: { username: "romeo", password: "b" } },
  components: { managing: { jid: "pubsub.capulet.test", secret: "s" } },
  delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
};

describe("target file: undelegatedDomain (SRV-FWD-11)", () => {
  it("is optional and read when present", () => {
    expect(parseTarget(base, "t.json")).not.toHaveProperty("undelegatedDomain");
    expect(parseTarget({ ...base, undelegatedDomain: "undelegated.capulet.test" }, "t.json")).toMatchObject({ undelegatedDomain: "undelegated.capulet.test" });
  });
  it("must be a second hosted domain: neither domain nor foreignDomain", () => {
    expect(() => parseTarget({ ...base, undelegatedDomain: "capulet.test" }, "t.json")).toThrow(TargetFileError);
    expect(() => parseTarget({ ...base, undelegatedDomain: "capulet.test" }, "t.json")).toThrow(/'undelegatedDomain' must be a second hosted domain/);
    expect(() => parseTarget({ ...base, undelegatedDomain: "montague.example" }, "t.json")).toThrow(/'undelegatedDomain' must be a domain the server hosts/);
    expect(() => parseTarget({ ...base, undelegatedDomain: "" }, "t.json")).toThrow(/'undelegatedDomain' must be a non-empty string/);
  });
});

const ask = (node: string) => parseXml(`<iq type='get' id='n1' from='capulet.test' to='pubsub.capulet.test'><query xmlns='http://jabber.org/protocol/disco#info' node='${node}'/></iq>`);
const features = (answer: ReturnType<ReturnType<typeof nestingResponder>>) =>
  answer?.getChild("query", "http://jabber.org/protocol/disco#info")?.getChildren("feature").map((f) => String(f.attrs.var));

describe("the managing entity's nesting answers", () => {
  it("lists the namespace and its probe feature for a delegated namespace (SRV-DSC-02)", () => {
    const answer = nestingResponder("urn:xmpp:delegation:2")(ask("urn:xmpp:delegation:2::http://jabber.org/protocol/pubsub"));
    expect(answer?.attrs).toMatchObject({ type: "result", id: "n1", to: "capulet.test", from: "pubsub.capulet.test" });
    expect(features(answer)).toEqual(["http://jabber.org/protocol/pubsub", probeFeature("http://jabber.org/protocol/pubsub")]);
  });
  it("never lists the delegation namespace itself when a server nests it (SRV-ADV-05; keeps SRV-DSC-01 honest)", () => {
    for (const v of [1, 2]) {
      const ns = `urn:xmpp:delegation:${v}`;
      for (const node of [`${ns}::${ns}`, `${ns}:bare:${ns}`]) {
        const listed = features(nestingResponder(ns)(ask(node)));
        expect(listed).toHaveLength(1);
        expect(listed![0]).toMatch(/^urn:xep0355-suite:probe/);
      }
    }
  });
  it("with version auto (doctor, version detection) answers both revisions' nodes as the run's managing entity would", () => {
    const auto = managingNestingResponder("auto");
    for (const v of [1, 2] as const) {
      const node = `urn:xmpp:delegation:${v}::urn:xmpp:mam:2`;
      const expected = nestingResponder(`urn:xmpp:delegation:${v}`)(ask(node));
      expect(expected).toBeDefined();
      expect(serialize(auto(ask(node))!)).toBe(serialize(expected!));
    }
    expect(managingNestingResponder(2)(ask("urn:xmpp:delegation:1::urn:xmpp:mam:2"))).toBeUndefined();
    expect(auto(parseXml("<iq type='get' id='x'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"))).toBeUndefined();
  });
});
