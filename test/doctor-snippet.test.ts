import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { startMockServer, type MockServer } from "../mocks/server/index.js";
import { loadTargetFile } from "../src/target/load.js";
import type { ServerTarget } from "../src/target/types.js";

const cli = (args: string[]) => runCli(args, { env: { NO_COLOR: "1" } });

let server: MockServer;
let findingServer: MockServer;
let dir: string;

function targetFile(mock: MockServer, overrides: { managingSecret?: string; juliet?: string } = {}) {
  const o = mock.options;
  return {
    role: "server",
    name: "mock via target file",
    domain: o.domain,
    c2sPort: mock.c2sPort,
    componentPort: mock.componentPort,
    version: "auto",
    accounts: { juliet: { username: "juliet", password: overrides.juliet ?? o.accounts.juliet }, romeo: { username: "romeo", password: o.accounts.romeo } },
    components: {
      managing: { jid: "pubsub.capulet.test", secret: overrides.managingSecret ?? o.components["pubsub.capulet.test"] },
      other: { jid: "other.capulet.test", secret: o.components["other.capulet.test"] },
    },
    delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
    timeouts: { step: 1500, quiet: 200, connect: 3000 },
  };
}

/** The mock's target file with PRV-ROS-01's reader and messenger and the mock's own grants (mocks/server/options.ts). */
function privilegedTargetFile(mock: MockServer, overrides: { readerSecret?: string } = {}) {
  const o = mock.options;
  const base = targetFile(mock);
  return {
    ...base,
    components: {
      ...base.components,
      reader: { jid: "reader.capulet.test", secret: overrides.readerSecret ?? o.components["reader.capulet.test"] },
      messenger: { jid: "messenger.capulet.test", secret: o.components["messenger.capulet.test"] },
    },
    privileges: {
      managing: o.privileges["pubsub.capulet.test"],
      other: o.privileges["other.capulet.test"],
      reader: o.privileges["reader.capulet.test"],
      messenger: o.privileges["messenger.capulet.test"],
    },
  };
}

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

beforeAll(async () => {
  [server, findingServer] = await Promise.all([startMockServer(), startMockServer({ faults: ["SRV-DSC-01"] })]);
  dir = await mkdtemp(join(tmpdir(), "xep0355-doctor-"));
});
afterAll(async () => {
  await Promise.all([server.stop(), findingServer.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe("xep0355 doctor", () => {
  it("passes every check against a reachable, well configured server", async () => {
    const r = await cli(["doctor", "--target", await file("good.json", targetFile(server))]);
    expect(r.stdout).toContain("target ready: no set-up problem\n");
    expect(r.stdout).toContain("urn:xmpp:delegation:2 (XEP-0355 0.5)");
    expect(r.stdout).toMatch(/ok {4}c2s offers a login without TLS \(loopback\) — SASL /);
    expect(r.code).toBe(0);
  });

  it("names the failing step and what to change, without printing the secret; what depends on it is not checked, with no advice", async () => {
    const r = await cli(["doctor", "--target", await file("bad.json", targetFile(server, { managingSecret: "wrong-secret-123" }))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}component pubsub.capulet.test: secret accepted — the server refused the handshake: not-authorized/);
    expect(r.stdout).toMatch(/fix: give the component pubsub.capulet.test the secret of components.managing.secret/);
    expect(r.stdout).toMatch(/-- {4}delegation advertised to the managing component — not checked \(because "component pubsub.capulet.test: secret accepted" failed\)\n {2}/);
    expect(r.stdout.match(/fix:/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/^1 set-up problem \(1 check not run because of it\)/m);
    expect(r.stdout + r.stderr).not.toContain("wrong-secret-123");
  });

  it("a refused password is the one root cause: the checks that need juliet are not run", async () => {
    const r = await cli(["doctor", "--target", await file("badpw.json", targetFile(server, { juliet: "Wrong-pass-1" }))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}account juliet@capulet.test logs in — .*not-authorized/);
    expect(r.stdout).toMatch(/-- {4}server disco#info lists a delegation namespace — not checked \(because "account juliet@capulet.test logs in" failed\)/);
    expect(r.stdout.match(/FAIL/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain("Wrong-pass-1");
  });

  it("nothing listening: one problem (start the server), everything else not checked", async () => {
    const r = await cli(["doctor", "--target", "test/fixtures/unreachable-server.json"]);
    expect(r.code).toBe(3);
    expect(r.stdout.match(/FAIL/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/fix: start the server, or correct host \/ c2sPort/);
    expect(r.stdout).toMatch(/-- {4}component port 127.0.0.1:9 answers — not checked/);
  });

  it("a conformance finding (SRV-DSC-01) is reported but is not a set-up problem: exit 0, and 1 with --strict", async () => {
    const target = await file("finding.json", targetFile(findingServer));
    const r = await cli(["doctor", "--target", target]);
    expect(r.stdout).toMatch(/note {2}server disco#info lists a delegation namespace — SRV-DSC-01: neither urn:xmpp:delegation:2 nor :1 is listed; "version": "auto" reads the version from the advertisement instead \(a conformance finding, not a set-up problem\)/);
    expect(r.stdout).toContain("target ready: no set-up problem (conformance finding: SRV-DSC-01; the run reports it)");
    expect(r.stdout).not.toContain("fix:");
    expect(r.code).toBe(0);
    expect((await cli(["doctor", "--target", target, "--strict"])).code).toBe(1);
  });

  it("XEP-0356: checks the reader's and messenger's secrets like the others, and that the privileges name declared components", async () => {
    const r = await cli(["doctor", "--target", await file("privileged.json", privilegedTargetFile(server))]);
    expect(r.stdout).toMatch(/ok {4}component reader.capulet.test: secret accepted\n/);
    expect(r.stdout).toMatch(/ok {4}component messenger.capulet.test: secret accepted\n/);
    expect(r.stdout).toMatch(/ok {4}privileges name the target file's components \(XEP-0356\) — grants for pubsub.capulet.test, other.capulet.test, reader.capulet.test, messenger.capulet.test\n/);
    expect(r.stdout).toContain("target ready: no set-up problem\n");
    expect(r.code).toBe(0);
  });

  it("XEP-0356: a wrong reader secret is a set-up problem, with the fix, and the secret is not printed", async () => {
    const r = await cli(["doctor", "--target", await file("bad-reader.json", privilegedTargetFile(server, { readerSecret: "wrong-reader-secret-9" }))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}component reader.capulet.test: secret accepted — the server refused the handshake: not-authorized/);
    expect(r.stdout).toMatch(/fix: give the component reader.capulet.test the secret of components.reader.secret/);
    expect(r.stdout.match(/FAIL/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain("wrong-reader-secret-9");
  });

  it("XEP-0356: a grant for a component the file does not declare, or a reader without a grant, is a set-up problem (checked without the server)", async () => {
    const { messenger: _messenger, ...components } = privilegedTargetFile(server).components;
    const undeclared = await cli(["doctor", "--target", await file("undeclared.json", { ...privilegedTargetFile(server), components })]);
    expect(undeclared.code).toBe(3);
    expect(undeclared.stdout).toMatch(/FAIL {2}privileges name the target file's components \(XEP-0356\) — privileges.messenger grants a component the target file does not declare\n {8}fix: add components.messenger \(a component granted no roster permission: .*\), or remove privileges.messenger\n/);
    const { reader: _reader, ...grants } = privilegedTargetFile(server).privileges;
    const ungranted = await cli(["doctor", "--target", await file("ungranted.json", { ...privilegedTargetFile(server), privileges: grants })]);
    expect(ungranted.code).toBe(3);
    expect(ungranted.stdout).toMatch(/FAIL {2}privileges name .* — components.reader has no grant in privileges: its PRV-ROS-01 scenario could not run\n {8}fix: add privileges.reader .*, or remove components.reader\n/);
    // the file against itself: also when nothing listens
    const offline = await cli(["doctor", "--target", await file("offline.json", { ...privilegedTargetFile(server), privileges: grants, c2sPort: 9, componentPort: 9 })]);
    expect(offline.stdout).toMatch(/FAIL {2}privileges name /);
    expect(offline.stdout.match(/FAIL/g)).toHaveLength(2); // and the c2s port
  });

  it("an invalid target file is a set-up problem: exit 3 with the field and a did-you-mean", async () => {
    const r = await cli(["doctor", "--target", await file("typo.json", { ...targetFile(server), featurs: { filtering: true } })]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^xep0355: target file .*typo.json: field 'featurs' is not a server target field \(did you mean 'features'\?\)\n$/);
  });
});

describe("xep0355 snippet", () => {
  it("prints a Prosody configuration matching the target file, secrets replaced by placeholders", async () => {
    const r = await cli(["snippet", "prosody", "--target", await file("snippet.json", targetFile(server))]);
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

describe("xep0355 snippet --full", () => {
  const secretsOf = (t: ServerTarget) => [t.accounts.juliet.password, t.accounts.romeo.password, ...Object.values(t.components).map((c) => c!.secret)];

  it.each(["prosody", "ejabberd"] as const)("%s: writes a complete loopback configuration and its target file; secrets only in files only the user reads", async (name) => {
    const out = join(dir, `full-${name}`);
    const r = await cli(["snippet", name, "--full", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const target = (await loadTargetFile(join(out, "target.json"))) as ServerTarget;
    const config = await readFile(join(out, name === "prosody" ? "prosody.cfg.lua" : "ejabberd.yml"), "utf8");
    const start = await readFile(join(out, "start.sh"), "utf8");
    for (const secret of secretsOf(target)) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(config + start).toContain(secret);
    }
    for (const f of ["target.json", "start.sh", name === "prosody" ? "prosody.cfg.lua" : "ejabberd.yml"]) expect((await stat(join(out, f))).mode & 0o077).toBe(0);
    expect(target).toMatchObject({ host: "127.0.0.1", undelegatedDomain: "undelegated.capulet.test", delegations: { filtered: { attributes: ["node"] } } });
    expect(target.components.other).toBeDefined();
    expect(config).toContain(String(target.c2sPort));
    expect(config).toContain(target.undelegatedDomain);
    expect(start).toContain(`register`);
    expect(r.stdout).toMatch(/start\.sh .*creates the accounts/);
    expect(r.stdout).toContain(`doctor --target ${join(out, "target.json")}\n`);
    if (name === "prosody") {
      for (const line of ["c2s_require_encryption = false", "allow_unencrypted_plain_auth = true", "run_as_root = true", 'modules_disabled = { "delegation" }'])
        expect(config).toContain(line);
      // The components load mod_delegation, and mod_privilege too when the target declares XEP-0356 privileges.
      expect(config).toMatch(target.privileges ? /modules_enabled = \{ "delegation"; "privilege" \}/ : /modules_enabled = \{ "delegation" \}/);
    } else {
      expect(config).toContain("starttls_required: false");
      expect(target.components.other?.port).toBeGreaterThan(0);
    }
    // XEP-0356 as the launcher configures it (system ejabberd 23.01: mod_privilege loaded): PRV-ROS-01's reader and
    // messenger, each on a listener of its own, with their grants
    expect(target.privileges).toMatchObject({ reader: { roster: "get" }, messenger: { message: "outgoing" } });
    expect(target.components).toMatchObject({ reader: { jid: "reader.capulet.test" }, messenger: { jid: "messenger.capulet.test" } });
    for (const key of ["reader", "messenger"] as const) expect(config).toContain(target.components[key]!.jid);
    if (name === "ejabberd") {
      const ports = Object.values(target.components).map((c) => c!.port ?? target.componentPort);
      expect(new Set(ports).size).toBe(4);
      expect(config).toMatch(/privilege_1_roster_get:\n {4}server: \["reader.capulet.test"\]/);
      expect(config).toMatch(/privilege_1_message_outgoing:\n {4}server: \["pubsub.capulet.test", "messenger.capulet.test"\]/);
      expect(start).toContain(`reader.capulet.test 127.0.0.1:${target.components.reader!.port}`);
    }
  });

  it("ejabberd with --target: a component without a port of its own gets one (a shared listener routes it the others' traffic)", async () => {
    const given = { ...privilegedTargetFile(server), host: "127.0.0.1" };
    const out = join(dir, "full-ejabberd-given");
    const r = await cli(["snippet", "ejabberd", "--full", "--target", await file("given-ejabberd.json", given), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const target = (await loadTargetFile(join(out, "target.json"))) as ServerTarget;
    const ports = Object.values(target.components).map((c) => c!.port ?? target.componentPort);
    expect(new Set(ports).size).toBe(4);
    expect(target.components.managing.port).toBeUndefined();
    expect(target.privileges).toEqual(given.privileges);
    const config = await readFile(join(out, "ejabberd.yml"), "utf8");
    expect(config).toMatch(/privilege_1_roster_get:\n {4}server: \["reader.capulet.test"\]/);
  });

  it("takes the target file's accounts, secrets and ports with --target", async () => {
    const given = targetFile(server);
    const out = join(dir, "full-given");
    const r = await cli(["snippet", "prosody", "--full", "--target", await file("given.json", given), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const target = (await loadTargetFile(join(out, "target.json"))) as ServerTarget;
    expect(target).toMatchObject({ c2sPort: given.c2sPort, componentPort: given.componentPort, components: given.components, accounts: given.accounts });
    expect(r.stdout).not.toContain(given.components.managing.secret);
  });

  it("refuses a folder that already holds files, and one it cannot create, at once", async () => {
    const out = join(dir, "full-taken");
    await mkdir(out);
    await writeFile(join(out, "notes.txt"), "mine");
    const taken = await cli(["snippet", "prosody", "--full", "--out", out]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^xep0355 snippet: .*full-taken is not empty/);
    const proc = await runCli(["snippet", "prosody", "--full", "--out", "/proc/nope"], { killAfterMs: 20_000 });
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/cannot create --out \/proc\/nope/);
  });
});
