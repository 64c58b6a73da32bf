import fs from "node:fs";
import { descendantsOf, killIfAlive } from "./procs.js";

/** What must not outlive this Node process: a server's process group, its watchdog, its temp dir. */
export interface Leftover {
  pgid?: number;
  watchdogPid?: number;
  dir: string;
}

const leftovers = new Set<Leftover>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Synchronous: runs from 'exit' and signal handlers, where nothing asynchronous completes. */
export function cleanUpSync(item: Leftover): void {
  // the watchdog leads its own group (its `sleep` is a member)
  if (item.watchdogPid) killQuietly(-item.watchdogPid, "SIGKILL");
  if (item.pgid) {
    const helpers = descendantsOf(item.pgid);
    killQuietly(-item.pgid, "SIGKILL");
    for (const h of helpers) killIfAlive(h, "SIGKILL");
  }
  fs.rmSync(item.dir, { recursive: true, force: true });
}

function onExit(): void {
  for (const item of leftovers) cleanUpSync(item);
  leftovers.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  uninstall();
  // Having a listener suppresses Node's default "die on signal"; restore it unless the host program handles the signal itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on("exit", onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off("exit", onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function register(item: Leftover): void {
  if (leftovers.size === 0) install();
  leftovers.add(item);
}

export function unregister(item: Leftover): void {
  if (!leftovers.delete(item)) return;
  if (leftovers.size === 0) uninstall();
}
