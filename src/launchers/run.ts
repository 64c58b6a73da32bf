import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { descendantsOf, isAlive, killIfAlive, stat, type ProcRef } from "./procs.js";
import { cleanUpSync, register, unregister, type Leftover } from "./safety-net.js";

const KILL_AFTER_MS = 5000;

/**
 * One server instance's footprint: a temp dir and (once spawned) a process group.
 * Everything is registered with the safety net from the first moment, so a launch
 * that fails halfway or a parent that dies leaves nothing behind.
 */
export class ServerRun {
  private child: ChildProcess | undefined;
  private exitCode: number | null | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /**
   * SIGTERM and wait for the server to exit (SIGKILL after 5 s), or SIGKILL at once: for a throw-away
   * server whose logs nobody keeps, a graceful shutdown only costs time (ejabberd: about 1 s).
   */
  graceful = true;

  private constructor(
    readonly dir: string,
    private readonly leftover: Leftover,
  ) {}

  static async create(prefix: string): Promise<ServerRun> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), prefix));
    const leftover: Leftover = { dir };
    register(leftover);
    return new ServerRun(dir, leftover);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Undefined while running; the exit code (or null if killed by a signal) after. */
  get exitStatus(): number | null | undefined {
    return this.exitCode;
  }

  /** Starts the server in its own process group, stdout and stderr appended to `logFile`. */
  spawn(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): number {
    if (this.child) throw new Error("ServerRun.spawn called twice");
    const fd = fs.openSync(logFile, "a");
    try {
      // detached: own process group, so one kill(-pgid) also reaches helpers (erl_child_setup, inet_gethost).
      const child = spawn(command, args, { cwd: this.dir, env, detached: true, stdio: ["ignore", fd, fd] });
      this.child = child;
      if (child.pid === undefined) throw new Error(`cannot start ${command}`);
      this.exited = new Promise((resolve) => {
        child.once("exit", (code) => {
          this.exitCode = code;
          resolve();
        });
      });
      child.once("error", () => {
        if (this.exitCode === undefined) this.exitCode = -1;
      });
      this.leftover.pgid = child.pid;
      this.leftover.watchdogPid = this.startWatchdog(child.pid);
      return child.pid;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Covers what 'exit' handlers cannot: the parent being SIGKILLed. Polls the parent once a second. */
  private startWatchdog(pgid: number): number | undefined {
    const script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -9 "-$1" 2>/dev/null; rm -rf -- "$2"';
    const dog = spawn("/bin/sh", ["-c", script, String(process.pid), String(pgid), this.dir], {
      detached: true,
      stdio: "ignore",
    });
    dog.on("error", () => {});
    dog.unref();
    return dog.pid;
  }

  /** SIGTERM (unless not graceful), SIGKILL after 5 s, then the rest of the group, the watchdog and the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    try {
      const child = this.child;
      const helpers = child?.pid !== undefined ? descendantsOf(child.pid) : [];
      if (child?.pid !== undefined && this.exitCode === undefined) {
        if (this.graceful) child.kill("SIGTERM");
        else killGroup(child.pid);
        const timer = setTimeout(() => killGroup(child.pid!), KILL_AFTER_MS);
        await this.exited;
        clearTimeout(timer);
      }
      if (child?.pid !== undefined) await reapGroup(child.pid);
      await reapHelpers(helpers.filter((h) => h.pid !== this.leftover.watchdogPid));
    } finally {
      const watchdog = this.leftover.watchdogPid !== undefined ? procRef(this.leftover.watchdogPid) : undefined;
      cleanUpSync({ dir: this.dir, watchdogPid: this.leftover.watchdogPid });
      unregister(this.leftover);
      // SIGKILL is delivered asynchronously: on a busy machine the watchdog (whose command line names the temp
      // dir) can still be seen running for a few ms. stop() resolves only once it is gone.
      if (watchdog) await waitGone(watchdog, 1000);
    }
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
}

function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s && !s.zombie ? { pid, start: s.start } : undefined;
}

async function waitGone(p: ProcRef, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(p) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** Helper processes may outlive the leader by a moment; the group id stays reserved while any member lives. */
async function reapGroup(pgid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-pgid, i === 0 ? "SIGTERM" : i < 25 ? 0 : "SIGKILL");
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Helpers normally exit on their own once the server's pipes close; SIGKILL the stragglers after 1 s. */
async function reapHelpers(helpers: ReturnType<typeof descendantsOf>): Promise<void> {
  for (let i = 0; i < 50 && helpers.some(isAlive); i++) await new Promise((r) => setTimeout(r, 20));
  for (const h of helpers) killIfAlive(h, "SIGKILL");
}

/** Last lines of a log (reads at most its last 64 KiB), for error messages and start-up checks. */
export function tail(file: string, lines = 20): string {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 65536);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, size - length);
      return buf.toString("utf8").split("\n").slice(-lines).join("\n");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "(no log)";
  }
}
