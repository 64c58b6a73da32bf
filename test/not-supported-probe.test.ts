import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockServer, type MockServer } from "../mocks/server/index.js";
import { ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import { executeRun } from "../src/runner/execute.js";
import { parseScenario } from "../src/scenario/parse.js";
import type { ServerTarget } from "../src/target/types.js";

// A feature the embedded mock has not got: a reply to a made-up request.
const PROBE = `id: probe-made-up-feature
title: A made-up optional feature
role: server
requirements: SRV-CLI-01
needs: clientMode

cast:
  juliet: client

juliet connects

juliet sends:
  <iq type='get' id='probe-q' to='\${server}'><query xmlns='urn:xep0355-suite:made-up'/></iq>

juliet receives, otherwise not supported:
  <iq type='result' id='probe-q'><query xmlns='urn:xep0355-suite:made-up'/></iq>
`;

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.stop();
});

function target(clientMode: boolean): ServerTarget {
  return {
    role: "server",
    name: "mock",
    host: "127.0.0.1",
    domain: "capulet.test",
    c2sPort: mock.c2sPort,
    componentPort: mock.componentPort,
    version: 2,
    accounts: { juliet: { username: "juliet", password: "juliet-pass" }, romeo: { username: "romeo", password: "romeo-pass" } },
    components: { managing: { jid: "pubsub.capulet.test", secret: "managing-secret" } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    undelegatedNamespace: "jabber:iq:version",
    foreignDomain: "montague.example",
    features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode },
    timeouts: { step: 1000, quiet: 200, connect: 2000 },
  };
}

async function runProbe(clientMode: boolean) {
  const scenario = parseScenario(PROBE, "probe.scenario");
  expect(scenario.probesSupport).toBe(true);
  const { run } = await executeRun([{ driver: new ServerTargetDriver(target(clientMode)), scenarios: [scenario] }], { concurrency: 1, scenarioDeadlineMs: 10_000, strict: false });
  return run.scenarios[0];
}

describe("'receives, otherwise not supported': evidence instead of a bare skip", () => {
  it("on a target that does not declare the feature: not-supported, with the target's answer in the reason and the transcript", async () => {
    const result = await runProbe(false);
    expect(result.verdict).toBe("not-supported");
    expect(result.reason).toMatch(/target file does not declare features.clientMode, and the target did not show support: .*the answer with id 'probe-q' arrived and does not match/);
    expect(result.reason).toContain("service-unavailable");
    expect(result.transcript.some((e) => e.direction === "in" && e.data.includes("probe-q"))).toBe(true);
  });

  it("on a target that declares it: the same answer is a failure", async () => {
    const result = await runProbe(true);
    expect(result.verdict).toBe("fail");
    expect(result.failedRequirement).toBe("SRV-CLI-01");
  });
});
