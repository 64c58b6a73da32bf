import { redactText } from "../record/redact.js";

/** The safety net caught an exception nothing else did (EX_SOFTWARE, sysexits.h); docs/reports.md "Exit codes". */
export const EXIT_INTERNAL = 70;

/** How long the stopping run may take to write its reports before the process exits anyway. */
const STOP_GRACE_MS = 20_000;

let tripped = false;

/**
 * The process-level safety net of `xep0355`:
 * - everything printed goes through the run's redaction (no secret on the console, whatever
 *   printed it);
 * - an exception or rejection that escaped every handler does not kill the run without
 *   reports: it is printed, and a running `run` is stopped as by Ctrl-C (its SIGINT handler),
 *   which writes the reports of what finished; the exit code is then EXIT_INTERNAL.
 * (A SIGINT sent to `npm start` alone reaches node only if the start script execs it: npm
 * forwards it to `sh -c`, which waits for its child instead of passing it on.)
 */
export function installProcessGuard(): void {
  redactOutput(process.stdout);
  redactOutput(process.stderr);
  process.on("uncaughtException", (err) => trip(err, "uncaught exception"));
  process.on("unhandledRejection", (reason) => trip(reason, "unhandled rejection"));
}

/** The exit code of the command, unless the safety net had to step in. */
export function guardedExitCode(code: number): number {
  return tripped ? EXIT_INTERNAL : code;
}

function trip(err: unknown, kind: string): void {
  process.stderr.write(`xep0355: internal error (${kind}, caught by the safety net): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (tripped) return;
  tripped = true;
  process.exitCode = EXIT_INTERNAL;
  if (process.listenerCount("SIGINT") === 0) process.exit(EXIT_INTERNAL);
  process.stderr.write("xep0355: stopping the run; the reports of the scenarios that finished are written\n");
  setTimeout(() => process.exit(EXIT_INTERNAL), STOP_GRACE_MS).unref();
  process.emit("SIGINT", "SIGINT");
}

function redactOutput(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : chunk;
    return write(typeof text === "string" ? redactText(text) : text, ...rest);
  }) as NodeJS.WriteStream["write"];
}
