import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node's parseArgs, strict, with its complaints turned into one-line usage errors naming the command's help. */
export function parseCommandArgs<const O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see xep0355 ${command} --help)`);
  }
}

export function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive integer, not '${text}'`);
  return n;
}

/** Commands that take no positional argument say so, instead of ignoring it. */
export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length) throw new UsageError(`${command}: unexpected argument '${positionals[0]}' (see xep0355 ${command} --help)`);
}
