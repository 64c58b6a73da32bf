import fs from "node:fs";
import net from "node:net";

/** Lowest port of the kernel's ephemeral range (source ports of outgoing connections); 32768 if unknown. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Ports below the ephemeral range and above this are tried first. */
const LOWEST = 20000;

function listen(server: net.Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => resolve(true));
  });
}

/**
 * Distinct free TCP ports on `host`: all are bound at once (so they differ), then released.
 * They are taken below the kernel's ephemeral range when there is room: a server takes a
 * second or two to bind them after release, and on a busy machine any outgoing connection
 * may meanwhile get an ephemeral port as its source port (EADDRINUSE, then a retry).
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  const low = ephemeralLow();
  try {
    for (let tries = 0; servers.length < count && low - LOWEST > 1000 && tries < count * 20; tries++) {
      const port = LOWEST + Math.floor(Math.random() * (low - LOWEST));
      if (servers.some((s) => (s.address() as net.AddressInfo).port === port)) continue;
      const server = net.createServer();
      if (await listen(server, port, host)) servers.push(server);
    }
    while (servers.length < count) {
      const server = net.createServer();
      if (!(await listen(server, 0, host))) throw new Error(`cannot bind a free port on ${host}`);
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves true when a TCP connection to host:port succeeds. */
export function acceptsTcp(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** TCP ports `pid` itself listens on (Linux /proc): tells our server's listener from a stranger on the same port. */
export function listeningPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = fs.readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (m) inodes.add(m[1]);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = fs.readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (cols.length > 9 && cols[3] === "0A" && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(":")[1], 16));
    }
  }
  return ports;
}

/** A port the server wanted was taken by another program between our probe and its bind. */
export class PortInUseError extends Error {}

/**
 * Polls until process `pid` listens on every port and each accepts TCP. `check` runs
 * between rounds and may throw (the server exited, its log reports a port conflict).
 */
export async function waitForListening(
  pid: number,
  host: string,
  ports: number[],
  timeoutMs: number,
  check: () => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    check();
    const own = listeningPortsOf(pid);
    const pending = ports.filter((p) => !own.has(p));
    if (pending.length === 0) {
      const ok = await Promise.all(ports.map((p) => acceptsTcp(host, p)));
      if (ok.every(Boolean)) return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} not listening on ${(pending.length ? pending : ports).join(", ")} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `attempt` again (up to `tries` times) when it fails with PortInUseError. */
export async function retryOnPortConflict<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PortInUseError) || i >= tries) throw err;
    }
  }
}
