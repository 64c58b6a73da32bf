import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { faultSwitches, newConsultRecord, recordConsults } from "../mocks/fault-switches.js";
import { MockServerDriver } from "../src/runner/drivers/mock-server-driver.js";
import { loadSuite } from "../src/scenario/load.js";
import { runRecorded } from "./helpers/fault-matrix.js";

/**
 * The instrumentation the pruned fault matrices rest on (test/helpers/fault-matrix.ts): a lookup is
 * recorded, and the mocks have no other way to read their faults.
 */
describe("fault switches: the consult record", () => {
  it("records every switch looked up, on or off, by the mocks built with the instrumented list, for their whole life", async () => {
    const record = newConsultRecord();
    const faults = recordConsults<string>(["SRV-ADV-01"], record);
    const [first, second] = [faultSwitches(faults), faultSwitches(faults)];
    expect(record.mocks).toBe(2);
    expect(record.consulted.size).toBe(0);
    expect(first.has("SRV-ADV-01")).toBe(true);
    expect(first.has("SRV-ADV-02")).toBe(false);
    // Looked up later (a socket callback): still this list's record.
    await new Promise((r) => setImmediate(r));
    expect(second.has("ME-REP-01")).toBe(false);
    expect([...record.consulted].sort()).toEqual(["ME-REP-01", "SRV-ADV-01", "SRV-ADV-02"]);
  });

  it("records nothing for mocks built with another list, even one holding the same faults", () => {
    const record = newConsultRecord();
    recordConsults<string>(["SRV-ADV-01"], record);
    const switches = faultSwitches(["SRV-ADV-01"]);
    expect(switches.has("SRV-ADV-01")).toBe(true);
    expect(record).toEqual({ consulted: new Set(), mocks: 0 });
  });

  it("a scenario run against the mock server records what its mock looked up, and only its own", async () => {
    const scenarios = (await loadSuite("server")).filter((s) => ["SRV-ADV-01", "SRV-DSC-01"].includes(s.requirements[0]));
    expect(scenarios.length).toBeGreaterThanOrEqual(2);
    const run = await runRecorded((faults) => new MockServerDriver({ version: 2, faults }), [], scenarios, 4);
    for (const s of scenarios) expect(run.records.get(s.id)?.mocks, s.id).toBe(1);
    const consulted = (id: string) => run.records.get(id)!.consulted;
    // The managing entity connects, and the server advertises to it.
    for (const s of scenarios.filter((x) => x.requirements[0] === "SRV-ADV-01")) expect(consulted(s.id).has("SRV-ADV-01"), s.id).toBe(true);
    // Only juliet connects and asks the server's disco#info: nothing is advertised in that scenario's mock.
    expect(consulted("srv-dsc-01-feature").has("SRV-DSC-01")).toBe(true);
    expect(consulted("srv-dsc-01-feature").has("SRV-ADV-01")).toBe(false);
  });

  it("the mocks read their faults only through has(): no read escapes the record", () => {
    const root = new URL("../mocks/", import.meta.url).pathname;
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
    // What a mock may write about its faults: declare them, build its switches, look one up.
    const allowed = [
      /^\s*faults: (Server|Component)Fault\[\];$/,
      /^\s*faults: \[\],$/,
      /^\s*private readonly faults: FaultSwitches<(Server|Component)Fault>;$/,
      /^\s*this\.faults = faultSwitches\(options\.faults\);$/,
    ];
    const stray: string[] = [];
    for (const file of files(root).filter((f) => !f.endsWith("fault-switches.ts"))) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "").replace(/^\s*\/?\*.*$/, "").replace(/"[^"]*"/g, '""');
          const uses = code.replace(/this\.faults\.has\(/g, "").match(/\bfaults\b/g);
          if (uses && !allowed.some((re) => re.test(code))) stray.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(stray).toEqual([]);
  });
});
