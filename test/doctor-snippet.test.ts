import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { startMockServer, type MockServer } from "../mocks/server/index.js";

const cli = (args: string[]) => runCli(args);

let server: MockServer;
let dir: string;

function targetFile(overrides: { managingSecret?: string } = {}) {
  const o = server.options;
  return {
    role: "server",
    name: "mock via target file",
    domain: o.domain,
    c2sPort: server.c2sPort,
    componentPort: server.componentPort,
    version: "auto",
    accounts: { juliet: { username: "juliet", password: o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
    components: {
      managing: { jid: "pubsub.capulet.test", secret: overrides.managingSecret ?? o.components["pubsub.capulet.test"] },
      other: { jid: "other.capulet.test", secret: o.components["other.capulet.test"] },
    },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
    timeouts: { step: 1500, quiet: 200, connect: 3000 },
  };
}

beforeAll(async () => {
  server = await startMockServer();
  dir = await mkdtemp(join(tmpdir(), "xep0355-doctor-"));
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("xep0355 doctor", () => {
  it("passes every check against a reachable, well configured server", async () => {
    const file = join(dir, "good.json");
    await writeFile(file, JSON.stringify(targetFile()));
    const r = await cli(["doctor", "--target", file]);
    expect(r.stdout).toContain("target ready");
    expect(r.stdout).toContain("urn:xmpp:delegation:2 (XEP-0355 0.5)");
    expect(r.code).toBe(0);
  });

  it("names the failing step and what to change, without printing the secret", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify(targetFile({ managingSecret: "wrong-secret-123" })));
    const r = await cli(["doctor", "--target", file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}component pubsub.capulet.test: secret accepted/);
    expect(r.stdout).toMatch(/fix: declare the component pubsub.capulet.test with the secret of components.managing.secret/);
    expect(r.stdout + r.stderr).not.toContain("wrong-secret-123");
  });
});

describe("xep0355 snippet", () => {
  it("prints a Prosody configuration matching the target file, secrets replaced by placeholders", async () => {
    const file = join(dir, "snippet.json");
    await writeFile(file, JSON.stringify(targetFile()));
    const r = await cli(["snippet", "prosody", "--target", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('VirtualHost "capulet.test"');
    expect(r.stdout).toContain('filtering = { "node" }');
    expect(r.stdout).toContain('component_secret = "<components.managing.secret>"');
    expect(r.stdout).toContain('["urn:xmpp:delegation:2"] = {');
    expect(r.stdout).not.toContain("VirtualHost \"undelegated"); // the target file has no undelegatedDomain
    expect(r.stdout).not.toContain(server.options.components["pubsub.capulet.test"]);
  });

  it("prints ejabberd's mod_delegation and one listener per component", async () => {
    const r = await cli(["snippet", "ejabberd"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("mod_delegation");
    expect(r.stdout).toContain("ejabberd_service");
    // YAML comments, the undelegated host of SRV-FWD-11 and the careless delegation that provokes SRV-ADV-05
    expect(r.stdout).toContain("# secrets and passwords are not printed");
    expect(r.stdout).toContain(`  - "undelegated.example.org"`);
    expect(r.stdout).toMatch(/# SRV-ADV-05[^\n]*\n[^\n]*\n\s+"urn:xmpp:delegation:2":/);
  });
});
