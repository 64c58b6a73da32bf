import fs from "node:fs";

/** A process as seen in /proc: pid plus start time, so a recycled pid is never mistaken for it. */
export interface ProcRef {
  pid: number;
  start: string;
}

export function stat(pid: number): { ppid: number; start: string; zombie: boolean } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), start: f[19], zombie: f[0] === "Z" };
  } catch {
    return undefined;
  }
}

/**
 * All live descendants of `root` (Linux /proc). Erlang's helpers (erl_child_setup,
 * inet_gethost) call setsid, so killing the server's process group does not reach them.
 */
export function descendantsOf(root: number): ProcRef[] {
  const children = new Map<number, ProcRef[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s || s.zombie) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid: Number(entry), start: s.start });
    children.set(s.ppid, list);
  }
  const out: ProcRef[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

export function isAlive(p: ProcRef): boolean {
  const s = stat(p.pid);
  return s !== undefined && !s.zombie && s.start === p.start;
}

export function killIfAlive(p: ProcRef, signal: NodeJS.Signals): void {
  if (!isAlive(p)) return;
  try {
    process.kill(p.pid, signal);
  } catch {
    // gone
  }
}
