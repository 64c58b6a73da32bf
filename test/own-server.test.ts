import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchers } from "../src/launchers/index.js";
import { acceptsTcp } from "../src/launchers/ports.js";
import { loadTargetFile } from "../src/target/load.js";
import type { ServerTarget } from "../src/target/types.js";
import { runCli } from "./helpers/cli.js";

// docs/own-server.md, as a newcomer follows it: snippet --full, start.sh, doctor, run. CI installs Prosody.
const missing = launchers.prosody.missing();

interface OwnProsody {
  dir: string;
  targetFile: string;
  target: ServerTarget;
  /** What start.sh and Prosody printed. */
  log(): string;
  stop(): Promise<void>;
}

/** `snippet prosody --full` into a temp dir, the configuration edited by `edit`, then start.sh, until both ports answer. */
async function ownProsody(edit: (config: string) => string = (c) => c): Promise<OwnProsody> {
  const dir = await mkdtemp(join(tmpdir(), "xep0355-own-"));
  const out = join(dir, "my-prosody");
  const r = await runCli(["snippet", "prosody", "--full", "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  const cfg = join(out, "prosody.cfg.lua");
  await writeFile(cfg, edit(await readFile(cfg, "utf8")));
  const targetFile = join(out, "target.json");
  const target = (await loadTargetFile(targetFile)) as ServerTarget;
  let log = "";
  const child = spawn(join(out, "start.sh"), [], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!((await acceptsTcp(target.host, target.c2sPort)) && (await acceptsTcp(target.host, target.componentPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Prosody did not start (exit ${child.exitCode}):\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { dir, targetFile, target, log: () => log, stop };
}

// Each describe has a Prosody of its own (each case of the second its own too), on ports of its own: they run
// side by side, so that one's waits (start-up, doctor's answers) overlap another's.
describe.skipIf(missing !== undefined).concurrent(`own server: Prosody from 'snippet prosody --full'${missing ? ` — skipped: ${missing}` : ""}`, () => {
  let server: OwnProsody;
  beforeAll(async () => {
    server = await ownProsody();
  });
  afterAll(() => server?.stop());

  // In turn on one server: the run comes after doctor (see below).
  it.sequential("start.sh prints no secret", () => {
    const t = server.target;
    for (const secret of [t.accounts.juliet.password, t.accounts.romeo.password, t.components.managing.secret, t.components.other!.secret]) expect(server.log()).not.toContain(secret);
  });

  it.sequential("doctor: the set-up is ready; SRV-DSC-01 is a finding, not a set-up problem", async () => {
    const r = await runCli(["doctor", "--target", server.targetFile]);
    expect(r.stdout).toMatch(/ok {4}server software \(XEP-0092\) — Prosody /);
    expect(r.stdout).toMatch(/ok {4}accounts juliet and romeo on undelegated.capulet.test log in/);
    expect(r.stdout).toMatch(/ok {4}delegation advertised to the managing component — urn:xmpp:delegation:2 .*urn:xmpp:mam:2/);
    expect(r.stdout).toMatch(/note {2}server disco#info lists a delegation namespace — SRV-DSC-01/);
    expect(r.stdout).toContain("target ready: no set-up problem (conformance finding: SRV-DSC-01; the run reports it)");
    expect(r.code, r.stdout).toBe(0);
  });

  // after doctor: its connections as the managing entity answered Prosody's one-time nesting queries as the run's does
  it.sequential("a short run after doctor reaches verdicts: the advertisement and the disco nesting pass, SRV-DSC-01 fails", async () => {
    const reports = join(server.dir, "reports");
    const r = await runCli(["run", "--target", server.targetFile, "--only", "SRV-ADV-01,SRV-DSC-01,SRV-DSC-02", "--reports", reports, "--quiet"], { env: { NO_COLOR: "1" } });
    const results = JSON.parse(await readFile(join(reports, "results.json"), "utf8")) as { requirements: { id: string; verdict: string }[] };
    const verdict = (id: string) => results.requirements.find((x) => x.id === id)?.verdict;
    expect(verdict("SRV-ADV-01"), r.stdout).toBe("pass");
    expect(verdict("SRV-DSC-02"), r.stdout).toBe("pass");
    expect(verdict("SRV-DSC-01"), r.stdout).toBe("fail");
    expect(r.code).toBe(1);
  });
});

describe.skipIf(missing !== undefined).concurrent(`doctor on a misconfigured Prosody: the fix for the mistake made${missing ? ` — skipped: ${missing}` : ""}`, () => {
  const doctor = async (edit: (config: string) => string) => {
    const server = await ownProsody(edit);
    try {
      return await runCli(["doctor", "--target", server.targetFile]);
    } finally {
      await server.stop();
    }
  };

  it("mod_delegation not loaded on the VirtualHost: load it there (not: add it to the Component section)", async () => {
    const r = await doctor((c) => c.replace(/\n\t"delegation";\n/, "\n"));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}delegation advertised to the managing component — .*the server answered http:\/\/jabber.org\/protocol\/pubsub for juliet itself: capulet.test delegates nothing/);
    expect(r.stdout).toMatch(/fix: Prosody: load mod_delegation on the VirtualHost "capulet.test" \("delegation" in the global modules_enabled, or in that VirtualHost's\) and put the delegations table in that VirtualHost section, not in a Component section\n/);
  });

  it("mod_delegation not enabled in the Component section: enable it there", async () => {
    const r = await doctor((c) => c.replace(/\n\tmodules_enabled = \{ "delegation"(; "privilege")? \}/g, ""));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/is delegated \(service-unavailable\), but not to this component connection\n {8}fix: Prosody: add modules_enabled = \{ "delegation" \} to the Component "pubsub.capulet.test" section/);
  });

  it("TLS required: allow plaintext on loopback; the logins are not checked, with no advice of their own", async () => {
    const r = await doctor((c) => c.replace("c2s_require_encryption = false", "c2s_require_encryption = true"));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAIL {2}c2s offers a login without TLS \(loopback\) — .*requires TLS\n {8}fix: Prosody: c2s_require_encryption = false and allow_unencrypted_plain_auth = true/);
    expect(r.stdout).toMatch(/-- {4}account juliet@capulet.test logs in — not checked \(because "c2s offers a login without TLS \(loopback\)" failed\)/);
    expect(r.stdout.match(/fix:/g)).toHaveLength(1);
  });
});
