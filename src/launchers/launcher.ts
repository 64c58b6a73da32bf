import type { ServerTarget } from "../target/types.js";

export interface LaunchOptions {
  /** where to log the server's own output; default: inside the temp dir */
  logDir?: string;
  /**
   * A version with a pinned root (src/launchers/roots/NAME@VERSION.json, e.g. "13.0.1"), prepared on
   * first use; default: the system's Debian 12 package.
   */
  rootVersion?: string;
  /**
   * Delegating domains, each with its own managing component (ServerTarget.lanes), so that scenarios
   * casting it run side by side; default: the launcher's (Prosody 16, ejabberd 4); 1 = the one domain.
   */
  lanes?: number;
  /**
   * Also load what everyday clients use (Prosody: carbons, stream management), for `xep0355 serve`
   * and real-client recordings; the suite's runs leave it off (its xmpp.js clients would enable them).
   */
  clientModules?: boolean;
  /**
   * XEP-0356: load the server's privilege module (mod_privilege) and declare its grants in the target
   * (`run --spec`: true when XEP-0356 is selected, false when it is not); default: the launcher's own
   * choice (on, except ejabberd 24.12, whose mod_privilege breaks delegation: docs/findings/ejabberd@24.12.md).
   */
  privileges?: boolean;
}

export interface LaunchedServer {
  /** filled in completely */
  target: ServerTarget;
  /** e.g. "Prosody 0.12.3", read from the installed package/binary */
  software: string;
  /** stops the server, waits for the process to exit (SIGKILL after 5 s), deletes the temp dir; idempotent */
  stop(): Promise<void>;
  /** how long start-up took, ms */
  startupMs: number;
  /** how target.version was established: the namespace detected on the wire and the evidence, or why it was not */
  protocolDetection: string;
}

export interface ServerLauncher {
  name: "prosody" | "ejabberd";
  /** throws LauncherMissingError (with the exact `apt-get install -y …` line needed) if binaries are missing */
  launch(options?: LaunchOptions): Promise<LaunchedServer>;
  /** Why it cannot be launched here (with the apt-get line), or undefined; checked before a run starts. */
  missing(options?: LaunchOptions): string | undefined;
  /** prints the server config snippet matching a target */
  snippet(target: ServerTarget): string;
}

export class LauncherMissingError extends Error {
  constructor(
    readonly software: string,
    /** e.g. "apt-get install -y prosody prosody-modules" */
    readonly installCommand: string,
    missing: string[],
  ) {
    super(`${software} is not installed (missing: ${missing.join(", ")}); install it with: ${installCommand}`);
    this.name = "LauncherMissingError";
  }
}
