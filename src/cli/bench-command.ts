import { isServerFault, type ServerFault } from "../../mocks/server/index.js";
import { isComponentFault, type ComponentFault } from "../../mocks/component/index.js";
import { LauncherMissingError, launchers } from "../launchers/index.js";
import { launchLabel, prepareLaunch, resolveLaunch, systemVersionMismatch } from "../launchers/versions.js";
import { loadTargetFile } from "../target/load.js";
import { BenchSetupError, runBench, type BenchOptions } from "../bench/bench.js";
import { echoEndpoint, embeddedEndpoint, serverEndpoint, type BenchEndpoint } from "../bench/bench-target.js";
import type { ManagingKind } from "../bench/managing.js";
import { formatJson, formatTable, progressLine } from "../bench/format.js";
import type { PhaseBound } from "../bench/phase.js";
import { noPositionals, parseCommandArgs, positiveInt } from "./args.js";
import { abortOnInterrupt } from "./interrupt.js";
import { EXIT, TargetUnreachableError, UsageError } from "./errors.js";
import { BENCH_HELP } from "./help.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function benchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs("bench", args, {
    target: { type: "string" },
    launch: { type: "string" },
    against: { type: "string" },
    managing: { type: "string" },
    users: { type: "string" },
    "in-flight": { type: "string" },
    duration: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
    version: { type: "string" },
    "mock-fault": { type: "string", multiple: true },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  noPositionals("bench", positionals);
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return EXIT.compliant;
  }
  const users = bounded(positiveInt(values.users ?? "8", "--users"), 256, "--users");
  const inFlight = bounded(positiveInt(values["in-flight"] ?? "8", "--in-flight"), 1024, "--in-flight");
  const iqTimeoutMs = bounded(positiveInt(values.timeout ?? "5000", "--timeout"), 60_000, "--timeout");
  if (values.duration !== undefined && values.count !== undefined) throw new UsageError("--duration and --count exclude each other");
  const bound = phaseBound(values.duration, values.count);
  const sources = [values.target, values.launch, values.against].filter((v) => v !== undefined);
  if (sources.length > 1) throw new UsageError("--target, --launch and --against exclude each other");
  if (values.against !== undefined && values.against !== "echo" && values.against !== "mock") throw new UsageError(`--against must be echo or mock, not '${values.against}'`);
  const embedded = sources.length === 0 || values.against === "mock";
  const managing = managingKind(values.managing, embedded);
  if (values.against === "echo" && values.managing !== undefined) throw new UsageError("--managing does not apply to --against echo (it answers everything itself)");
  const faults = splitFaults(values["mock-fault"] ?? []);
  if (!embedded && (faults.server.length || faults.component.length)) throw new UsageError("--mock-fault applies to the embedded mocks only");
  if (!embedded && values.version !== undefined) throw new UsageError("--version applies to the embedded mocks only");
  const version = values.version === undefined || values.version === "2" ? 2 : values.version === "1" ? 1 : badVersion(values.version);

  const abort = new AbortController();
  const stopListening = abortOnInterrupt(abort, "stopping the bench");
  const tty = Boolean(process.stderr.isTTY);
  let endpoint: BenchEndpoint | undefined;
  try {
    const timeoutMs = Math.max(iqTimeoutMs, 5000);
    if (values.against === "echo") endpoint = await echoEndpoint();
    else if (embedded) endpoint = await embeddedEndpoint({ version, serverFaults: faults.server, componentFaults: faults.component, managing, timeoutMs });
    else if (values.target !== undefined) {
      const target = await loadTargetFile(values.target);
      if (target.role !== "server") throw new UsageError(`bench loads a server; ${values.target} describes a ${target.role}`);
      if (!LOOPBACK.test(target.host)) throw new UsageError(`bench runs on loopback only; ${values.target} has host '${target.host}'`);
      endpoint = await reachable(() => serverEndpoint(target, target.name, managing, timeoutMs, async () => undefined));
    } else endpoint = await launch(values.launch!, managing, timeoutMs);
    if (abort.signal.aborted) return EXIT.interrupted;

    const options: BenchOptions = {
      users,
      inFlight,
      bound,
      iqTimeoutMs,
      loginTimeoutMs: 10_000,
      signal: abort.signal,
      onWarning: (line) => process.stderr.write(`xep0355 bench: warning: ${line}\n`),
      onProgress: tty ? (p) => process.stderr.write(progressLine(p.kind, p.fraction, p.ok, p.errors, p.elapsedMs)) : undefined,
    };
    let report;
    try {
      report = await runBench(endpoint, options);
    } catch (err) {
      if (err instanceof BenchSetupError) throw new TargetUnreachableError(err.message);
      throw err;
    } finally {
      if (tty) process.stderr.write("\r\x1b[K");
    }
    const boundText = "durationMs" in bound ? `${bound.durationMs / 1000} s per phase after ${bound.warmupMs} ms warm-up` : `${bound.count} IQs per phase`;
    process.stdout.write(values.json ? formatJson(report) : formatTable(report, { target: endpoint.label, users, inFlight, bound: boundText }));
    if (report.interrupted) return EXIT.interrupted;
    // A faster run with wrong answers is not faster.
    return report.result.delegated.errors + report.result.plain.errors > 0 ? EXIT.notCompliant : EXIT.compliant;
  } finally {
    stopListening();
    await endpoint?.stop();
  }
}

function phaseBound(duration: string | undefined, count: string | undefined): PhaseBound {
  if (count !== undefined) return { count: bounded(positiveInt(count, "--count"), 10_000_000, "--count") };
  const seconds = duration === undefined ? 3 : Number(duration);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) throw new UsageError(`--duration must be seconds in (0, 60], not '${duration}'`);
  const durationMs = Math.round(seconds * 1000);
  // JIT and TCP warm-up answers are not counted: a fifth of the phase, at most half a second.
  return { durationMs, warmupMs: Math.min(500, Math.round(durationMs / 5)) };
}

function managingKind(text: string | undefined, embedded: boolean): ManagingKind {
  if (text === undefined) return embedded ? "mock-component" : "fast";
  if (text === "fast" || text === "mock-component") return text;
  throw new UsageError(`--managing must be fast or mock-component, not '${text}'`);
}

async function launch(text: string, managing: ManagingKind, timeoutMs: number): Promise<BenchEndpoint> {
  const wanted = resolveLaunch(text);
  if (wanted.role !== "server") throw new UsageError(`bench loads a server; --launch ${text} is a ${wanted.role}`);
  const mismatch = text.includes("@") ? await systemVersionMismatch(wanted) : undefined;
  if (mismatch) throw new UsageError(mismatch);
  const options = { rootVersion: wanted.source === "root" ? wanted.version : undefined };
  const missing = launchers[wanted.name].missing(options);
  if (missing) throw new UsageError(missing);
  await prepareLaunch(wanted);
  let server;
  try {
    server = await launchers[wanted.name].launch(options);
  } catch (err) {
    if (err instanceof LauncherMissingError) throw new UsageError(err.message);
    throw err;
  }
  process.stderr.write(`launched ${server.software} (${launchLabel(wanted)}) in ${server.startupMs} ms\n`);
  const launched = server;
  try {
    return await reachable(() => serverEndpoint(launched.target, `${launched.software} (${launchLabel(wanted)})`, managing, timeoutMs, () => launched.stop()));
  } catch (err) {
    await launched.stop();
    throw err;
  }
}

async function reachable(connect: () => Promise<BenchEndpoint>): Promise<BenchEndpoint> {
  try {
    return await connect();
  } catch (err) {
    throw new TargetUnreachableError(`cannot connect the managing entity: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function splitFaults(ids: string[]): { server: ServerFault[]; component: ComponentFault[] } {
  const server: ServerFault[] = [];
  const component: ComponentFault[] = [];
  for (const id of ids.flatMap((i) => i.split(","))) {
    if (isServerFault(id)) server.push(id);
    else if (isComponentFault(id)) component.push(id);
    else throw new UsageError(`--mock-fault: unknown fault '${id}' (see xep0355 list --requirements)`);
  }
  return { server, component };
}

function bounded(n: number, max: number, option: string): number {
  if (n > max) throw new UsageError(`${option} must be at most ${max}, not ${n}`);
  return n;
}

function badVersion(text: string): never {
  throw new UsageError(`--version must be 1 or 2, not '${text}'`);
}
