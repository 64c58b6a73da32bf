/** Exit codes of `xep0355` (docs in README). */
export const EXIT = {
  /** Every MUST requirement passes. */
  compliant: 0,
  /** A MUST requirement fails or errors (or, with --expect, a verdict differs). */
  notCompliant: 1,
  /** Bad usage, bad scenario file. */
  usage: 2,
  /** A set-up problem: the target cannot be reached, refused a credential, or the target file is invalid. */
  unreachable: 3,
  /** Interrupted (Ctrl-C); reports of what finished are written. */
  interrupted: 130,
} as const;

/** A mistake of the user's: printed as one line (`xep0355 COMMAND: …` when it names the command), exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The subcommand whose usage it is, e.g. "run". */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The target could not be reached at all: printed as one line, exit 3. */
export class TargetUnreachableError extends Error {}
