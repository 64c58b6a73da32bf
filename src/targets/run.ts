import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
    const script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -KILL -- "-$1" 2>/dev/null; rm -rf -- "$2"';
    const dog = spawn("/bin/sh", ["-c", script, String(process.pid), String(pgid), this.dir], {
      detached: true,
      stdio: "ignore",
    });
    dog.on("error", () => {});
    dog.unref();
    return dog.pid;
  }

  /** SIGTERM, SIGKILL after 5 s, then the rest of the group, the watchdog and the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    try {
      const child = this.child;
      if (child?.pid !== undefined && this.exitCode === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // already gone
          }
        }, KILL_AFTER_MS);
        await this.exited;
        clearTimeout(timer);
      }
      if (child?.pid !== undefined) await reapGroup(child.pid);
    } finally {
      cleanUpSync({ dir: this.dir, watchdogPid: this.leftover.watchdogPid });
      unregister(this.leftover);
    }
  }
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

/** Last lines of a log, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
