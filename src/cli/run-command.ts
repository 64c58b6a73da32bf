import { setMaxListeners } from "node:events";
import { noPositionals, parseCommandArgs, positiveInt } from "./args.js";
import type { ComponentFault } from "../../mocks/component/index.js";
import type { ServerFault } from "../../mocks/server/index.js";
import { formatRequirementTable, formatSummary } from "../report/console.js";
import { createProgress } from "../report/progress.js";
import { overallVerdict } from "../report/aggregate.js";
import type { TargetDriver } from "../runner/environment.js";
import { executeRun, type RolePlan } from "../runner/execute.js";
import { parseSpecOption, scenarioSpec } from "../runner/spec-selection.js";
import { SUITE_VERSION } from "../runner/version.js";
import { compareWithExpected, readExpected, writeExpected, type ExpectedVerdicts } from "../report/expected.js";
import type { Role, Scenario } from "../scenario/model.js";
import type { Target } from "../target/types.js";
import { abortOnInterrupt } from "./interrupt.js";
import { EXIT, UsageError } from "./errors.js";
import { RUN_HELP } from "./help.js";
import { loadReportWriters, writeReports } from "./reports.js";
import { prepareReportsDir } from "./folders.js";
import { scenariosByRole } from "./scenario-paths.js";

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args);
  noPositionals("run", positionals);
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return EXIT.compliant;
  }
  const concurrency = positiveInt(values.concurrency ?? "16", "--concurrency");
  const deadline = positiveInt(values.deadline ?? "60000", "--deadline");
  const runDeadlineMs = positiveInt(values["run-deadline"] ?? "1200000", "--run-deadline");
  const stepTimeout = values.timeout === undefined ? undefined : positiveInt(values.timeout, "--timeout");
  const version = values.version === undefined ? 2 : values.version === "1" ? 1 : values.version === "2" ? 2 : badVersion(values.version);
  const roleOption = values.role as Role | "both" | undefined;
  if (roleOption && !["server", "component", "both"].includes(roleOption)) throw new UsageError(`--role must be server, component or both, not '${roleOption}'`);

  if (values.expect) await readExpectedFile(values.expect); // a bad file is a usage error before anything runs
  if (values.launch && values.target) throw new UsageError("--launch and --target exclude each other");
  const reportsDir = values.reports ?? "reports";
  await prepareReportsDir("run", reportsDir); // a bad folder found after the run would lose its results
  // Known before anything starts: a --role that does not apply is a usage error without a launch.
  const launchRole = values.launch ? (await import("../launchers/versions.js")).resolveLaunch(values.launch).role : undefined;
  if (launchRole && roleOption && roleOption !== "both" && roleOption !== launchRole) {
    throw new UsageError(`--launch ${values.launch} is a ${launchRole}; --role ${roleOption} does not apply`);
  }
  // While a launched server starts (seconds, mostly waiting for it), the scenarios are read and the
  // report writers loaded: the run then begins, and ends, that much sooner.
  const suitesEarly = launchRole ? scenariosByRole([launchRole], values.scenarios) : undefined;
  suitesEarly?.catch(() => undefined); // its error, if any, is thrown below, after the launch
  if (launchRole) loadReportWriters().catch(() => undefined);
  const selectedSpecs = values.spec === undefined ? undefined : (parseSpecOption(values.spec) ?? badSpec(values.spec));
  // XEP-0356's module is loaded when the run checks it, left out when it does not; unselected, the launcher decides.
  const launched = values.launch ? await launch(values.launch, selectedSpecs && selectedSpecs.includes("0356")) : undefined;
  // Loaded only for the kind of run asked for: a target file (its schema validator), the launchers, the mocks.
  const target = values.target ? await (await import("../target/load.js")).loadTargetFile(values.target) : launched?.target;
  if (target && values["mock-fault"]?.length) throw new UsageError("--mock-fault applies to the embedded mocks, not to a --target");
  if (target && roleOption && roleOption !== target.role) throw new UsageError(`--role ${roleOption} does not match the target file's role '${target.role}'`);
  if (target && stepTimeout) target.timeouts.step = stepTimeout;
  const roles: Role[] = launched ? [launched.role] : target ? [target.role] : !roleOption || roleOption === "both" ? ["server", "component"] : [roleOption];
  const faults = await splitFaults(values["mock-fault"] ?? []);
  const specs = selectedSpecs;

  const plans: RolePlan[] = [];
  const suites = await (suitesEarly ?? scenariosByRole(roles, values.scenarios)).catch(async (err: unknown) => {
    await launched?.stop();
    throw err;
  });
  for (const [role, suite] of suites) {
    const scenarios = selectScenarios(suite, values.only).filter((s) => !specs || specs.includes(scenarioSpec(s)));
    if (scenarios.length === 0 && values.only) continue;
    plans.push({ scenarios, driver: launched ? launched.driver : await driverFor(role, target, { version, stepTimeout, ...faults }) });
  }
  if (plans.length === 0) {
    await launched?.stop();
    throw new UsageError(`--only ${values.only} matches no scenario`);
  }

  const abort = new AbortController();
  // Every running scenario of every role listens to this signal (Ctrl-C, run deadline) until it ends.
  setMaxListeners(plans.length * concurrency + 10, abort.signal);
  const stopListening = abortOnInterrupt(abort, "finishing the running scenarios and writing reports");
  // The whole run has a deadline too: what has not finished by then is reported as interrupted, never left hanging.
  const runDeadline = setTimeout(() => {
    process.stderr.write(`\nrun deadline of ${runDeadlineMs} ms reached: stopping and writing reports\n`);
    abort.abort();
  }, runDeadlineMs);
  runDeadline.unref();
  const total = plans.reduce((n, p) => n + p.scenarios.length, 0);
  const progress = values.quiet ? undefined : createProgress(total);
  const { run, unreachable, setupErrors, closed } = await executeRun(plans, {
    concurrency,
    scenarioDeadlineMs: deadline,
    strict: Boolean(values.strict),
    onlyCovered: Boolean(values.only),
    specs,
    signal: abort.signal,
    onTarget: (t) => process.stdout.write(`${t.role} role: ${t.name}${t.software ? ` — ${t.software}` : ""} — ${Object.entries(t.specVersions ?? { "0355": t.protocolVersion }).map(([id, v]) => `XEP-${id} ${v}`).join(" — ")} — suite ${SUITE_VERSION}\n`),
    onResult: (result) => progress?.onResult(result),
    // A launched server stops while the reports are written.
    deferClose: true,
  }).finally(() => {
    clearTimeout(runDeadline);
    progress?.finish();
    stopListening();
  });

  const paths = await writeReports(run, reportsDir).finally(() => closed);
  if (values["write-expected"]) {
    await writeExpected(run, target?.name ?? (values.launch ?? "embedded mocks"), values["write-expected"]);
    process.stdout.write(`expected verdicts written to ${values["write-expected"]}\n`);
  }
  if (setupErrors.length === 0) {
    process.stdout.write(`\n${formatRequirementTable(run.requirements, { scenarios: run.scenarios })}\n`);
    process.stdout.write(`${formatSummary(run)}\n`);
  }
  if (values.only) process.stdout.write(`partial run (--only ${values.only}): only the requirements these scenarios cover are reported\n`);
  process.stdout.write(`reports: ${paths.join(", ")}\n`);
  for (const line of unreachable) process.stderr.write(`xep0355: ${line}\n`);
  if (run.interrupted) return EXIT.interrupted;
  if (unreachable.length > 0) return EXIT.unreachable;
  if (setupErrors.length > 0) {
    // Set-up mistakes are not non-compliance: no verdict, exit 3, and which credential to check.
    for (const line of setupErrors) process.stderr.write(`xep0355: set-up error, no verdict: ${line}\n`);
    return EXIT.unreachable;
  }
  if (values.expect) {
    const differences = compareWithExpected(run, await readExpectedFile(values.expect));
    if (differences.length === 0) {
      process.stdout.write(`verdicts match ${values.expect} (${run.scenarios.length} scenarios)\n`);
      return EXIT.compliant;
    }
    process.stdout.write(`verdicts differ from ${values.expect}:\n${differences.map((d) => `  ${d}`).join("\n")}\n`);
    return EXIT.notCompliant;
  }
  return overallVerdict(run.requirements, { partial: run.partial }).compliant ? EXIT.compliant : EXIT.notCompliant;
}

function parseOptions(args: string[]) {
  return parseCommandArgs("run", args, {
        role: { type: "string" },
        target: { type: "string" },
        launch: { type: "string" },
        only: { type: "string" },
        scenarios: { type: "string", multiple: true },
        reports: { type: "string" },
        concurrency: { type: "string" },
        timeout: { type: "string" },
        deadline: { type: "string" },
        "run-deadline": { type: "string" },
        version: { type: "string" },
        "mock-fault": { type: "string", multiple: true },
        spec: { type: "string" },
        strict: { type: "boolean" },
        expect: { type: "string" },
        "write-expected": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      });
}

interface DriverOptions {
  version: 1 | 2;
  stepTimeout?: number;
  server: ServerFault[];
  component: ComponentFault[];
}

async function driverFor(role: Role, target: Target | undefined, options: DriverOptions): Promise<TargetDriver> {
  if (target?.role === "server") return new (await import("../runner/drivers/server-target-driver.js")).ServerTargetDriver(target);
  if (target?.role === "component") return new (await import("../runner/drivers/component-target-driver.js")).ComponentTargetDriver(target);
  return role === "server"
    ? new (await import("../runner/drivers/mock-server-driver.js")).MockServerDriver({ version: options.version, faults: options.server, stepTimeoutMs: options.stepTimeout })
    : new (await import("../runner/drivers/mock-component-driver.js")).MockComponentDriver({ version: options.version, faults: options.component });
}

async function splitFaults(ids: string[]): Promise<{ server: ServerFault[]; component: ComponentFault[] }> {
  const server: ServerFault[] = [];
  const component: ComponentFault[] = [];
  if (ids.length === 0) return { server, component };
  const [{ COMPONENT_FAULTS, isComponentFault }, { SERVER_FAULTS, isServerFault }] = await Promise.all([import("../../mocks/component/index.js"), import("../../mocks/server/index.js")]);
  for (const id of ids.flatMap((i) => i.split(","))) {
    if (isServerFault(id)) server.push(id);
    else if (isComponentFault(id)) component.push(id);
    else {
      const known = [...Object.keys(SERVER_FAULTS), ...Object.keys(COMPONENT_FAULTS)];
      throw new UsageError(`--mock-fault: unknown fault '${id}' (known: ${known[0]} … ${known[known.length - 1]}; see xep0355 list --requirements)`);
    }
  }
  return { server, component };
}

/** --only takes scenario ids and requirement IDs. */
function selectScenarios(scenarios: Scenario[], only: string | undefined): Scenario[] {
  if (!only) return scenarios;
  const wanted = new Set(only.split(",").map((s) => s.trim()).filter(Boolean));
  return scenarios.filter((s) => wanted.has(s.id) || s.requirements.some((r) => wanted.has(r)));
}


function badSpec(text: string): never {
  throw new UsageError(`--spec must be 0355, 0356 or all, not '${text}'`);
}

function badVersion(text: string): never {
  throw new UsageError(`--version must be 1 or 2, not '${text}'`);
}

async function readExpectedFile(path: string): Promise<ExpectedVerdicts> {
  try {
    return await readExpected(path);
  } catch (err) {
    throw new UsageError(`--expect ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

interface Launched {
  role: Role;
  /** Known up front for a launched server; a launched component's appears at prepare(). */
  target?: Target;
  driver: TargetDriver;
  stop(): Promise<void>;
}

/**
 * --launch NAME[@VERSION]: start a real target, from its Debian 12 package (plain NAME) or from the
 * pinned root of a newer version (prepared on first use); it is stopped when its driver closes (also on
 * failure and Ctrl-C). A missing package or an unknown version is a usage error naming what to do.
 */
async function launch(text: string, privileges: boolean | undefined): Promise<Launched> {
  const [{ LauncherMissingError, launchers }, { componentLaunchers, launchedComponentDriver }, { launchLabel, prepareLaunch, resolveLaunch, systemVersionMismatch }, { ServerTargetDriver }] = await Promise.all([
    import("../launchers/index.js"),
    import("../launchers/component-launchers.js"),
    import("../launchers/versions.js"),
    import("../runner/drivers/server-target-driver.js"),
  ]);
  const wanted = resolveLaunch(text);
  const mismatch = text.includes("@") ? await systemVersionMismatch(wanted) : undefined;
  if (mismatch) throw new UsageError(mismatch);
  const options = { rootVersion: wanted.source === "root" ? wanted.version : undefined, privileges };
  const missing = wanted.role === "component" ? componentLaunchers[wanted.name]?.missing?.(options) : launchers[wanted.name].missing(options);
  if (missing) throw new UsageError(missing);
  await prepareLaunch(wanted);
  if (wanted.role === "component") {
    const driver = launchedComponentDriver(wanted.name, options);
    return { role: "component", driver, stop: () => driver.close() };
  }
  let server;
  try {
    server = await launchers[wanted.name].launch(options);
  } catch (err) {
    if (err instanceof LauncherMissingError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(`launched ${server.software} (${launchLabel(wanted)}) in ${server.startupMs} ms\n  ${server.protocolDetection}\n`);
  const stop = server.stop.bind(server);
  return { role: "server", target: server.target, driver: new ServerTargetDriver(server.target, stop, server.software), stop };
}
