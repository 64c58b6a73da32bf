/*
 * Child-process entry: the embedded mock server (and the mock component, when it is the managing
 * entity), in a process of their own so that the load generator and the server under load never
 * share an event loop. The fast responder stays in the bench's process, as it does for real servers.
 * Protocol over IPC: the parent passes MockHostOptions as JSON in argv[2]; the child answers one
 * MockHostReady or MockHostFailed message, and stops on "stop" or when the parent goes away.
 */
import { startMockServer, MANAGING_JID, MOCK_DOMAIN, type ServerFault } from "../../mocks/server/index.js";
import type { ComponentFault } from "../../mocks/component/index.js";
import type { ProtocolVersion } from "../target/types.js";
import { connectManaging, type ManagingKind } from "./managing.js";
import type { ManagingEntity } from "./managing-responder.js";

export interface MockHostOptions {
  version: ProtocolVersion;
  serverFaults: ServerFault[];
  componentFaults: ComponentFault[];
  managing: ManagingKind;
  timeoutMs: number;
}

export type MockHostMessage =
  | { ready: true; c2sPort: number; componentPort: number; managing: { jid: string; secret: string }; domain: string; accounts: { username: string; password: string }[] }
  | { ready: false; error: string };

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? "{}") as MockHostOptions;
  const send = (m: MockHostMessage) => process.send?.(m);
  // Ctrl-C reaches the whole process group; the parent decides when this child stops.
  process.on("SIGINT", () => undefined);
  const server = await startMockServer({ version: o.version, faults: o.serverFaults });
  let managing: ManagingEntity | undefined;
  const stop = async () => {
    await managing?.stop();
    await server.stop();
    process.exit(0);
  };
  process.on("message", (m) => m === "stop" && void stop());
  process.on("disconnect", () => void stop());
  const credentials = { jid: MANAGING_JID, secret: server.options.components[MANAGING_JID] };
  try {
    if (o.managing === "mock-component") managing = await connectManaging(
      o.managing,
      { host: "127.0.0.1", domain: MOCK_DOMAIN, version: o.version, componentPort: server.componentPort, components: { managing: credentials } },
      o.componentFaults,
      o.timeoutMs,
    );
  } catch (err) {
    send({ ready: false, error: err instanceof Error ? err.message : String(err) });
    return stop();
  }
  const accounts = Object.entries(server.options.accounts).map(([username, password]) => ({ username, password }));
  send({ ready: true, c2sPort: server.c2sPort, componentPort: server.componentPort, managing: credentials, domain: MOCK_DOMAIN, accounts });
}

void main();
