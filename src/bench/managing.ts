import { startMockComponent, type ComponentFault } from "../../mocks/component/index.js";
import { NS } from "../protocol/namespaces.js";
import type { ComponentCredentials, ProtocolVersion } from "../target/types.js";
import { ManagingResponder, type ManagingEntity } from "./managing-responder.js";

/** Which managing entity answers the forwards: the bench's raw responder, or the reference mock component. */
export type ManagingKind = "fast" | "mock-component";

export interface ManagedServer {
  host: string;
  domain: string;
  version: ProtocolVersion | "auto";
  componentPort: number;
  components: { managing: ComponentCredentials };
}

/** Connects the managing entity and waits (briefly) for the server's delegation advertisement. */
export async function connectManaging(kind: ManagingKind, target: ManagedServer, faults: ComponentFault[], timeoutMs: number): Promise<ManagingEntity> {
  const { jid, secret } = target.components.managing;
  const port = target.components.managing.port ?? target.componentPort;
  if (kind === "fast") {
    const responder = await ManagingResponder.connect({ host: target.host, port, jid, secret, timeoutMs });
    // Forwards only start once the server has advertised; a server that never does still gets its chance.
    await until(() => responder.advertisedNs !== undefined, Math.min(timeoutMs, 2000));
    return responder;
  }
  const component = await startMockComponent({
    host: target.host,
    port,
    jid,
    secret,
    serverDomain: target.domain,
    version: target.version === 1 ? 1 : 2,
    faults,
    clientMode: false,
    connectTimeoutMs: timeoutMs,
  });
  // The mock component refuses forwards of namespaces it has not been advertised yet.
  await until(() => component.delegated.has(NS.pubsub), Math.min(timeoutMs, 2000));
  return { advertisedNs: undefined, stop: () => component.stop() };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}
