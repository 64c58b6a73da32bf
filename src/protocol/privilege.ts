import type { ProtocolVersion } from "./namespaces.js";

/** XEP-0356 namespace of each revision (0.4.x → :2; 0.2–0.3 → :1). */
export function privilegeNamespace(version: ProtocolVersion): string {
  return `urn:xmpp:privilege:${version}`;
}

/** #server_roster / #iq_stanzas: what a roster or IQ-namespace permission lets the entity send. */
export type GetSetAccess = "none" | "get" | "set" | "both";
/** #auth_mess */
export type MessageAccess = "none" | "outgoing";
/** #managed_ent_presence, #roster_presence */
export type PresenceAccess = "none" | "managed_entity" | "roster";

/**
 * The privileges a server grants one component, as its configuration says (Prosody's
 * `privileged_entities`, ejabberd's `mod_privilege` options). The shape of a target file's
 * `privileges.managing` / `privileges.other` and of the mock server's `privileges` option.
 */
export interface PrivilegeGrant {
  roster?: GetSetAccess;
  /** #server_roster: roster pushes; unset, true for roster get/both and false otherwise. */
  push?: boolean;
  message?: MessageAccess;
  presence?: PresenceAccess;
  /** #iq_stanzas (`:2` only): namespace → allowed IQ types. */
  iq?: Readonly<Record<string, GetSetAccess>>;
}

/** Whether `access` allows an IQ of `type`. */
export function allowsType(access: GetSetAccess | undefined, type: string | undefined): boolean {
  if (access === "both") return type === "get" || type === "set";
  return access !== undefined && access !== "none" && access === type;
}

/** #server_roster: pushes default to true for get/both; never for none/set (PRV-ROS-03/04). */
export function rosterPushes(grant: PrivilegeGrant): boolean {
  if (grant.roster !== "get" && grant.roster !== "both") return false;
  return grant.push ?? true;
}

/** #roster_presence: presence type roster needs roster read access (PRV-ADV-05). */
export function hasRosterRead(grant: PrivilegeGrant): boolean {
  return grant.roster === "get" || grant.roster === "both";
}
