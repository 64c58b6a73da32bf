import { MOCK_COMPONENT_SOFTWARE, startMockComponent, type ComponentFault, type ComponentReadings } from "../../../mocks/component/index.js";
import { WireQuiescence } from "../../../mocks/quiescence.js";
import { ServerActor } from "../../actors/server-actor.js";
import { NS } from "../../protocol/namespaces.js";
import type { Need, Scenario } from "../../scenario/model.js";
import type { ComponentTarget, ProtocolVersion } from "../../target/types.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
import { componentEnvironment, componentUnsupported, serverRoleFor } from "./component-environment.js";

export interface MockComponentDriverOptions {
  version: ProtocolVersion;
  faults: ComponentFault[];
  /** Which reading of the ambiguous G rows the mock follows (default: ME-REP-04 keeps-from). */
  readings?: ComponentReadings;
  /** Client mode (#client_usecases, catalogue section H); default true. False: an admin-mode-only managing entity. */
  clientMode?: boolean;
  log?: (line: string) => void;
}

export const MOCK_COMPONENT_DOMAIN = "capulet.test";
export const MOCK_COMPONENT_JID = `pubsub.${MOCK_COMPONENT_DOMAIN}`;

/** The target description the embedded mock component runs under (the suite listens on an ephemeral port per scenario). */
export function mockComponentTarget(version: ProtocolVersion, clientMode = true): ComponentTarget {
  return {
    role: "component",
    name: "embedded mock component",
    listenHost: "127.0.0.1",
    listenPort: 0,
    domain: MOCK_COMPONENT_DOMAIN,
    component: { jid: MOCK_COMPONENT_JID, secret: "managing-secret" },
    version,
    delegations: { plain: { namespace: NS.pubsub } },
    features: { clientMode },
    // In-process on loopback: short windows keep the suite fast.
    timeouts: { step: 1500, quiet: 200, connect: 3000 },
  };
}

/**
 * The embedded mock managing entity. Each scenario gets its own ServerActor
 * listening on an ephemeral port and a fresh mock component connected to it,
 * so scenarios are isolated and run concurrently.
 */
export class MockComponentDriver implements TargetDriver {
  readonly role = "component";

  constructor(private readonly options: MockComponentDriverOptions) {}

  async prepare(): Promise<TargetDescription> {
    const faults = this.options.faults.length ? ` with fault ${this.options.faults.join(", ")}` : "";
    const readings = Object.entries(this.options.readings ?? {});
    const chosen = readings.length ? ` (reading ${readings.map(([id, r]) => `${id} ${r}`).join(", ")})` : "";
    const adminOnly = this.clientMode ? "" : " (admin mode only)";
    return { role: "component", name: `embedded mock component${adminOnly}${faults}${chosen}`, software: `${MOCK_COMPONENT_SOFTWARE} (reference)`, protocolVersion: this.options.version,
      // It is a privileged entity too (mocks/component/privilege.ts), of the same revision.
      specs: { "0355": this.options.version, "0356": this.options.version } };
  }

  /** The mock implements client mode (catalogue section H) unless told not to. */
  unsupported(needs: Need[]): string | undefined {
    return componentUnsupported(needs, mockComponentTarget(this.options.version, this.clientMode).features, "the embedded mock component (client mode off)");
  }

  private get clientMode(): boolean {
    return this.options.clientMode ?? true;
  }

  async open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    const target = mockComponentTarget(this.options.version);
    const role = serverRoleFor(target, this.options.version, scenario);
    const server = await ServerActor.listen("server", { ...role, host: target.listenHost, port: 0, connectTimeoutMs: target.timeouts.connect });
    // Per scenario: its own mock and connection, so its own idea of when nothing more can happen.
    const quiescence = new WireQuiescence();
    server.listener.watchSockets((socket) => quiescence.watch(socket, "suite"));
    let component: Awaited<ReturnType<typeof startMockComponent>>;
    try {
      component = await startMockComponent({
        host: target.listenHost,
        port: server.port,
        jid: target.component.jid,
        secret: target.component.secret,
        serverDomain: target.domain,
        version: this.options.version,
        faults: this.options.faults,
        readings: this.options.readings,
        clientMode: this.clientMode,
        delegatedNamespaces: [target.delegations.plain.namespace],
        connectTimeoutMs: target.timeouts.connect,
        log: this.options.log,
        clock: quiescence,
        onSocket: (socket) => quiescence.watch(socket, "mock"),
      });
    } catch (err) {
      await server.dispose();
      throw err;
    }
    const environment = componentEnvironment(target, this.options.version, server, uid, async () => {
      await component.stop();
      await server.dispose();
    });
    return { ...environment, quiescence };
  }

  exclusiveResources(): string[] {
    return [];
  }

  async close(): Promise<void> {}
}
