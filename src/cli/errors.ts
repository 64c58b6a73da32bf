/** Exit codes of `xep0355` (docs in README). */
export const EXIT = {
  /** Every MUST requirement passes. */
  compliant: 0,
  /** A MUST requirement fails or errors (or, with --expect, a verdict differs). */
  notCompliant: 1,
  /** Bad usage, bad scenario file, bad target file. */
  usage: 2,
  /** The target cannot be reached. */
  unreachable: 3,
  /** Interrupted (Ctrl-C); reports of what finished are written. */
  interrupted: 130,
} as const;

/** A mistake of the user's: printed as one line, exit 2. */
export class UsageError extends Error {}

/** The target could not be reached at all: printed as one line, exit 3. */
export class TargetUnreachableError extends Error {}
