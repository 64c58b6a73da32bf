import { MOCK_SERVER_SOFTWARE, MockServer, defaultMockServerOptions, type ServerFault, type ServerReadings } from "../../../mocks/server/index.js";
import type { Need, Scenario } from "../../scenario/model.js";
import type { ProtocolVersion, ServerTarget } from "../../target/types.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
import { WireQuiescence } from "../../../mocks/quiescence.js";
import { MANAGING_JID, MESSENGER_JID, OTHER_JID, READER_JID } from "../../../mocks/server/options.js";
import { serverEnvironment } from "./server-environment.js";

export interface MockServerDriverOptions {
  version: ProtocolVersion;
  faults: ServerFault[];
  order?: "advertise-first" | "query-first";
  /** The reading the mock follows for each ambiguous row (default: mocks/server/options.ts DEFAULT_READINGS). */
  readings?: Partial<ServerReadings>;
  /** Overrides the per-step timeout (--timeout). */
  stepTimeoutMs?: number;
  /** Client mode, #rules 1: keep XEP-0050 clients' grants across sessions (default true: the complete reference). */
  keepGrants?: boolean;
  /** What the mock says about what it refused (a bad reply from the managing entity …): `replay` prints it. */
  log?: (line: string) => void;
}

/** The embedded mock delegating server, started fresh for each scenario so scenarios are isolated and run concurrently. */
export class MockServerDriver implements TargetDriver {
  readonly role = "server";

  constructor(private readonly options: MockServerDriverOptions) {}

  async prepare(): Promise<TargetDescription> {
    const faults = this.options.faults.length ? ` with fault ${this.options.faults.join(", ")}` : "";
    const readings = Object.entries(this.options.readings ?? {}).map(([id, name]) => `${id} ${name}`);
    const readingText = readings.length ? ` (readings: ${readings.join(", ")})` : "";
    return { role: "server", name: `embedded mock server${faults}${readingText}`, software: `${MOCK_SERVER_SOFTWARE} (reference)`, protocolVersion: this.options.version,
      // It grants XEP-0356 privileges too (mocks/server/privilege.ts), of the same revision.
      specs: { "0355": this.options.version, "0356": this.options.version } };
  }

  unsupported(needs: Need[]): string | undefined {
    // The mock implements client mode (mocks/server/client-mode.ts); keeping grants is its keepGrants option (#rules 1).
    if (needs.includes("keptGrants") && this.options.keepGrants === false) return "the mock server runs with keepGrants off: grants end with their session (#rules 1, MAY)";
    if (this.options.version === 1 && (needs.includes("remainingDiscoInfo") || needs.includes("remainingDiscoItems"))) {
      return "remaining-disco delegations do not exist in urn:xmpp:delegation:1";
    }
    return undefined;
  }

  async open(_scenario: Scenario, _uid: string): Promise<ScenarioEnvironment> {
    // Per scenario: its own mock, its own connections, so its own idea of when nothing more can happen.
    const quiescence = new WireQuiescence();
    const options = defaultMockServerOptions({
      version: this.options.version,
      faults: this.options.faults,
      order: this.options.order ?? "advertise-first",
      readings: this.options.readings ?? {},
      keepGrants: this.options.keepGrants ?? true,
      log: this.options.log,
      clock: quiescence,
      onSocket: (socket) => quiescence.watch(socket, "mock"),
    });
    const server = new MockServer(options);
    await server.start();
    const component = (jid: string) => ({ jid, secret: options.components[jid] });
    const target: ServerTarget = {
      role: "server",
      name: "embedded mock server",
      host: options.host,
      domain: options.domain,
      c2sPort: server.c2sPort,
      componentPort: server.componentPort,
      version: options.version,
      accounts: {
        juliet: { username: "juliet", password: options.accounts.juliet },
        romeo: { username: "romeo", password: options.accounts.romeo },
      },
      // XEP-0356 (PRV-ROS-01): the reader has roster get only, the messenger no roster permission (options.ts defaultPrivileges)
      components: { managing: component(MANAGING_JID), other: component(OTHER_JID), reader: component(READER_JID), messenger: component(MESSENGER_JID) },
      delegations: { plain: { namespace: "http://jabber.org/protocol/pubsub" }, filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] } },
      undelegatedNamespace: "jabber:iq:version",
      foreignDomain: "montague.example",
      // SRV-FWD-11: the mock hosts a second domain, same accounts, without delegation.
      undelegatedDomain: options.undelegatedDomain,
      features: { filtering: true, bareDisco: true, remainingDiscoInfo: this.options.version === 2, remainingDiscoItems: this.options.version === 2, clientMode: true, keptGrants: this.options.keepGrants ?? true },
      // The mock is in-process on loopback: short windows are enough and keep the suite fast.
      timeouts: { step: this.options.stepTimeoutMs ?? 1500, quiet: 200, connect: 10_000, giveUp: 2000 },
    };
    return serverEnvironment(target, this.options.version, () => server.stop(), { quiescence, watch: (socket) => quiescence.watch(socket, "suite") });
  }

  exclusiveResources(): string[] {
    return [];
  }

  async close(): Promise<void> {}
}
