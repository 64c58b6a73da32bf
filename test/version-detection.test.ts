import { describe, expect, it } from "vitest";
import { startMockServer } from "../mocks/server/index.js";
import { ServerTargetDriver } from "../src/runner/drivers/server-target-driver.js";
import type { ServerTarget } from "../src/target/types.js";

async function detect(version: 1 | 2, faults: ("SRV-DSC-01" | "SRV-ADV-01")[]) {
  const server = await startMockServer({ version, faults });
  const o = server.options;
  const target: ServerTarget = {
    role: "server",
    name: "mock",
    host: o.host,
    domain: o.domain,
    c2sPort: server.c2sPort,
    componentPort: server.componentPort,
    version: "auto",
    accounts: { juliet: { username: "juliet", password: o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
    components: { managing: { jid: "pubsub.capulet.test", secret: o.components["pubsub.capulet.test"] } },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" } },
    undelegatedNamespace: "jabber:iq:version",
    foreignDomain: "montague.example",
    features: { filtering: false, bareDisco: false, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
    timeouts: { step: 1500, quiet: 200, connect: 3000 },
  };
  try {
    return await new ServerTargetDriver(target).prepare();
  } finally {
    await server.stop();
  }
}

describe("version: auto", () => {
  it("reads the version from the server's disco#info", async () => {
    const d = await detect(1, []);
    expect(d.protocolVersion).toBe(1);
    expect(d.name).toContain("detected from disco#info");
    expect(d.software).toContain("xep0355-mock-server");
  });

  it("falls back to the advertisement's namespace when disco#info lists none (as Prosody)", async () => {
    const d = await detect(1, ["SRV-DSC-01"]);
    expect(d.protocolVersion).toBe(1);
    expect(d.name).toContain("detected from the delegation advertisement");
  });

  it("says so when it cannot tell", async () => {
    const d = await detect(1, ["SRV-DSC-01", "SRV-ADV-01"]);
    expect(d.protocolVersion).toBe(2);
    expect(d.name).toContain("not detectable");
  });
});
