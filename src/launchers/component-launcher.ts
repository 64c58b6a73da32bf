import type { ComponentTarget } from "../target/types.js";

/** A component under test (a XEP-0355 managing entity) that the suite set up itself, with its database. */
export interface LaunchedComponent {
  /** listenPort = a free port picked for the suite's listener; the component's JID and a random secret */
  target: ComponentTarget;
  /** The temp dir holding config, logs and database; stop() deletes it. */
  workDir: string;
  /** e.g. "libervia-pubsub 0.4.0+hg473-1", read from the installed package */
  software: string;
  /** Starts the component (after the suite listens on target.listenPort); rejects if it cannot be spawned. */
  start(): Promise<void>;
  /** Stops the component and its database, deletes the temp dir; idempotent; never throws. */
  stop(): Promise<void>;
  /** Resolves (never rejects) with what happened — exit status, log tail — if the component exits before stop(). */
  exited: Promise<string>;
  /** The last lines of the component's logs, for error messages. */
  logs(): string;
  /**
   * Another instance of the component on the same database server (own process, listen port, secret,
   * directory; not started), so that scenarios run side by side; stop() of this launch stops it too.
   * Only on the launch itself, not on the instances it made.
   */
  another?(): Promise<LaunchedComponent>;
  /** ms: launch() (database and config), start() (until spawned), stop() */
  timings: { setupMs: number; startMs?: number; stopMs?: number; /** e.g. { initdb, postgres, schema } */ setupPhases?: Record<string, number> };
}

export interface ComponentLaunchOptions {
  /** Keep the component's and its database's logs: stop() copies them into DIR/<temp dir name>/ before deleting the temp dir. */
  logDir?: string;
  /**
   * A version with a pinned root (src/launchers/roots/NAME@VERSION.json, e.g. "0.5.0"), prepared on first
   * use; default: the system's Debian 12 package.
   */
  rootVersion?: string;
  /**
   * How many instances a run uses (LaunchedComponent.another), each scenario on one of its own:
   * default the launcher's `instances`, else 1.
   */
  instances?: number;
}

export interface ComponentLauncher {
  name: "libervia-pubsub";
  /** How many instances a run uses by default (ComponentLaunchOptions.instances). */
  instances?: number;
  /** Prepares everything but the component's process; throws LauncherMissingError (with the `apt-get install -y …` line) if binaries are missing. */
  launch(options?: ComponentLaunchOptions): Promise<LaunchedComponent>;
  /** Why it cannot be launched here (with the apt-get line), or undefined; checked before a run starts. */
  missing?(options?: ComponentLaunchOptions): string | undefined;
}
