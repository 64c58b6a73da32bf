import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Account, ServerTarget } from "../target/types.js";
import { startEchoTarget } from "./echo-target.js";
import { connectManaging, type ManagingKind } from "./managing.js";
import type { MockHostJob, MockHostMessage, MockHostOptions, MockServerDetails } from "./mock-host.js";
import { withTimeout } from "./wire.js";

/** Where the load goes: a c2s endpoint with accounts, and what tears it down. */
export interface BenchEndpoint {
  label: string;
  host: string;
  port: number;
  domain: string;
  /** the bench's users log in as these, in turn, each with its own resource */
  accounts: Account[];
  stop(): Promise<void>;
}

// From the sources the child runs mock-host.ts through tsx; compiled (dist/, the package), mock-host.js as is.
const COMPILED = import.meta.url.endsWith(".js");
const MOCK_HOST = fileURLToPath(new URL(COMPILED ? "./mock-host.js" : "./mock-host.ts", import.meta.url));

/** A mock host child (mock-host.ts) doing `job`, once it said it is ready; `stop` ends it. */
async function startMockHost(job: MockHostJob): Promise<{ server?: MockServerDetails; stop: () => Promise<void> }> {
  const child = fork(MOCK_HOST, [JSON.stringify(job)], { execArgv: COMPILED ? [] : ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send("stop");
    await withTimeout(exited, 3000, "mock host stop").catch(() => {
      child.kill("SIGKILL");
      return exited;
    });
  };
  let ready: MockHostMessage;
  try {
    ready = await withTimeout(
      new Promise<MockHostMessage>((resolve, reject) => {
        child.once("message", (m) => resolve(m as MockHostMessage));
        child.once("error", reject);
        void exited.then(() => reject(new Error("the mock host exited before it was ready")));
      }),
      job.timeoutMs + 10_000,
      "mock host start",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  if (!ready.ready) {
    await stop();
    throw new Error(`embedded mock: ${ready.error}`);
  }
  return { server: ready.server, stop };
}

/**
 * The embedded mock server in a child process, with its managing entity: the mock component in a
 * child process of its own (default), or the bench's fast responder in this one.
 */
export async function embeddedEndpoint(o: MockHostOptions): Promise<BenchEndpoint> {
  const server = await startMockHost({ ...o, role: "server" });
  const ready = server.server;
  if (!ready) {
    await server.stop();
    throw new Error("embedded mock: the mock server did not say where it listens");
  }
  const host = "127.0.0.1";
  let stopManaging: () => Promise<void> = async () => undefined;
  try {
    if (o.managing === "fast") {
      const target = { host, domain: ready.domain, version: o.version, componentPort: ready.componentPort, components: { managing: ready.managing } };
      const responder = await connectManaging("fast", target, [], o.timeoutMs);
      stopManaging = () => responder.stop();
    } else {
      const component = await startMockHost({ ...o, role: "component", componentPort: ready.componentPort, credentials: ready.managing });
      stopManaging = component.stop;
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    label: `embedded mock server (own process) + ${o.managing === "fast" ? "fast responder" : "mock component (own process)"}, XEP-0355 v${o.version === 2 ? "0.5" : "0.4.1"}`,
    host,
    port: ready.c2sPort,
    domain: ready.domain,
    accounts: ready.accounts,
    stop: async () => {
      await stopManaging();
      await server.stop();
    },
  };
}

/** A real server (target file or launched), with the bench's managing entity connected as its managing component. */
export async function serverEndpoint(target: ServerTarget, label: string, kind: ManagingKind, timeoutMs: number, stopServer: () => Promise<void>): Promise<BenchEndpoint> {
  const managing = await connectManaging(kind, target, [], timeoutMs);
  return {
    label: `${label} + ${kind === "fast" ? "fast responder" : "mock component"}`,
    host: target.host,
    port: target.c2sPort,
    domain: target.domain,
    accounts: [target.accounts.juliet, target.accounts.romeo],
    stop: async () => {
      await managing.stop();
      await stopServer();
    },
  };
}

export async function echoEndpoint(): Promise<BenchEndpoint> {
  const echo = await startEchoTarget();
  return {
    label: "in-process echo target in a worker thread (generator alone)",
    host: echo.host,
    port: echo.port,
    domain: echo.domain,
    accounts: [{ username: "echo", password: "echo" }],
    stop: () => echo.stop(),
  };
}
