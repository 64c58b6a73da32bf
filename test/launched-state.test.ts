/**
 * Item 8: the suite does not change the target's state. Prosody asks a managing entity for its
 * nesting features (SRV-DSC-02/05/06) once per process and keeps the answer, so `doctor` or the
 * `"version": "auto"` detection, both connecting as the managing component first, must answer those
 * queries exactly as the run's managing entity does; and ejabberd delegates nothing until they are
 * answered, so `doctor` must answer them to see the advertisement at all.
 */
import fs from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { launchers } from "../src/launchers/index.js";
import type { LaunchedServer } from "../src/launchers/launcher.js";
import type { ServerTarget } from "../src/target/types.js";

/** The requirements whose verdicts depend on what the server remembered of the first managing connection. */
const NESTING = "SRV-DSC-02,SRV-DSC-05,SRV-DSC-06";

const installed = {
  prosody: fs.existsSync("/usr/bin/prosody") && fs.existsSync("/usr/lib/prosody/modules/mod_delegation/mod_delegation.lua"),
  ejabberd: fs.existsSync("/usr/bin/erl") && fs.existsSync("/usr/sbin/ejabberdctl"),
};

const cli = (args: string[]) => runCli(args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xep0355-state-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withLaunched<T>(name: "prosody" | "ejabberd", body: (server: LaunchedServer) => Promise<T>): Promise<T> {
  // one lane: the target file written for the CLI names one delegating domain anyway
  const server = await launchers[name].launch({ lanes: 1 });
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

async function targetFile(target: ServerTarget, label: string, version: ServerTarget["version"]): Promise<string> {
  const file = join(dir, `${label}.json`);
  await writeFile(file, JSON.stringify({ ...target, version }));
  return file;
}

/** Runs the nesting scenarios against `file` and returns their verdicts by scenario id. */
async function nestingVerdicts(file: string, label: string): Promise<Record<string, string>> {
  const reports = join(dir, `reports-${label}`);
  const r = await cli(["run", "--target", file, "--only", NESTING, "--reports", reports]);
  expect(r.code, r.stdout + r.stderr).not.toBe(2);
  const results = JSON.parse(await readFile(join(reports, "results.json"), "utf8")) as { scenarios: { id: string; verdict: string }[] };
  return Object.fromEntries(results.scenarios.map((s) => [s.id, s.verdict]));
}

describe("doctor and version detection leave the target's state as a run finds it (item 8)", () => {
  it.skipIf(!installed.prosody)("Prosody: doctor then run (version auto) gives the verdicts of a run alone", async () => {
    const alone = await withLaunched("prosody", async (server) => nestingVerdicts(await targetFile(server.target, "alone", server.target.version), "alone"));
    expect(Object.keys(alone).length).toBeGreaterThanOrEqual(3);

    const afterDoctor = await withLaunched("prosody", async (server) => {
      const file = await targetFile(server.target, "doctor", "auto");
      const doctor = await cli(["doctor", "--target", file]);
      // Prosody's disco#info lists no delegation feature (SRV-DSC-01): that check fails, the others pass
      expect(doctor.stdout, doctor.stderr).toMatch(/ok {4}delegation advertised to the managing component — urn:xmpp:delegation:2 /);
      return nestingVerdicts(file, "doctor");
    });
    expect(afterDoctor).toEqual(alone);
  }, 90_000);

  it.skipIf(!installed.ejabberd)("ejabberd: doctor sees the advertisement (it only comes once the nesting queries are answered)", async () => {
    await withLaunched("ejabberd", async (server) => {
      const doctor = await cli(["doctor", "--target", await targetFile(server.target, "ejabberd", "auto")]);
      expect(doctor.stdout, doctor.stderr).toContain("urn:xmpp:delegation:1 (XEP-0355 0.4.1)");
      expect(doctor.code).toBe(0);
    });
  }, 90_000);
});
