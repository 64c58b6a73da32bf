import { afterEach, describe, expect, it } from "vitest";
import { COMPONENT_FAULTS, COMPONENT_READINGS, startMockComponent, type ComponentFault, type ComponentReadings, type RunningMockComponent } from "../mocks/component/index.js";
import { ComponentActor } from "../src/actors/component-actor.js";
import { ServerActor } from "../src/actors/server-actor.js";
import { Transcript } from "../src/actors/transcript.js";
import { loadCatalogue } from "../src/catalogue/catalogue.js";
import { ComponentTargetDriver } from "../src/runner/drivers/component-target-driver.js";
import { MockComponentDriver, mockComponentTarget } from "../src/runner/drivers/mock-component-driver.js";
import type { TargetDriver } from "../src/runner/environment.js";
import type { ScenarioResult } from "../src/runner/result.js";
import { runScenario } from "../src/runner/run-scenario.js";
import { runSuite } from "../src/runner/runner.js";
import { loadSuite } from "../src/scenario/load.js";
import type { Scenario } from "../src/scenario/model.js";
import { parseScenario } from "../src/scenario/parse.js";
import { parseTarget } from "../src/target/load.js";
import type { ComponentTarget } from "../src/target/types.js";
import { parseXml } from "../src/xml/element.js";
import { expectFaultRun, expectSoundBaseline, recordBaseline, runRecorded, scenariosFor, type Baseline } from "./helpers/fault-matrix.js";

/** The managing entity's rows: section G (admin mode) and section H (client mode, ME-CLI-*). */
const ME_IDS = loadCatalogue()
  .filter((r) => r.section === "G" || r.section === "H")
  .map((r) => r.id);
const H_IDS = loadCatalogue()
  .filter((r) => r.section === "H")
  .map((r) => r.id);
/** XEP-0356's privileged-entity rows (its section G): the mock component is a privileged entity too. */
const PE_IDS = loadCatalogue("0356")
  .filter((r) => r.section === "G")
  .map((r) => r.id);
const scenarios = await loadSuite("component");
const clientModeScenarios = scenarios.filter((s) => H_IDS.includes(s.requirements[0]));

async function runAgainst(driver: TargetDriver, list: Scenario[] = scenarios): Promise<ScenarioResult[]> {
  const target = await driver.prepare();
  try {
    return (await runSuite(list, driver, target, { concurrency: 4, scenarioDeadlineMs: 20_000 })).results;
  } finally {
    await driver.close();
  }
}

function describeResults(results: ScenarioResult[]): string {
  return results.map((r) => `${r.verdict.padEnd(6)} ${r.id}${r.reason ? ` — ${r.reason}` : ""}`).join("\n");
}

describe("component suite: coverage", () => {
  it("has at least one scenario for every G and H ID of the catalogue, and for every PE-* row of XEP-0356's", () => {
    expect(ME_IDS).toHaveLength(16);
    expect(H_IDS).toEqual(["ME-CLI-01", "ME-CLI-02", "ME-CLI-03"]);
    expect(PE_IDS).toEqual(["PE-ADV-01", "PE-ADV-02", "PE-IQ-01", "PE-MSG-01", "PE-ROB-01"]);
    for (const id of [...ME_IDS, ...PE_IDS]) expect(scenarios.filter((s) => s.requirements.includes(id)).map((s) => s.id), id).not.toHaveLength(0);
  });

  it("names only G, H and PE-* IDs, and has one fault switch per G, H and PE-* ID but the ambiguous ones, which have readings", () => {
    for (const s of scenarios) for (const id of s.requirements) expect([...ME_IDS, ...PE_IDS], `${s.id}: ${id}`).toContain(id);
    // An ambiguous row is reported, never failed: the mock follows each of its readings instead of breaking it.
    const ambiguous = [...loadCatalogue(), ...loadCatalogue("0356")].filter((r) => r.level === "ambiguous").map((r) => r.id);
    expect(Object.keys(COMPONENT_FAULTS).sort()).toEqual([...ME_IDS, ...PE_IDS].filter((id) => !ambiguous.includes(id)).sort());
    expect(Object.keys(COMPONENT_READINGS).sort()).toEqual([...ME_IDS, ...PE_IDS].filter((id) => ambiguous.includes(id)).sort());
  });

  it("client-mode scenarios (section H) need clientMode and probe for it at their first check", () => {
    expect(clientModeScenarios.map((s) => s.requirements[0]).sort()).toEqual(expect.arrayContaining(H_IDS));
    for (const s of clientModeScenarios) {
      expect(s.needs, s.id).toContain("clientMode");
      expect(s.probesSupport, s.id).toBe(true);
      expect(s.kind === "text" && s.steps.find((step) => step.kind === "receive")?.otherwiseNotSupported, `${s.id}: first 'receives' is 'otherwise not supported'`).toBe(true);
    }
    for (const s of scenarios.filter((x) => !clientModeScenarios.includes(x))) expect(s.needs, s.id).not.toContain("clientMode");
  });
});

describe("component suite against the healthy mock component", () => {
  for (const version of [2, 1] as const) {
    it(`passes every scenario with urn:xmpp:delegation:${version}`, async () => {
      const results = await runAgainst(new MockComponentDriver({ version, faults: [] }));
      expect(results).toHaveLength(scenarios.length);
      const applicable = (id: string) => scenarios.find((s) => s.id === id)!.versions.includes(version);
      expect(results.filter((r) => r.verdict !== (applicable(r.id) ? "pass" : "not-applicable")), describeResults(results)).toEqual([]);
    }, 20_000);
  }

  it("runs ME-SEC-02 on 0.5 only (security consideration 4 arrived in 0.5)", () => {
    expect(scenarios.filter((s) => s.requirements[0] === "ME-SEC-02").map((s) => s.versions)).toEqual([[2]]);
  });
});

describe("component suite: ambiguous rows pass whichever reading the mock follows, and record it", () => {
  for (const [id, readings] of Object.entries(COMPONENT_READINGS) as [keyof typeof COMPONENT_READINGS, readonly string[]][]) {
    for (const reading of readings) {
      it(`${id}: reading ${reading}`, async () => {
        const list = scenarios.filter((s) => s.requirements[0] === id);
        expect(list.length).toBeGreaterThan(0);
        const results = await runAgainst(new MockComponentDriver({ version: 2, faults: [], readings: { [id]: reading } as ComponentReadings }), list);
        expect(results.filter((r) => r.verdict !== "pass"), describeResults(results)).toEqual([]);
        for (const r of results) expect(r.readings[id], r.id).toBe(reading);
      });
    }
  }
});

describe("component suite against an admin-mode-only mock component (client mode off, undeclared)", () => {
  it("reports every client-mode scenario not-supported with what the component did, and passes the rest", async () => {
    const results = await runAgainst(new MockComponentDriver({ version: 2, faults: [], clientMode: false }));
    const summary = describeResults(results);
    for (const r of results) {
      if (clientModeScenarios.some((s) => s.id === r.id)) {
        expect(r.verdict, summary).toBe("not-supported");
        // The evidence: the undeclared feature, the probe that got no request, what arrived instead.
        expect(r.reason, r.id).toMatch(/does not declare features\.clientMode, and the target did not show support: .*nothing matching within \d+ ms/);
        expect(r.transcript.some((e) => e.data.includes("type=\"subscribe\"") || e.data.includes("type='subscribe'")), r.id).toBe(true);
      } else expect(r.verdict, summary).toBe("pass");
    }
  }, 20_000);

  it("fails, not skips, a client-mode scenario on a component that declares client mode and does not show it", async () => {
    // The mock's client mode is off, but the target says it is on (features.clientMode).
    const driver = new MockComponentDriver({ version: 2, faults: [], clientMode: false });
    driver.unsupported = () => undefined;
    const results = await runAgainst(driver, clientModeScenarios);
    expect(results.map((r) => r.verdict), describeResults(results)).toEqual(results.map(() => "fail"));
    for (const r of results) expect(r.failedRequirement, r.id).toBe(scenarios.find((s) => s.id === r.id)!.requirements[0]);
  }, 20_000);
});

describe("component suite: fault matrix (exactly the scenarios naming the fault's ID fail; pruned by consulted switches, test/helpers/fault-matrix.ts)", () => {
  const driver = (faults: ComponentFault[]) => new MockComponentDriver({ version: 2, faults });
  let ground: Promise<Baseline> | undefined;
  const baseline = () => (ground ??= recordBaseline(driver, scenarios, 4));

  it("baseline: every scenario passes fault-free, and its mock records the fault switches it looks up", async () => {
    expectSoundBaseline(scenarios, await baseline());
  });

  for (const fault of Object.keys(COMPONENT_FAULTS) as ComponentFault[]) {
    it(`${fault}: ${COMPONENT_FAULTS[fault]}`, async () => {
      const base = await baseline();
      const run = await runRecorded(driver, [fault], scenariosFor(fault, scenarios, base), 4);
      expectFaultRun(fault, scenarios, base, run, describeResults(run.results));
    }, 20_000);
  }
});

describe("ServerActor", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  const role = () => {
    const target = mockComponentTarget(2);
    return {
      domain: target.domain,
      component: target.component,
      version: 2 as const,
      delegations: [target.delegations.plain],
      accounts: ["juliet", "romeo"],
      host: "127.0.0.1",
      port: 0,
      connectTimeoutMs: 1000,
    };
  };

  it("verifies the handshake: a wrong secret gets not-authorized, and connect() says so", async () => {
    const options = role();
    const server = await ServerActor.listen("server", options);
    cleanups.push(() => server.dispose());
    server.attachTranscript(new Transcript());
    await expect(
      startMockComponent({ host: "127.0.0.1", port: server.port, jid: options.component.jid, secret: "wrong", serverDomain: options.domain, version: 2, faults: [], connectTimeoutMs: 1000 }),
    ).rejects.toThrow();
    await expect(server.connect()).rejects.toThrow(/not-authorized/);
  });

  it("answers disco#info and roster gets to users by itself, advertises, redacts the handshake", async () => {
    const options = { ...role(), privileges: { roster: "get", message: "outgoing" } as const };
    const server = await ServerActor.listen("server", options);
    cleanups.push(() => server.dispose());
    const transcript = new Transcript();
    server.attachTranscript(transcript);
    const component = new ComponentActor("me", new Transcript(), { host: "127.0.0.1", port: server.port, connectTimeoutMs: 1000 }, options.component);
    cleanups.push(() => component.dispose());
    await component.connect();
    await server.connect();
    const captures = new Map<string, string>();
    await component.expect(parseXml(`<message from='capulet.test'><delegation xmlns='urn:xmpp:delegation:2'><delegated namespace='http://jabber.org/protocol/pubsub'/></delegation></message>`), 1000, captures);
    await component.expect(parseXml(`<message from='capulet.test'><privilege xmlns='urn:xmpp:privilege:2'><perm access='roster' type='get'/><perm access='message' type='outgoing'/></privilege></message>`), 1000, captures);

    const ask = async (xml: string, answer: string) => {
      await component.send(parseXml(xml));
      await component.expect(parseXml(answer), 1000, captures);
    };
    const me = options.component.jid;
    await ask(`<iq type='get' id='a1' from='${me}' to='juliet@capulet.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, `<iq type='result' id='a1'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account'/></query></iq>`);
    await ask(`<iq type='get' id='a2' from='${me}' to='romeo@capulet.test'><query xmlns='jabber:iq:roster'/></iq>`, `<iq type='result' id='a2'><query xmlns='jabber:iq:roster'/></iq>`);
    await ask(`<iq type='get' id='a3' from='${me}' to='nobody@capulet.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, `<iq type='error' id='a3'><error><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    await ask(`<iq type='get' id='a4' from='${me}' to='capulet.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, `<iq type='result' id='a4'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:delegation:2'/></query></iq>`);
    expect(server.autoAnswered.map((a) => a.stanza.attrs.id)).toEqual(["a1", "a2", "a3", "a4"]);
    // Not for the scenario: nothing of that reached the inbox; other stanzas do.
    await server.expectNothing(undefined, 50, 0, captures);
    await component.send(parseXml(`<message from='${me}' to='juliet@capulet.test/x' id='m1'><body>hi</body></message>`));
    await server.expect(parseXml(`<message id='m1'/>`), 1000, captures);

    const all = transcript.entries.map((e) => e.data).join("\n");
    expect(all).toContain("<handshake>[redacted]</handshake>");
    expect(all).not.toContain(options.component.secret);
  });

  it("drives the mock component's programmable behaviours (twice, never, disconnect)", async () => {
    const options = role();
    const server = await ServerActor.listen("server", options);
    cleanups.push(() => server.dispose());
    server.attachTranscript(new Transcript());
    const component = await startMockComponent({
      host: "127.0.0.1",
      port: server.port,
      jid: options.component.jid,
      secret: options.component.secret,
      serverDomain: options.domain,
      version: 2,
      faults: [],
      forwardBehaviour: (inner) => (inner.attrs.id === "twice" ? { kind: "twice" } : { kind: "normal" }),
    });
    cleanups.push(() => component.stop());
    await server.connect();
    const captures = new Map<string, string>();
    const forward = (id: string, marker = "") =>
      server.send(
        server.forward(
          parseXml(
            `<iq type='get' id='${id}' from='juliet@capulet.test/r' to='juliet@capulet.test'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'/></pubsub>${marker}</iq>`,
          ),
          `fwd-${id}`,
        ),
      );
    await forward("twice");
    await server.expect(parseXml(`<iq type='result' id='fwd-twice'/>`), 1000, captures);
    await server.expect(parseXml(`<iq type='result' id='fwd-twice'/>`), 1000, captures);
    await forward("never", `<behaviour xmlns='urn:xep0355-suite:mock-component' kind='never'/>`);
    await server.expectNothing(parseXml(`<iq id='fwd-never'/>`), 150, 0, captures);
    expect(server.streamOpen).toBe(true);
    await forward("bye", `<behaviour xmlns='urn:xep0355-suite:mock-component' kind='disconnect'/>`);
    await expect(server.expect(parseXml(`<iq id='fwd-bye'/>`), 1000, captures)).rejects.toThrow(/stream closed/);
    expect(server.streamOpen).toBe(false);
  });

  it("virtual users have addresses but no connection", async () => {
    const scenario = parseScenario(
      [
        "id: virtual-user-misuse",
        "title: juliet cannot send in the component role",
        "role: component",
        "requirements: ME-REP-01",
        "cast:",
        "  server: server",
        "  juliet: client",
        "server connects",
        "server sends:",
        "  <message from='${juliet.full}' to='${component}' id='v1'/>",
        "juliet sends:",
        "  <iq type='get' id='v2'/>",
      ].join("\n"),
      "virtual.scenario",
    );
    const driver = new MockComponentDriver({ version: 2, faults: [] });
    const result = await runScenario(scenario, driver, "abc123", { version: 2, deadlineMs: 5000 });
    expect(result.verdict).toBe("error");
    expect(result.reason).toMatch(/users are virtual/);
    expect(result.transcript.some((e) => e.data.includes("juliet@capulet.test/juliet-abc123"))).toBe(true);
  });
});

describe("ComponentTargetDriver (a component that connects once)", () => {
  const components: RunningMockComponent[] = [];
  afterEach(async () => {
    for (const c of components.splice(0)) await c.stop();
  });

  it("runs the suite one scenario at a time on the component's single connection, and waits for a reconnection", async () => {
    const target = { ...mockComponentTarget(2), name: "mock component as an external target" };
    const driver = new ComponentTargetDriver(target);
    const start = async () => {
      while (!driver.port) await new Promise((r) => setTimeout(r, 5));
      components.push(
        await startMockComponent({ host: "127.0.0.1", port: driver.port, jid: target.component.jid, secret: target.component.secret, serverDomain: target.domain, version: 2, faults: [] }),
      );
    };
    const [description] = await Promise.all([driver.prepare(), start()]);
    expect(description.software).toMatch(/xep0355-mock-component/);
    try {
      const outcome = await runSuite(scenarios, driver, description, { concurrency: 4, scenarioDeadlineMs: 20_000 });
      expect(outcome.results.filter((r) => r.verdict !== "pass"), describeResults(outcome.results)).toEqual([]);

      // A scenario that closes the stream; the next one waits for the component to come back.
      const closing = parseScenario(
        ["id: closes", "title: closes the stream", "role: component", "requirements: ME-DSC-01", "cast:", "  server: server", "server connects", "server disconnects"].join("\n"),
        "closes.scenario",
      );
      expect((await runScenario(closing, driver, "c1", { version: 2, deadlineMs: 5000 })).verdict).toBe("pass");
      const dsc = scenarios.find((s) => s.id === "me-dsc-01-delegation-feature")!;
      const [again] = await Promise.all([runScenario(dsc, driver, "c2", { version: 2, deadlineMs: 5000 }), start()]);
      expect(again.verdict, again.reason).toBe("pass");
    } finally {
      await driver.close();
    }
  }, 20_000);
});

describe("component target file: features.clientMode (catalogue section H)", () => {
  const file = (features?: unknown) => ({
    role: "component",
    listenPort: 5347,
    domain: "capulet.test",
    component: { jid: "pubsub.capulet.test", secret: "s" },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    ...(features === undefined ? {} : { features }),
  });

  it("is read from the file, and the drivers run client-mode scenarios only when it is declared", () => {
    const declared = parseTarget(file({ clientMode: true }), "t.json") as ComponentTarget;
    const undeclared = parseTarget(file(), "t.json") as ComponentTarget;
    expect(declared.features).toEqual({ clientMode: true });
    expect(undeclared.features).toBeUndefined();
    expect(new ComponentTargetDriver(declared).unsupported(["clientMode"])).toBeUndefined();
    expect(new ComponentTargetDriver(undeclared).unsupported(["clientMode"])).toBe("target file does not declare features.clientMode");
    expect(new ComponentTargetDriver(declared).unsupported(["filtering"])).toMatch(/no optional server features \(filtering\)/);
    expect(new MockComponentDriver({ version: 2, faults: [] }).unsupported(["clientMode"])).toBeUndefined();
    expect(new MockComponentDriver({ version: 2, faults: [], clientMode: false }).unsupported(["clientMode"])).toMatch(/does not declare features.clientMode/);
  });

  it("rejects a non-boolean clientMode and unknown component features", () => {
    expect(() => parseTarget(file({ clientMode: "yes" }), "t.json")).toThrow(/features.clientMode.*true or false/);
    expect(() => parseTarget(file({ filtering: true }), "t.json")).toThrow(/features.filtering.*not a component feature/);
  });
});
