import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { parseCommandArgs, positiveInt } from "./args.js";
import { COMPONENT_FAULTS, COMPONENT_READINGS, isComponentFault, type ComponentFault, type ComponentReadings } from "../../mocks/component/index.js";
import { ALTERNATE_READINGS, DEFAULT_READINGS, FURTHER_READINGS, SERVER_FAULTS, isServerFault, type ServerFault, type ServerReadings } from "../../mocks/server/index.js";
import { formatScenarioLine } from "../report/console.js";
import { ComponentTargetDriver } from "../runner/drivers/component-target-driver.js";
import { MockComponentDriver } from "../runner/drivers/mock-component-driver.js";
import { MockServerDriver } from "../runner/drivers/mock-server-driver.js";
import { ServerTargetDriver } from "../runner/drivers/server-target-driver.js";
import type { TargetDescription, TargetDriver } from "../runner/environment.js";
import type { ScenarioResult } from "../runner/result.js";
import { runScenario } from "../runner/run-scenario.js";
import { loadScenarioFile } from "../scenario/load.js";
import type { Scenario, TextScenario } from "../scenario/model.js";
import { runKeepGoing } from "../record/keep-going.js";
import { loadTargetFile } from "../target/load.js";
import { EXIT, UsageError, TargetUnreachableError } from "./errors.js";

export const REPLAY_HELP = `xep0355 replay — run one scenario file (recorded or hand-written) against a target

Usage:
  xep0355 replay FILE --target TARGET.json
  xep0355 replay FILE --against mock-server [--mock-fault ID]...
  xep0355 replay FILE --against mock-component [--mock-fault ID]...

Options:
  --target FILE          a real server or component (docs/target-file.md)
  --against MOCK         mock-server or mock-component: the embedded reference (default: the mock of the file's role)
  --mock-fault ID        switch on a fault of the mock (repeatable, or comma-separated), e.g. SRV-REP-01
  --mock-reading ID=NAME the reading the mock follows for an ambiguous row (repeatable), e.g. SRV-REP-07=strict
                         (default: the readings under which the mock server and the mock component agree)
  --version 1|2          protocol version of the mock (default: 2)
  --timeout MS           per-step timeout, overriding the target's
  --deadline MS          limit for the whole scenario (default: 60000)
  --keep-going           go on after a failing step and list every step that fails (text scenarios):
                         what differs between the recorded server and this one
  --transcript           print the scenario's transcript (secrets redacted)
  -h, --help

Exit codes: 0 pass · 1 fail, error, not-supported or not-applicable · 2 usage or scenario error · 3 target unreachable · 130 interrupted
`;

export const REPLAY_TARGET_OPTIONS = {
  target: { type: "string" },
  against: { type: "string" },
  "mock-fault": { type: "string", multiple: true },
  "mock-reading": { type: "string", multiple: true },
  version: { type: "string" },
  timeout: { type: "string" },
  deadline: { type: "string" },
} as const;

export interface ReplayTargetValues {
  target?: string;
  against?: string;
  "mock-fault"?: string[];
  "mock-reading"?: string[];
  version?: string;
  timeout?: string;
  deadline?: string;
}

/** A driver, prepared, for a scenario's role; shared by replay and minimize. */
export interface ReplayTarget {
  driver: TargetDriver;
  description: TargetDescription;
  deadlineMs: number;
  /** e.g. "embedded mock server with fault SRV-REP-01" */
  label: string;
  /** What an embedded mock said since the last call (why it refused a reply …), for the replay output. */
  takeMockLog(): string[];
}

export { TargetUnreachableError } from "./errors.js";

/** Builds and prepares the driver the options name for the scenario's role (usage errors as UsageError, prepare failures as TargetUnreachableError). */
export async function openReplayTarget(values: ReplayTargetValues, scenario: Scenario, command: string): Promise<ReplayTarget> {
  const deadlineMs = positiveInt(values.deadline ?? "60000", "--deadline");
  const stepTimeout = values.timeout === undefined ? undefined : positiveInt(values.timeout, "--timeout");
  const version = values.version === undefined ? 2 : values.version === "1" ? 1 : values.version === "2" ? 2 : badVersion(values.version);
  const faultIds = (values["mock-fault"] ?? []).flatMap((f) => f.split(",")).map((f) => f.trim()).filter(Boolean);
  if (values.target && values.against) throw new UsageError(`${command}: give --target or --against, not both`);
  let driver: TargetDriver;
  const mockLog: string[] = [];
  const log = (line: string) => {
    if (mockLog.length < MOCK_LOG_LINES) mockLog.push(line);
  };
  if (values.target) {
    if (faultIds.length) throw new UsageError("--mock-fault applies to the embedded mocks, not to a --target");
    if (values["mock-reading"]?.length) throw new UsageError("--mock-reading applies to the embedded mocks, not to a --target");
    if (values.version !== undefined) throw new UsageError("--version applies to the embedded mocks; a target file says its own version");
    const target = await loadTargetFile(values.target);
    if (target.role !== scenario.role) {
      throw new UsageError(`${scenario.file} is a ${scenario.role}-role scenario but ${values.target} describes a ${target.role}`);
    }
    if (stepTimeout) target.timeouts.step = stepTimeout;
    driver = target.role === "server" ? new ServerTargetDriver(target) : new ComponentTargetDriver(target);
  } else {
    const against = values.against ?? (scenario.role === "server" ? "mock-server" : "mock-component");
    if (against !== "mock-server" && against !== "mock-component") throw new UsageError(`--against must be mock-server or mock-component, not '${against}'`);
    const role = against === "mock-server" ? "server" : "component";
    if (role !== scenario.role) throw new UsageError(`${scenario.file} is a ${scenario.role}-role scenario: replay it --against mock-${scenario.role}`);
    const server: ServerFault[] = [];
    const component: ComponentFault[] = [];
    for (const id of faultIds) {
      if (role === "server" && isServerFault(id)) server.push(id);
      else if (role === "component" && isComponentFault(id)) component.push(id);
      else {
        const known = Object.keys(role === "server" ? SERVER_FAULTS : COMPONENT_FAULTS);
        throw new UsageError(`--mock-fault: '${id}' is not a fault of the ${against} (${known[0]} … ${known[known.length - 1]}; see xep0355 list --requirements)`);
      }
    }
    const readings = mockReadings(values["mock-reading"] ?? [], role);
    driver =
      role === "server"
        ? new MockServerDriver({ version, faults: server, stepTimeoutMs: stepTimeout, log, readings: readings as Partial<ServerReadings> })
        : new MockComponentDriver({ version, faults: component, log, readings: readings as ComponentReadings });
  }
  let description: TargetDescription;
  try {
    description = await driver.prepare();
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw new TargetUnreachableError(`target unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const label = `${description.name}${description.software ? ` — ${description.software}` : ""} — urn:xmpp:delegation:${description.protocolVersion}`;
  return { driver, description, deadlineMs, label, takeMockLog: () => mockLog.splice(0) };
}

/** --mock-reading ID=NAME…, checked against the readings the mock of that role knows. */
function mockReadings(args: string[], role: "server" | "component"): Record<string, string> {
  const known: Record<string, readonly string[]> =
    role === "server"
      ? Object.fromEntries(
          (Object.keys(DEFAULT_READINGS) as (keyof ServerReadings)[]).map((id) => [id, [DEFAULT_READINGS[id], ALTERNATE_READINGS[id], ...(FURTHER_READINGS[id] ? [FURTHER_READINGS[id]] : [])]]),
        )
      : COMPONENT_READINGS;
  const chosen: Record<string, string> = {};
  for (const arg of args.flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean)) {
    const [id, name] = arg.split("=", 2).map((x) => x.trim());
    const names = known[id];
    if (!names) throw new UsageError(`--mock-reading ${arg}: the mock ${role} has no reading for '${id}' (known: ${Object.keys(known).join(", ")})`);
    if (!name || !names.includes(name)) throw new UsageError(`--mock-reading ${arg}: '${id}' reads ${names.join(" or ")}`);
    chosen[id] = name;
  }
  return chosen;
}

/** Enough for one scenario's worth of refusals; a runaway loop in a script does not flood the output. */
const MOCK_LOG_LINES = 50;

/** The mock's own words, after the verdict: "the mock server: bad reply to fwd-…: inner type error (strict reading)". */
export function formatMockLog(lines: string[], label: string): string {
  if (lines.length === 0) return "";
  const who = label.startsWith("embedded mock component") ? "the mock component" : "the mock server";
  return lines.map((l) => `    ${who}: ${l}\n`).join("");
}

/** Runs the scenario once, with a fresh uid (fresh resources on a shared server). */
export function replayOnce(scenario: Scenario, target: ReplayTarget, signal?: AbortSignal): Promise<ScenarioResult> {
  return runScenario(scenario, target.driver, randomBytes(3).toString("hex"), {
    version: target.description.protocolVersion,
    deadlineMs: target.deadlineMs,
    signal,
  });
}

/** The verdict line, then for a failure what was expected and what arrived. */
export function formatReplayResult(result: ScenarioResult, withTranscript = false): string {
  const lines = [formatScenarioLine(result)];
  if (result.evidence) {
    if (result.evidence.expected) lines.push("    expected:", ...indent(result.evidence.expected, "      "));
    if (result.evidence.received.length) {
      lines.push(`    received (not consumed by earlier steps):`);
      for (const r of result.evidence.received.slice(0, 8)) lines.push(...indent(r, "      "));
      if (result.evidence.received.length > 8) lines.push(`      … ${result.evidence.received.length - 8} more`);
    } else if (result.evidence.expected) {
      lines.push("    received: nothing that was not consumed by earlier steps");
    }
  }
  for (const note of result.notes) lines.push(`    note: ${note}`);
  if (withTranscript) {
    lines.push("  transcript:");
    for (const e of result.transcript) {
      const arrow = e.direction === "in" ? "<-" : e.direction === "out" ? "->" : "--";
      lines.push(`    ${String(e.t).padStart(6)} ms ${e.actor.padEnd(8)} ${arrow} ${e.data.replace(/\n/g, "\\n")}`);
    }
  }
  return lines.join("\n") + "\n";
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args);
  if (values.help) {
    process.stdout.write(REPLAY_HELP);
    return EXIT.compliant;
  }
  if (positionals.length !== 1) throw new UsageError(`replay: expected one scenario FILE, got ${positionals.length} (see xep0355 replay --help)`);
  const scenario = await loadScenario(positionals[0]);
  const target = await openReplayTarget(values, scenario, "replay");
  process.stdout.write(`replaying ${scenario.file} against ${target.label}\n`);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (values["keep-going"]) {
      if (scenario.kind !== "text") throw new UsageError("--keep-going works on text scenarios (.scenario) only");
      return await replayKeepGoing(scenario, target, abort.signal, Boolean(values.transcript));
    }
    target.takeMockLog();
    const result = await replayOnce(scenario, target, abort.signal);
    process.stdout.write(formatReplayResult(result, Boolean(values.transcript)) + formatMockLog(target.takeMockLog(), target.label));
    if (abort.signal.aborted) return EXIT.interrupted;
    return result.verdict === "pass" ? EXIT.compliant : EXIT.notCompliant;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await target.driver.close().catch(() => undefined);
  }
}

/** loadScenarioFile, with a missing or unreadable file as a usage error. */
export async function loadScenario(path: string): Promise<Scenario> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new UsageError(`cannot read scenario file ${path}`);
  }
  return loadScenarioFile(path);
}

async function replayKeepGoing(scenario: TextScenario, target: ReplayTarget, signal: AbortSignal, withTranscript: boolean): Promise<number> {
  const version = target.description.protocolVersion;
  if (!scenario.versions.includes(version)) {
    process.stdout.write(`  N/A   ${scenario.id}  applies to protocol version ${scenario.versions.join(", ")} only\n`);
    return EXIT.notCompliant;
  }
  const missing = target.driver.unsupported(scenario.needs);
  if (missing) {
    process.stdout.write(`  SKIP  ${scenario.id}  ${missing}\n`);
    return EXIT.notCompliant;
  }
  target.takeMockLog();
  const run = await runKeepGoing(scenario, target.driver, randomBytes(3).toString("hex"), { deadlineMs: target.deadlineMs, signal });
  const bad = run.outcomes.filter((o) => o.status !== "ok");
  const lines: string[] = [];
  // A failing step consumes nothing, so the stanzas it was offered are offered again to the next
  // failing step of that actor: each is listed once, where it first appears.
  const listed = new Set<string>();
  for (const o of bad) {
    const word = o.status === "fail" ? "FAIL " : o.status === "error" ? "ERROR" : "SKIP ";
    lines.push(`  ${word} line ${o.step.line} (${o.step.text}) ${o.requirement && o.requirement !== scenario.requirements[0] ? `${o.requirement}: ` : ""}${o.message ?? ""}`);
    if (o.expected) lines.push("      expected:", ...indent(o.expected, "        "));
    const fresh = (o.received ?? []).filter((r) => !listed.has(r));
    const again = (o.received?.length ?? 0) - fresh.length;
    if (fresh.length) {
      lines.push(`      received (not consumed by earlier steps${again ? `; ${again} more listed above` : ""}):`);
      for (const r of fresh.slice(0, 4)) lines.push(...indent(r, "        "));
      if (fresh.length > 4) lines.push(`        … ${fresh.length - 4} more`);
    } else if (again) {
      lines.push(`      received: only the ${again} stanza(s) listed above`);
    }
    for (const r of fresh.slice(0, 4)) listed.add(r);
  }
  const ran = run.outcomes.length;
  const summary = run.aborted
    ? `stopped after ${ran} of ${scenario.steps.length} steps: ${run.aborted}`
    : bad.length === 0
      ? `PASS  ${scenario.id}  all ${scenario.steps.length} steps as written`
      : `${bad.length} of ${scenario.steps.length} steps differ (${bad.filter((o) => o.status === "fail").length} failed, ${bad.filter((o) => o.status !== "fail").length} errors or skipped); the verdict is the first: line ${bad[0].step.line}`;
  lines.push(`  ${summary}`);
  if (withTranscript) {
    lines.push("  transcript:");
    for (const e of run.transcript) lines.push(`    ${String(e.t).padStart(6)} ms ${e.actor.padEnd(8)} ${e.direction === "in" ? "<-" : e.direction === "out" ? "->" : "--"} ${e.data.replace(/\n/g, "\\n")}`);
  }
  process.stdout.write(lines.join("\n") + "\n" + formatMockLog(target.takeMockLog(), target.label));
  if (signal.aborted) return EXIT.interrupted;
  return bad.length === 0 && !run.aborted ? EXIT.compliant : EXIT.notCompliant;
}

function parseOptions(args: string[]) {
  return parseCommandArgs("replay", args, {
        ...REPLAY_TARGET_OPTIONS,
        transcript: { type: "boolean" },
        "keep-going": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      });
}

function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((l) => prefix + l);
}


function badVersion(text: string): never {
  throw new UsageError(`--version must be 1 or 2, not '${text}'`);
}
