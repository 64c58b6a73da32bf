import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "../target/did-you-mean.js";
import { UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node's parseArgs, strict, with its complaints turned into one-line usage errors naming the command's help. */
export function parseCommandArgs<const O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${argumentProblem(err, options)} (see xep0355 ${command} --help)`, command);
  }
}

/** What node's parser found wrong, in the suite's words (its own messages quote options and suggest `--`). */
function argumentProblem(err: unknown, options: Options): string {
  const e = err as Error & { code?: string };
  const quoted = e.message.match(/'(-[^' ]*)/)?.[1];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted) {
    const known = Object.keys(options).map((name) => `--${name}`);
    const guess = quoted.startsWith("--") ? didYouMean(quoted, known) : undefined;
    return `unknown option ${quoted}${guess ? `; did you mean ${guess}?` : ""}`;
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted) {
    return /argument missing/.test(e.message) ? `option ${quoted} needs a value` : `option ${quoted} takes no value`;
  }
  return e.message;
}

/** Node's timers take at most 2^31−1 ms; a longer one silently fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive integer, not '${text}'`);
  if (n > MAX_TIMER_MS) throw new UsageError(`${option} must be at most ${MAX_TIMER_MS} (2^31−1; as milliseconds, about 24.8 days), not '${text}'`);
  return n;
}

/** Commands that take no positional argument say so, instead of ignoring it. */
export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}' (see xep0355 ${command} --help)`, command);
}
