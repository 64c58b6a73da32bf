import type { ProtocolVersion } from "../protocol/namespaces.js";
import type { PrivilegeGrant } from "../protocol/privilege.js";

export type { ProtocolVersion };

export interface Account {
  username: string;
  password: string;
}

export interface ComponentCredentials {
  jid: string;
  secret: string;
  /** Component port when it differs from the target's componentPort (ejabberd: one listener per component). */
  port?: number;
}

/** One delegation as configured on the server: a namespace, optional filtering attributes (#server_config). */
export interface Delegation {
  namespace: string;
  attributes?: string[];
}

/** Optional parts of XEP-0355 a server may or may not implement; scenarios that need one say so. */
export interface ServerFeatures {
  /** Delegations with filtering attributes (#server_config). */
  filtering: boolean;
  /** Bare-JID disco#info nesting of `…:bare:NS` (#disco_nesting). */
  bareDisco: boolean;
  /** `urn:xmpp:delegation:2:bare:disco#info:*` delegated (#remaining_disco). */
  remainingDiscoInfo: boolean;
  /** `urn:xmpp:delegation:2:bare:disco#items:*` delegated (#bare_jid_disco_items). */
  remainingDiscoItems: boolean;
  /** Client mode (#client_usecases). */
  clientMode: boolean;
  /**
   * Client mode: grants of a client that supports XEP-0050 are kept across its sessions (#rules 1, MAY);
   * the server asks the granting resource's disco#info. SRV-CLI-10/11 need it.
   */
  keptGrants?: boolean;
}

/**
 * A further delegating domain of a target, configured exactly as `domain` (the same delegations,
 * accounts juliet and romeo with the same passwords) but with a managing component of its own.
 * Scenarios that cast the managing component run on different lanes at once instead of taking turns.
 */
export interface ServerLane {
  domain: string;
  components: {
    managing: ComponentCredentials;
    /** The lane's own component with no delegation; without one, the target's `components.other`, shared by the lanes. */
    other?: ComponentCredentials;
  };
}

export interface ServerTarget {
  role: "server";
  /** Human label for reports, e.g. "Prosody 0.12 + mod_delegation". */
  name: string;
  host: string;
  domain: string;
  c2sPort: number;
  componentPort: number;
  version: ProtocolVersion | "auto";
  accounts: { juliet: Account; romeo: Account };
  components: {
    /** The managing entity the delegations point to. */
    managing: ComponentCredentials;
    /** A second component with no delegation (SRV-ADV-04, SRV-REP-12). */
    other?: ComponentCredentials;
    /** XEP-0356: a component with no delegation granted roster 'get' only (PRV-ROS-01: its roster set is refused). Shared by the lanes. */
    reader?: ComponentCredentials;
    /** XEP-0356: a component with no delegation granted no roster permission, but some other one (PRV-ROS-01: its roster get and set are refused). Shared by the lanes. */
    messenger?: ComponentCredentials;
  };
  delegations: {
    /** A namespace delegated without filtering; the server should also have its own implementation of it (SRV-DSC-03). */
    plain: Delegation;
    /** A namespace delegated with filtering attributes. */
    filtered?: Delegation;
    /** Client mode (#client_delegation): a namespace the suite's ME asks users for; not admin-delegated (default jabber:iq:private). */
    client?: Delegation;
    /** Client mode (#security 2, SRV-CLI-12): a namespace the server does not let users delegate (default jabber:iq:roster). */
    clientFiltered?: Delegation;
  };
  /** A namespace the server answers itself and that is not delegated (e.g. jabber:iq:version). */
  undelegatedNamespace: string;
  /** A domain the server does not host (SRV-FWD-06). */
  foreignDomain: string;
  /**
   * A second domain the server hosts, with accounts juliet and romeo registered too, where
   * delegation is not activated (SRV-FWD-11); scenarios needing it are not-supported without it.
   */
  undelegatedDomain?: string;
  features: ServerFeatures;
  /**
   * Further delegating domains with managing components of their own (launched servers): scenarios
   * casting a component each get a lane to themselves, `domain` + `components` being the first.
   * Without any, those scenarios take turns on the one managing component.
   */
  lanes?: ServerLane[];
  /**
   * XEP-0356: the privileges the server's configuration grants each component (Prosody's
   * `privileged_entities`, ejabberd's `mod_privilege`). Present: the target declares XEP-0356 and the
   * PRV-* scenarios run; absent: they are not-supported. Lanes' managing components get `managing` too;
   * `reader` and `messenger` are those of `components.reader` / `.messenger`.
   */
  privileges?: { managing: PrivilegeGrant; other?: PrivilegeGrant; reader?: PrivilegeGrant; messenger?: PrivilegeGrant };
  /** Milliseconds: a step waiting for a stanza, a "nothing within" window, connecting. */
  timeouts: { step: number; quiet: number; connect: number; giveUp?: number };
}

export interface ComponentTarget {
  role: "component";
  name: string;
  /** Where the suite, playing the server, listens for the component's XEP-0114 connection. */
  listenHost: string;
  listenPort: number;
  /** The domain the suite pretends to serve. */
  domain: string;
  component: ComponentCredentials;
  version: ProtocolVersion;
  delegations: { plain: Delegation };
  /**
   * XEP-0356: the privileges the suite, playing the component's server, grants it (#advertise, sent
   * after the delegation advertisement in the namespace of `version`'s revision; IQ permissions in
   * `urn:xmpp:privilege:2` only). Present: the target declares XEP-0356 and the PE-* scenarios run.
   */
  privileges?: PrivilegeGrant;
  /**
   * Optional parts of XEP-0355 the component implements. `clientMode` (#client_usecases,
   * catalogue section H): it requests delegations for users itself; undeclared, the ME-CLI
   * scenarios still run and end not-supported, with what the component did, when it does not.
   */
  features?: { clientMode?: boolean };
  timeouts: { step: number; quiet: number; connect: number };
}

export type Target = ServerTarget | ComponentTarget;
