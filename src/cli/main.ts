import { ScenarioSyntaxError } from "../scenario/parse.js";
import { EXIT, TargetUnreachableError, UsageError } from "./errors.js";
import { MAIN_HELP } from "./help.js";
import { SUITE_VERSION } from "../runner/version.js";
import { guardedExitCode, installProcessGuard } from "./process-guard.js";

type Command = (args: string[]) => Promise<number>;

// Each command's module is loaded when it is the one asked for: `run` does not pay for what
// `doctor`, `replay` or `bench` import (start-up is most of a run against the embedded mocks).
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./run-command.js")).runCommand,
  list: async () => (await import("./list-command.js")).listCommand,
  serve: async () => (await import("./serve-command.js")).serveCommand,
  snippet: async () => (await import("./snippet-command.js")).snippetCommand,
  doctor: async () => (await import("./doctor-command.js")).doctorCommand,
  record: async () => (await import("./record-command.js")).recordCommand,
  replay: async () => (await import("./replay-command.js")).replayCommand,
  minimize: async () => (await import("./minimize-command.js")).minimizeCommand,
  bench: async () => (await import("./bench-command.js")).benchCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(MAIN_HELP);
    return command ? EXIT.compliant : EXIT.usage;
  }
  if (command === "--version" || command === "-V") {
    // The suite's own version; `run --version 1|2` is the protocol version of the embedded mocks.
    process.stdout.write(`xep0355 ${SUITE_VERSION} (XEP-0355 0.5 and 0.4.1; catalogue spec/xep-0355-requirements.md)\n`);
    return EXIT.compliant;
  }
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command '${command}' (run, list, serve, snippet, doctor, record, replay, minimize, bench; see xep0355 --help)`);
  return (await load())(rest);
}

// `xep0355 list | head`: the reader went away; that ends the output, it is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT.compliant);
  throw err;
});

installProcessGuard();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = guardedExitCode(code);
  },
  async (err: unknown) => {
    // Loaded only on this path: target/load.js brings the target-file schema validator (ajv) with it.
    const { TargetFileError } = await import("../target/load.js");
    if (err instanceof UsageError || err instanceof ScenarioSyntaxError) {
      process.stderr.write(`xep0355${err instanceof UsageError && err.command ? ` ${err.command}` : ""}: ${err.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    // A target file that does not describe a usable target is a set-up problem, like a refused credential.
    if (err instanceof TargetUnreachableError || err instanceof TargetFileError) {
      process.stderr.write(`xep0355: ${err.message}\n`);
      process.exitCode = EXIT.unreachable;
      return;
    }
    process.stderr.write(`xep0355: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
