import { loadCatalogue, sectionNeed } from "../catalogue/catalogue.js";
import type { SpecId } from "../catalogue/specs.js";
import { aggregateRequirements } from "../report/aggregate.js";
import { runSpecs, type SpokenSpec } from "../report/by-spec.js";
import { createResultSealer, sealLine } from "../report/seal.js";
import type { Scenario } from "../scenario/model.js";
import type { TargetDriver } from "./environment.js";
import type { RequirementResult, RunResult, ScenarioResult, TargetInfo } from "./result.js";
import { runSuite } from "./runner.js";
import { declaredSpecs, notApplicable, scenarioSpec, selectedSpecs, undeclaredReason } from "./spec-selection.js";
import { SUITE_VERSION, xepVersion } from "./version.js";

export interface RolePlan {
  driver: TargetDriver;
  scenarios: Scenario[];
}

export interface ExecuteOptions {
  concurrency: number;
  scenarioDeadlineMs: number;
  /** Not-supported counts as failure (like SINT's failOnImpossibleTest). */
  strict: boolean;
  /**
   * A run of selected scenarios (--only) reports only the requirements they
   * cover, instead of calling every other one "not supported".
   */
  onlyCovered?: boolean;
  signal?: AbortSignal;
  onResult?: (result: ScenarioResult) => void;
  /** Called once per role when its target is known, before its scenarios run. */
  onTarget?: (target: TargetInfo) => void;
  /**
   * --spec: the specifications to check (default: those the target declares). Only their scenarios
   * run and only their catalogues are reported; a selected one the target does not declare is not-supported.
   */
  specs?: SpecId[];
  /**
   * Return once every verdict is in, without waiting for the drivers to close (a launched server to
   * stop): Execution.closed then settles when they have, and the caller must await it (it writes the
   * reports meanwhile).
   */
  deferClose?: boolean;
}

export interface Execution {
  run: RunResult;
  /** Roles whose target could not be reached at all (their scenarios are reported as errors). */
  unreachable: string[];
  /** Credentials of the target file the target refused (wrong secret, refused login): no verdict can be trusted. */
  setupErrors: string[];
  /** Settles once every driver has closed (already settled unless ExecuteOptions.deferClose). */
  closed: Promise<void>;
}

/** Runs each role's suite against its driver (roles concurrently) and aggregates everything into one RunResult. */
export async function executeRun(plans: RolePlan[], options: ExecuteOptions): Promise<Execution> {
  const unreachable: string[] = [];
  const setupErrors = new Set<string>();
  const started = new Date();
  const targets: TargetInfo[] = [];
  const scenarios: ScenarioResult[] = [];
  const requirements: RunResult["requirements"] = [];
  let interrupted = false;
  const covered = new Set<SpecId>();
  const spoken: SpokenSpec[] = [];
  const seal = createResultSealer();
  const closing: Promise<void>[] = [];
  // Results arrive as scenarios end; the reports list them in the plans' order whatever ended first,
  // in each requirement's scenarios too (they came in arrival order, which changed from run to run).
  const position = new Map(plans.flatMap((p) => p.scenarios).map((s, i) => [s.id, i] as const));
  const order = (id: string) => position.get(id) ?? -1;
  const ofRole = (role: string) => scenarios.filter((s) => s.role === role).sort((a, b) => order(a.id) - order(b.id));

  await Promise.all(
    plans.map(async ({ driver, scenarios: suite }) => {
      try {
        let description;
        try {
          description = await driver.prepare();
        } catch (err) {
          const reason = sealLine(`target unreachable: ${err instanceof Error ? err.message : String(err)}`);
          unreachable.push(`${driver.role}: ${reason}`);
          for (const s of suite) {
            const result: ScenarioResult = { id: s.id, title: s.title, role: s.role, file: s.file, requirements: s.requirements, verdict: "error", reason, notes: [], readings: {}, durationMs: 0, transcript: [] };
            scenarios.push(result);
            options.onResult?.(result);
          }
          const specs = options.specs ?? [...new Set(suite.map(scenarioSpec))];
          for (const spec of specs) covered.add(spec);
          requirements.push(...aggregateRequirements(ofRole(driver.role), specs.flatMap((spec) => loadCatalogue(spec)), driver.role, new Set()));
          return;
        }
        const specs = selectedSpecs(description, options.specs);
        const declared = declaredSpecs(description);
        for (const spec of specs) {
          covered.add(spec);
          const revision = declared[spec];
          if (revision) spoken.push({ role: description.role, spec, revision });
        }
        const versions = specs.flatMap((spec) => (declared[spec] ? [[spec, xepVersion(declared[spec], spec)] as const] : []));
        const target: TargetInfo = {
          role: description.role,
          name: description.name,
          protocolVersion: xepVersion(description.protocolVersion),
          software: description.software,
          specVersions: Object.fromEntries(versions),
        };
        targets.push(target);
        options.onTarget?.(target);
        // Only the selected specifications the target declares are run (an undeclared one is not-supported below).
        const selected = suite.filter((s) => specs.includes(scenarioSpec(s)) && declared[scenarioSpec(s)] !== undefined);
        const outcome = await runSuite(selected, driver, description, {
          concurrency: options.concurrency,
          scenarioDeadlineMs: options.scenarioDeadlineMs,
          signal: options.signal,
          onSetupError: (message) => setupErrors.add(sealLine(`${driver.role}: ${message}`)),
          onResult: (result) => {
            // Redacted and bounded before any report or console line sees it (src/report/seal.ts).
            const final = seal(options.strict ? strictVerdict(result) : result);
            scenarios.push(final);
            options.onResult?.(final);
          },
        });
        interrupted ||= outcome.interrupted;
        const aggregated = aggregateRequirements(
          ofRole(description.role),
          specs.flatMap((spec) => loadCatalogue(spec)),
          description.role,
          notApplicable(description),
          (r) => {
            const undeclared = undeclaredReason(description, r.spec);
            if (undeclared) return undeclared;
            const need = sectionNeed(r);
            return need ? driver.unsupported([need]) : undefined;
          },
        );
        requirements.push(...(options.strict ? aggregated.map(strictRequirement) : aggregated));
      } finally {
        const closed = driver.close();
        if (options.deferClose) closing.push(closed);
        else await closed;
      }
    }),
  );

  const reported = options.onlyCovered ? requirements.filter((r) => r.scenarios.length > 0) : requirements;
  const run: RunResult = {
    suiteVersion: SUITE_VERSION,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    targets: targets.sort((a, b) => a.role.localeCompare(b.role)).reverse(),
    interrupted,
    ...(options.onlyCovered ? { partial: true } : {}),
    // A partial run names only the specifications of the requirements it reports.
    specs: runSpecs([...covered].filter((spec) => !options.onlyCovered || reported.some((r) => r.spec === spec)), spoken),
    scenarios: scenarios.sort((a, b) => order(a.id) - order(b.id)),
    requirements: reported,
  };
  const closed = Promise.all(closing).then(() => undefined);
  closed.catch(() => undefined); // not unhandled while the caller is busy: its own await still sees the error
  return { run, unreachable, setupErrors: [...setupErrors], closed };
}

/** --strict: a scenario that could not run for a missing feature fails, blaming the requirement it is about (not its prerequisites). */
function strictVerdict(result: ScenarioResult): ScenarioResult {
  if (result.verdict !== "not-supported") return result;
  return { ...result, verdict: "fail", failedRequirement: result.requirements[0], reason: `${result.requirements[0]}: not supported, and --strict counts that as failure: ${result.reason}` };
}

function strictRequirement(r: RequirementResult): RequirementResult {
  if (r.verdict !== "not-supported") return r;
  return { ...r, verdict: "fail", reason: `not supported, and --strict counts that as failure: ${r.reason}` };
}
