import type { Socket } from "node:net";
import type { ProtocolVersion } from "../../src/target/types.js";
import type { MockClock } from "../clock.js";
import { NS, REMAINING_DISCO_INFO, REMAINING_DISCO_ITEMS, delegationNamespace } from "../../src/protocol/namespaces.js";
import type { PrivilegeGrant } from "../../src/protocol/privilege.js";
import type { ServerFault } from "./faults.js";

/** A delegations table as Prosody's mod_delegation reads it: namespace → managing entity and filtering attributes. */
export type DelegationTable = Record<string, { jid: string; attributes?: string[] }>;

/**
 * The reading the mock follows for each ambiguous row (and the MAY row SRV-DSC-14) of the
 * catalogue; the first value of each is the default. Either reading passes the suite.
 */
export interface ServerReadings {
  /**
   * SRV-ADV-08: one advertisement <message/> holding every delegation, one message per namespace, or several split
   * otherwise (other-split: the full one, then a second holding only the unfiltered delegation).
   */
  "SRV-ADV-08": "one-message" | "several-messages" | "other-split";
  /** SRV-FWD-12: an IQ to the sender's own bare JID is forwarded with that 'to', or with none. */
  "SRV-FWD-12": "keeps-to" | "no-to";
  /**
   * SRV-REP-07: an inner IQ error is relayed (lenient), gets service-unavailable (strict), or another error
   * (other-condition: internal-server-error). Lenient by default, like Prosody and ejabberd: the reference
   * managing entity (mocks/component) wraps its errors.
   */
  "SRV-REP-07": "lenient" | "strict" | "other-condition";
  /**
   * SRV-REP-14: an inner reply without 'from' (the spec's examples) is delivered with the 'from' filled in, or
   * refused (strict). Delivered by default, like Prosody: the spec's own example shape works with the reference.
   */
  "SRV-REP-14": "delivered" | "refused";
  /** SRV-DSC-14 (MAY): the server's own items are not nested into a forwarded bare-JID disco#items answer, or are. */
  "SRV-DSC-14": "does-not-nest" | "nests";
  /** SRV-CLI-13: a client-mode request IQ is answered at once, once the user decided (after the advertisement), or never. */
  "SRV-CLI-13": "immediate" | "deferred" | "unanswered";
  /** PRV-ADV-03 (MAY, XEP-0356): the roster perm's 'push' is given explicitly (the spec's examples) or left to its default. */
  "PRV-ADV-03": "explicit" | "absent";
  /** PRV-IQ-08 (XEP-0356): an error response to a privileged IQ comes back in an outer 'result' (the spec's example shape) or 'error'. */
  "PRV-IQ-08": "result" | "error";
}

export const DEFAULT_READINGS: ServerReadings = {
  "SRV-ADV-08": "one-message",
  "SRV-FWD-12": "keeps-to",
  "SRV-REP-07": "lenient",
  "SRV-REP-14": "delivered",
  "SRV-DSC-14": "does-not-nest",
  "SRV-CLI-13": "immediate",
  "PRV-ADV-03": "explicit",
  "PRV-IQ-08": "result",
};

/** The other reading of each row (a third, where a row has one: FURTHER_READINGS). */
export const ALTERNATE_READINGS: ServerReadings = {
  "SRV-ADV-08": "several-messages",
  "SRV-FWD-12": "no-to",
  "SRV-REP-07": "strict",
  "SRV-REP-14": "refused",
  "SRV-DSC-14": "nests",
  "SRV-CLI-13": "deferred",
  "PRV-ADV-03": "absent",
  "PRV-IQ-08": "error",
};

/** The third reading of the rows that have one: with DEFAULT_READINGS and ALTERNATE_READINGS, every reading the mock can follow. */
export const FURTHER_READINGS: Partial<ServerReadings> = {
  "SRV-ADV-08": "other-split",
  "SRV-REP-07": "other-condition",
  "SRV-CLI-13": "unanswered",
};

export interface MockServerOptions {
  domain: string;
  /** SRV-FWD-11: a second hosted domain (same accounts) where delegation is not activated. */
  undelegatedDomain: string;
  host: string;
  /** 0 picks a free port. */
  c2sPort: number;
  componentPort: number;
  /** username → password */
  accounts: Record<string, string>;
  /** component JID → secret */
  components: Record<string, string>;
  delegations: DelegationTable;
  /** XEP-0356: component JID → the privileges granted to it (mocks/server/privilege.ts). */
  privileges: Record<string, PrivilegeGrant>;
  /** Both protocols' revision: urn:xmpp:delegation:N and urn:xmpp:privilege:N. */
  version: ProtocolVersion;
  /** Nest the ME's `…:bare:NS` answers in bare-JID disco#info (#disco_nesting). */
  bareDisco: boolean;
  /** Prosody advertises then queries the nesting nodes; ejabberd queries first. */
  order: "advertise-first" | "query-first";
  /** How long a forward may stay unanswered before the sender gets an error. */
  forwardTimeoutMs: number;
  /** SRV-REP-10 (MAY): close the ME's stream, with a stream error, after a bad reply. */
  closeStreamOnBadReply: boolean;
  /**
   * Client mode, #rules 1/2: keep a user's grants across sessions when the granting session supports
   * XEP-0050 (its disco#info lists http://jabber.org/protocol/commands); false: every grant ends with its session.
   */
  keepGrants: boolean;
  /** Client mode, #security 2 (SRV-CLI-12): namespaces users may not delegate; offered fixed to 0. */
  clientFiltered: string[];
  /** Client mode, SRV-CLI-13 "deferred" reading: how long a request waits for the user before it is answered anyway. */
  clientRequestTimeoutMs: number;
  faults: ServerFault[];
  /** Which reading of each ambiguous row to follow (unset rows: DEFAULT_READINGS). */
  readings: Partial<ServerReadings>;
  log?: (line: string) => void;
  /** The timers of everything the mock does on its own (default: Node's; a WireQuiescence when the runner asks). */
  clock?: MockClock;
  /** Called with every accepted socket before anything is read from it (mocks/quiescence.ts). */
  onSocket?: (socket: Socket) => void;
}

export const MOCK_DOMAIN = "capulet.test";
export const MANAGING_JID = `pubsub.${MOCK_DOMAIN}`;
export const OTHER_JID = `other.${MOCK_DOMAIN}`;
/** XEP-0356 (PRV-ROS-01): a component granted roster 'get' only, and one granted no roster permission. */
export const READER_JID = `reader.${MOCK_DOMAIN}`;
export const MESSENGER_JID = `messenger.${MOCK_DOMAIN}`;
/** SRV-FWD-11: hosted too, with the same accounts, but no delegation. */
export const MOCK_UNDELEGATED_DOMAIN = "verona.test";

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

/**
 * XEP-0356 reference grants. The managing entity is also the privileged entity, as a PEP service
 * is (PRV-IQ-09's loop only exists then): roster both (push left to its default), outgoing messages,
 * roster presence, and IQs — pubsub both, version get only, ping none, and (refused, PRV-ADV-07) the
 * privilege namespace itself, as a careless admin might write it. The other component asks for
 * roster presence with roster set only: refused (PRV-ADV-05). PRV-ROS-01's refusals: the reader has
 * roster get only, the messenger roster type none (advertised as such) and outgoing messages.
 */
export function defaultPrivileges(managing = MANAGING_JID, other = OTHER_JID): Record<string, PrivilegeGrant> {
  return {
    [managing]: { roster: "both", message: "outgoing", presence: "roster", iq: { [NS.pubsub]: "both", [NS.version]: "get", [NS.ping]: "none", [NS.privilege]: "both" } },
    [other]: { roster: "set", presence: "roster" },
    [READER_JID]: { roster: "get" },
    [MESSENGER_JID]: { roster: "none", message: "outgoing" },
  };
}

export function defaultMockServerOptions(overrides: Partial<MockServerOptions> = {}): MockServerOptions {
  const version = overrides.version ?? 2;
  return {
    domain: MOCK_DOMAIN,
    undelegatedDomain: MOCK_UNDELEGATED_DOMAIN,
    host: "127.0.0.1",
    c2sPort: 0,
    componentPort: 0,
    accounts: { juliet: "juliet-pass", romeo: "romeo-pass" },
    components: { [MANAGING_JID]: "managing-secret", [OTHER_JID]: "other-secret", [READER_JID]: "reader-secret", [MESSENGER_JID]: "messenger-secret" },
    delegations: defaultDelegations(version, overrides.components ? Object.keys(overrides.components)[0] : MANAGING_JID),
    privileges: overrides.components ? defaultPrivileges(Object.keys(overrides.components)[0], Object.keys(overrides.components)[1]) : defaultPrivileges(),
    version,
    bareDisco: true,
    order: "advertise-first",
    forwardTimeoutMs: 30_000,
    closeStreamOnBadReply: false,
    keepGrants: false,
    clientFiltered: [NS.roster],
    clientRequestTimeoutMs: 120_000,
    faults: [],
    readings: {},
    ...overrides,
  };
}
