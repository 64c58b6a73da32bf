import { ScenarioSyntaxError } from "../scenario/parse.js";
import { TargetFileError } from "../target/load.js";
import { EXIT, TargetUnreachableError, UsageError } from "./errors.js";
import { listCommand } from "./list-command.js";
import { runCommand } from "./run-command.js";
import { serveCommand } from "./serve-command.js";
import { snippetCommand } from "./snippet-command.js";
import { doctorCommand } from "./doctor-command.js";
import { recordCommand } from "./record-command.js";
import { replayCommand } from "./replay-command.js";
import { minimizeCommand } from "./minimize-command.js";
import { benchCommand } from "./bench-command.js";
import { MAIN_HELP } from "./help.js";
import { SUITE_VERSION } from "../runner/version.js";
import { guardedExitCode, installProcessGuard } from "./process-guard.js";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run: runCommand,
  list: listCommand,
  serve: serveCommand,
  snippet: snippetCommand,
  doctor: doctorCommand,
  record: recordCommand,
  replay: replayCommand,
  minimize: minimizeCommand,
  bench: benchCommand,
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
  const handler = COMMANDS[command];
  if (!handler) throw new UsageError(`unknown command '${command}' (run, list, serve, snippet, doctor, record, replay, minimize, bench; see xep0355 --help)`);
  return handler(rest);
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
  (err: unknown) => {
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
