import { describe, expect, it } from "vitest";
import { newConsultRecord, recordConsults, type ConsultRecord } from "../../mocks/fault-switches.js";
import { SERVER_FAULTS, type ServerFault } from "../../mocks/server/index.js";
import { MockServerDriver } from "../../src/runner/drivers/mock-server-driver.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../../src/runner/environment.js";
import type { ScenarioResult } from "../../src/runner/result.js";
import { runSuite } from "../../src/runner/runner.js";
import { loadSuite } from "../../src/scenario/load.js";
import type { Need, Scenario } from "../../src/scenario/model.js";

/**
 * The fault matrices: with fault F on, the scenarios listing F fail blaming F, and every other
 * scenario passes (no collateral failure).
 *
 * Pruned by consulted switches: a mock's code reads its faults only through has()
 * (mocks/fault-switches.ts), so a scenario whose mock never looked F up ran exactly the same code as
 * with F off — up to its first lookup of F the two runs cannot differ. Each scenario runs fault-free
 * (BASELINE_SAMPLES times, the lookups unioned, as scheduling may vary) recording what it looked up;
 * then F runs only the scenarios listing F and those whose baseline looked F up. Every other
 * scenario, with F on, is its baseline run, which passed. XEP0355_FULL_FAULT_MATRIX=1 runs every
 * scenario for every fault instead.
 */
export const FULL_MATRIX = process.env.XEP0355_FULL_FAULT_MATRIX === "1";
const BASELINE_SAMPLES = 2;

/** A mock driver with the given faults on (MockServerDriver, MockComponentDriver). */
export type MockDriverFactory<F extends string> = (faults: F[]) => TargetDriver;

/**
 * A mock driver whose every scenario gets a driver of its own, built with an instrumented fault list,
 * so that the scenario's mocks record into records (by scenario ID) every fault switch they look up.
 */
export class ConsultRecordingDriver<F extends string> implements TargetDriver {
  readonly records = new Map<string, ConsultRecord>();
  private readonly described: TargetDriver;

  constructor(
    private readonly driver: MockDriverFactory<F>,
    private readonly faults: F[],
  ) {
    this.described = driver(faults);
  }

  get role(): "server" | "component" {
    return this.described.role;
  }

  prepare(): Promise<TargetDescription> {
    return this.described.prepare();
  }

  unsupported(needs: Need[]): string | undefined {
    return this.described.unsupported(needs);
  }

  open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    const record = newConsultRecord();
    this.records.set(scenario.id, record);
    const faults = [...this.faults];
    recordConsults(faults, record);
    return this.driver(faults).open(scenario, uid);
  }

  exclusiveResources(scenario: Scenario): string[] {
    return this.described.exclusiveResources(scenario);
  }

  close(): Promise<void> {
    return this.described.close();
  }
}

export interface RecordedRun {
  results: ScenarioResult[];
  records: Map<string, ConsultRecord>;
}

export async function runRecorded<F extends string>(driver: MockDriverFactory<F>, faults: F[], scenarios: Scenario[], concurrency: number): Promise<RecordedRun> {
  const recording = new ConsultRecordingDriver(driver, faults);
  const target = await recording.prepare();
  try {
    const outcome = await runSuite(scenarios, recording, target, { concurrency, scenarioDeadlineMs: 20_000 });
    return { results: outcome.results, records: recording.records };
  } finally {
    await recording.close();
  }
}

export interface Baseline {
  results: ScenarioResult[][];
  /** Scenario ID → every fault switch its mocks looked up in any baseline run. */
  consulted: Map<string, Set<string>>;
  /** Scenario ID → the fewest mocks one of its baseline runs recorded (0: the instrumentation missed it). */
  mocks: Map<string, number>;
}

/** The fault-free runs the pruning rests on (one promise per driver kind and file). */
export async function recordBaseline<F extends string>(driver: MockDriverFactory<F>, scenarios: Scenario[], concurrency: number): Promise<Baseline> {
  const baseline: Baseline = { results: [], consulted: new Map(), mocks: new Map() };
  for (let sample = 0; sample < BASELINE_SAMPLES; sample++) {
    const run = await runRecorded(driver, [], scenarios, concurrency);
    baseline.results.push(run.results);
    for (const s of scenarios) {
      const record = run.records.get(s.id);
      const consulted = baseline.consulted.get(s.id) ?? new Set<string>();
      for (const fault of record?.consulted ?? []) consulted.add(fault);
      baseline.consulted.set(s.id, consulted);
      baseline.mocks.set(s.id, Math.min(baseline.mocks.get(s.id) ?? Infinity, record?.mocks ?? 0));
    }
  }
  return baseline;
}

/** The scenarios fault F must run: those listing F, and those whose baseline looked F up (all of them: FULL_MATRIX). */
export function scenariosFor(fault: string, scenarios: Scenario[], baseline: Baseline): Scenario[] {
  if (FULL_MATRIX) return scenarios;
  return scenarios.filter((s) => s.requirements.includes(fault) || baseline.consulted.get(s.id)?.has(fault));
}

/** The baseline is sound ground: every scenario passed in every sample, and its mock recorded its lookups. */
export function expectSoundBaseline(scenarios: Scenario[], baseline: Baseline): void {
  for (const results of baseline.results) {
    expect(results).toHaveLength(scenarios.length);
    const notPassing = results.filter((r) => r.verdict !== "pass");
    expect(notPassing.map((r) => `${r.id}: ${r.verdict} ${r.reason}`)).toEqual([]);
  }
  for (const s of scenarios) {
    expect(baseline.mocks.get(s.id), `${s.id}: no mock took the consult record`).toBeGreaterThan(0);
    expect(baseline.consulted.get(s.id)?.size, `${s.id}: its mock looked up no fault switch`).toBeGreaterThan(0);
  }
}

/**
 * Checks fault F's run: the scenarios listing F fail, blaming F, and looked F up; the others that ran
 * pass; the ones left out did not look F up in the baseline, where they passed.
 */
export function expectFaultRun(fault: string, scenarios: Scenario[], baseline: Baseline, run: RecordedRun, summary: string): void {
  const listing = scenarios.filter((s) => s.requirements.includes(fault)).map((s) => s.id);
  expect(listing.length, `no scenario lists ${fault}`).toBeGreaterThan(0);
  const ran = new Set(run.results.map((r) => r.id));
  for (const id of listing) expect(ran.has(id), `${id} lists ${fault} but did not run`).toBe(true);
  for (const r of run.results) {
    if (r.requirements.includes(fault)) {
      expect(r.verdict, `${r.id} should fail with ${fault} on: ${r.reason}\n${summary}`).toBe("fail");
      expect(r.failedRequirement, `${r.id} blames ${r.failedRequirement}: ${r.reason}`).toBe(fault);
      expect(r.reason).toContain(fault);
      // The instrumentation sees the switch that made it fail.
      expect(run.records.get(r.id)?.consulted.has(fault), `${r.id} failed with ${fault} on, yet its mock never looked ${fault} up`).toBe(true);
    } else {
      expect(r.verdict, `${r.id} failed collaterally with ${fault} on: ${r.reason}\n${summary}`).toBe("pass");
    }
  }
  for (const s of scenarios.filter((x) => !ran.has(x.id))) {
    expect(baseline.consulted.get(s.id)?.has(fault), `${s.id} left out though its baseline looked ${fault} up`).toBe(false);
    for (const results of baseline.results) expect(results.find((r) => r.id === s.id)?.verdict, `${s.id} left out, but its baseline did not pass`).toBe("pass");
  }
}

export function describeResults(results: ScenarioResult[]): string {
  return results.map((r) => `${r.verdict.padEnd(6)} ${r.id}${r.reason ? ` — ${r.reason}` : ""}`).join("\n");
}

const serverScenarios = () => loadSuite("server");

/** The server matrix (SRV-* and PRV-* faults), split over files so that vitest runs its shards in parallel. */
export function describeFaultMatrix(shard: number, shards: number): void {
  const faults = (Object.keys(SERVER_FAULTS) as ServerFault[]).filter((_, i) => i % shards === shard);
  const driver = (faults: ServerFault[]) => new MockServerDriver({ version: 2, faults });
  let ground: Promise<{ scenarios: Scenario[]; baseline: Baseline }> | undefined;
  const baseline = () => (ground ??= serverScenarios().then(async (scenarios) => ({ scenarios, baseline: await recordBaseline(driver, scenarios, 16) })));

  describe(`fault matrix (shard ${shard + 1} of ${shards}): each scenario fails against the mock with its fault on, and only those`, () => {
    it("baseline: every scenario passes fault-free, and its mock records the fault switches it looks up", async () => {
      const { scenarios, baseline: base } = await baseline();
      expectSoundBaseline(scenarios, base);
    });

    it.concurrent.each(faults)("%s", async (fault) => {
      const { scenarios, baseline: base } = await baseline();
      const run = await runRecorded(driver, [fault], scenariosFor(fault, scenarios, base), 8);
      expectFaultRun(fault, scenarios, base, run, describeResults(run.results));
    });
  });
}
