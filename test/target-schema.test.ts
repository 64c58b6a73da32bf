import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ejabberdTarget } from "../src/launchers/ejabberd.js";
import { liberviaTarget } from "../src/launchers/libervia-pubsub.js";
import { prosodyTarget } from "../src/launchers/prosody.js";
import { didYouMean } from "../src/target/did-you-mean.js";
import { parseTarget, TargetFileError } from "../src/target/load.js";
import { schemaProblems } from "../src/target/schema.js";
import type { Target } from "../src/target/types.js";

/** What a target looks like written to a file. */
const asFile = <T extends Target>(t: T): T => JSON.parse(JSON.stringify(t)) as T;

/** A valid server target file to break in one place at a time. */
const server = asFile(prosodyTarget({ c2s: 5222, component: 5347 }));
const message = (data: unknown): string => {
  try {
    parseTarget(data, "t.json");
  } catch (err) {
    expect(err).toBeInstanceOf(TargetFileError);
    return (err as Error).message;
  }
  throw new Error("accepted");
};

describe("target file schema (src/target/target-file.schema.json)", () => {
  const launched: [string, Target][] = [
    ["prosody", prosodyTarget({ c2s: 5222, component: 5347 })],
    ["prosody, 16 lanes", prosodyTarget({ c2s: 5222, component: 5347 }, 16)],
    ["ejabberd 23.01", ejabberdTarget("23.01", { c2s: 5222, component: 5347, otherComponent: 5348 })],
    ["ejabberd 24.12, 3 lanes", ejabberdTarget("24.12", { c2s: 5222, component: 5347, otherComponent: 5348, laneComponents: [5349, 5350, 5351, 5352] })],
    ["ejabberd 25.04", ejabberdTarget("25.04", { c2s: 5222, component: 5347, otherComponent: 5348 })],
    ["ejabberd 23.01 with PRV-ROS-01's reader and messenger", ejabberdTarget("23.01", { c2s: 5222, component: 5347, otherComponent: 5348, readerComponent: 5349, messengerComponent: 5350 })],
    ["libervia-pubsub", liberviaTarget(5347)],
  ];

  it.each(launched)("accepts the target the %s launcher generates, and the loader keeps every field of it", (_, target) => {
    const file = asFile(target);
    expect(schemaProblems(file)).toEqual([]);
    expect(asFile(parseTarget(file, "t.json"))).toMatchObject(file);
  });

  it("accepts the examples of docs/target-file.md", () => {
    const doc = readFileSync(new URL("../docs/target-file.md", import.meta.url), "utf8");
    const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as unknown);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) expect(schemaProblems(example)).toEqual([]);
  });

  it("names an unknown key with what it most likely meant, instead of ignoring it", () => {
    expect(message({ ...server, featurs: { filtering: true } })).toBe("target file t.json: field 'featurs' is not a server target field (did you mean 'features'?)");
    expect(message({ ...server, features: { filtring: true } })).toMatch(/field 'features.filtring' is not a server feature \(did you mean 'filtering'\?\)/);
    expect(message({ ...server, accounts: { ...server.accounts, julia: { username: "j", password: "p" } } })).toMatch(/field 'accounts.julia' is not an account \(did you mean 'juliet'\?\)/);
    expect(message({ ...server, colour: "red" })).toMatch(/field 'colour' is not a server target field \(known: name, host, domain, /);
  });

  it("a mistyped required key is one problem, not two", () => {
    const { domain: _, ...rest } = server;
    expect(message({ ...rest, domian: "capulet.test" })).toBe("target file t.json: field 'domian' is not a server target field (did you mean 'domain'?)");
  });

  it("gives the field path of wrong values, several problems at once", () => {
    expect(message({ ...server, c2sPort: 70000, timeouts: { step: -1 } })).toMatch(
      /^target file t.json: field 'c2sPort' must be a port number \(0-65535\); field 'timeouts.step' must be a positive number of milliseconds/,
    );
    expect(message({ ...server, delegations: { plain: { namespace: "" }, filtered: { namespace: "urn:xmpp:mam:2" } } })).toBe(
      "target file t.json: field 'delegations.plain.namespace' must be a non-empty string; field 'delegations.filtered.attributes' must list at least one filtering attribute",
    );
    expect(message({ ...server, version: 3 })).toMatch(/field 'version' must be one of: "auto", 1, 2/);
    expect(message({ ...server, accounts: { juliet: server.accounts.juliet } })).toMatch(/field 'accounts.romeo' is missing$/);
    expect(message({ ...server, features: { clientMode: "yes" } })).toMatch(/field 'features.clientMode' must be true or false/);
    expect(message({ role: "nope" })).toMatch(/field 'role' must be one of: "server", "component"/);
    expect(message([])).toMatch(/field '\(top level\)' must be an object/);
  });

  it("checks what a schema cannot say: lanes are delegating domains of their own", () => {
    const lane = { domain: "capulet.test", components: { managing: { jid: "pubsub.l2", secret: "x" } } };
    expect(message({ ...server, lanes: [lane] })).toMatch(/field 'lanes.0.domain' must be a delegating domain of its own/);
  });

  it("XEP-0356 (PRV-ROS-01): components.reader and .messenger with their grants, the target's only, not a lane's", () => {
    expect(server.components.reader?.jid).toBe("reader.capulet.test");
    expect(server.privileges).toMatchObject({ reader: { roster: "get" }, messenger: { roster: "none", message: "outgoing" } });
    const { reader: _, messenger: __, ...rest } = server.components;
    const loaded = parseTarget({ ...server, components: rest }, "t.json");
    expect(loaded.role === "server" && Object.keys(loaded.components).sort()).toEqual(["managing", "other"]);
    const lane = { domain: "l2.capulet.test", components: { managing: { jid: "pubsub.l2", secret: "x" }, reader: { jid: "reader.l2", secret: "x" } } };
    expect(message({ ...server, lanes: [lane] })).toMatch(/field 'lanes.0.components.reader' is not a component/);
    expect(message({ ...server, components: { ...server.components, readr: { jid: "r", secret: "x" } } })).toMatch(/field 'components.readr' is not a component \(did you mean 'reader'\?\)/);
  });

  it("an optional $schema key is allowed (editors use it)", () => {
    expect(schemaProblems({ $schema: "../src/target/target-file.schema.json", ...server })).toEqual([]);
  });
});

describe("didYouMean", () => {
  it("finds one edit in three letters, letter case aside, and nothing farther", () => {
    expect(didYouMean("featurs", ["features", "timeouts"])).toBe("features");
    expect(didYouMean("C2sPort", ["c2sPort", "componentPort"])).toBe("c2sPort");
    expect(didYouMean("tiemouts", ["features", "timeouts"])).toBe("timeouts");
    expect(didYouMean("colour", ["features", "timeouts"])).toBeUndefined();
  });
});
