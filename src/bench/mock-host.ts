/*
 * Child-process entry: the embedded mock server, or the mock component connected to it, each in a
 * process of its own, so that the load generator, the server under load and its managing entity
 * never share an event loop (as a real server and its managing entity never do). The fast
 * responder stays in the bench's process, as it does for real servers.
 * Protocol over IPC: the parent passes a MockHostJob as JSON in argv[2]; the child answers one
 * MockHostMessage, and stops on "stop" or when the parent goes away.
 */
import { startMockServer, MANAGING_JID, MOCK_DOMAIN, type ServerFault } from "../../mocks/server/index.js";
import type { ComponentFault } from "../../mocks/component/index.js";
import type { ProtocolVersion } from "../target/types.js";
import { connectManaging, type ManagingKind } from "./managing.js";

export interface MockHostOptions {
  version: ProtocolVersion;
  serverFaults: ServerFault[];
  componentFaults: ComponentFault[];
  managing: ManagingKind;
  timeoutMs: number;
}

/** What one child hosts: the mock server, or the mock component as the managing entity of the server at `componentPort`. */
export type MockHostJob = MockHostOptions & ({ role: "server" } | { role: "component"; componentPort: number; credentials: { jid: string; secret: string } });

/** Where the mock server listens, and the credentials it accepts. */
export interface MockServerDetails {
  c2sPort: number;
  componentPort: number;
  managing: { jid: string; secret: string };
  domain: string;
  accounts: { username: string; password: string }[];
}

export type MockHostMessage = { ready: true; server?: MockServerDetails } | { ready: false; error: string };

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as MockHostJob;
  const send = (m: MockHostMessage) => process.send?.(m);
  // Ctrl-C reaches the whole process group; the parent decides when this child stops.
  process.on("SIGINT", () => undefined);
  let stopHosted: () => Promise<void> = async () => undefined;
  const stop = async () => {
    await stopHosted();
    process.exit(0);
  };
  process.on("message", (m) => m === "stop" && void stop());
  process.on("disconnect", () => void stop());
  try {
    if (job.role === "component") {
      const target = { host: "127.0.0.1", domain: MOCK_DOMAIN, version: job.version, componentPort: job.componentPort, components: { managing: job.credentials } };
      const managing = await connectManaging("mock-component", target, job.componentFaults, job.timeoutMs);
      stopHosted = () => managing.stop();
      send({ ready: true });
      return;
    }
    const server = await startMockServer({ version: job.version, faults: job.serverFaults });
    stopHosted = () => server.stop();
    const accounts = Object.entries(server.options.accounts).map(([username, password]) => ({ username, password }));
    const managing = { jid: MANAGING_JID, secret: server.options.components[MANAGING_JID] };
    send({ ready: true, server: { c2sPort: server.c2sPort, componentPort: server.componentPort, managing, domain: MOCK_DOMAIN, accounts } });
  } catch (err) {
    send({ ready: false, error: err instanceof Error ? err.message : String(err) });
    return stop();
  }
}

void main();
