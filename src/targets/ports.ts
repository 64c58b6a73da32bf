import net from "node:net";

/** Distinct free TCP ports on `host`: all are bound at once (so they differ), then released. */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => resolve());
      });
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

/**
 * Polls until every port accepts TCP. `check` is called between rounds and may throw
 * (e.g. "the server process exited") to stop waiting early.
 */
export async function waitForPorts(
  host: string,
  ports: number[],
  timeoutMs: number,
  check: () => void = () => {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...ports];
  for (;;) {
    check();
    const results = await Promise.all(pending.map((p) => acceptsTcp(host, p)));
    pending = pending.filter((_, i) => !results[i]);
    if (pending.length === 0) return;
    check();
    if (Date.now() > deadline) throw new Error(`ports ${pending.join(", ")} on ${host} not accepting TCP after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
