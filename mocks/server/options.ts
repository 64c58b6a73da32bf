import type { ProtocolVersion } from "../../src/target/types.js";
import { NS, REMAINING_DISCO_INFO, REMAINING_DISCO_ITEMS, delegationNamespace } from "../../src/protocol/namespaces.js";
import type { ServerFault } from "./faults.js";

/** A delegations table as Prosody's mod_delegation reads it: namespace → managing entity and filtering attributes. */
export type DelegationTable = Record<string, { jid: string; attributes?: string[] }>;

export interface MockServerOptions {
  domain: string;
  host: string;
  /** 0 picks a free port. */
  c2sPort: number;
  componentPort: number;
  /** username → password */
  accounts: Record<string, string>;
  /** component JID → secret */
  components: Record<string, string>;
  delegations: DelegationTable;
  version: ProtocolVersion;
  /** Nest the ME's `…:bare:NS` answers in bare-JID disco#info (#disco_nesting). */
  bareDisco: boolean;
  /** Prosody advertises then queries the nesting nodes; ejabberd queries first. */
  order: "advertise-first" | "query-first";
  /** How long a forward may stay unanswered before the sender gets an error. */
  forwardTimeoutMs: number;
  /** SRV-REP-10 (MAY): close the ME's stream, with a stream error, after a bad reply. */
  closeStreamOnBadReply: boolean;
  faults: ServerFault[];
  log?: (line: string) => void;
}

export const MOCK_DOMAIN = "capulet.test";
export const MANAGING_JID = `pubsub.${MOCK_DOMAIN}`;
export const OTHER_JID = `other.${MOCK_DOMAIN}`;

/**
 * The embedded reference configuration: the pubsub namespace delegated plainly,
 * MAM delegated with filtering attribute `node`, the remaining-disco
 * delegations (v0.5 only), and a (refused, #rules 5) delegation of the
 * delegation namespace itself, as a careless admin might write it.
 */
export function defaultDelegations(version: ProtocolVersion, managing = MANAGING_JID): DelegationTable {
  const table: DelegationTable = {
    [NS.pubsub]: { jid: managing },
    [NS.mam]: { jid: managing, attributes: ["node"] },
    [delegationNamespace(version)]: { jid: managing },
  };
  if (version === 2) {
    table[REMAINING_DISCO_INFO] = { jid: managing };
    table[REMAINING_DISCO_ITEMS] = { jid: managing };
  }
  return table;
}

export function defaultMockServerOptions(overrides: Partial<MockServerOptions> = {}): MockServerOptions {
  const version = overrides.version ?? 2;
  return {
    domain: MOCK_DOMAIN,
    host: "127.0.0.1",
    c2sPort: 0,
    componentPort: 0,
    accounts: { juliet: "juliet-pass", romeo: "romeo-pass" },
    components: { [MANAGING_JID]: "managing-secret", [OTHER_JID]: "other-secret" },
    delegations: defaultDelegations(version, overrides.components ? Object.keys(overrides.components)[0] : MANAGING_JID),
    version,
    bareDisco: true,
    order: "advertise-first",
    forwardTimeoutMs: 30_000,
    closeStreamOnBadReply: false,
    faults: [],
    ...overrides,
  };
}
