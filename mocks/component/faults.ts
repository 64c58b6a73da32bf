import { PRIVILEGED_ENTITY_FAULTS } from "./privilege-faults.js";

/**
 * Fault switches of the mock managing entity: one per catalogue ID of
 * sections G (admin mode) and H (client mode), each turning exactly that
 * behaviour wrong (and nothing else, so that only the scenarios verifying that
 * ID fail); and one per PE-* row of XEP-0356 (privilege-faults.ts). An ambiguous
 * row has none (a target is never failed on it): the mock follows its readings (below).
 */
export const COMPONENT_FAULTS = {
  "ME-REP-01": "answers forwards without the <delegation/> wrapper (<forwarded/> directly in the outer result)",
  "ME-REP-02": "addresses the inner reply to the sender's bare JID, with a new id",
  "ME-REP-03": "acts on behalf of the outer 'from' (the server, which it treats as an administrator) instead of the inner one",
  "ME-DSC-01": "does not list the delegation namespace in its disco#info",
  "ME-DSC-02": "answers item-not-found on the nesting node urn:xmpp:delegation:N::NS",
  "ME-DSC-03": "answers item-not-found on the bare nesting node urn:xmpp:delegation:N:bare:NS",
  "ME-ROB-01": "handles forwards in namespaces that were not delegated to it as if they were",
  "ME-ROB-02": "answers malformed forwards (no <forwarded/>, no or two inner IQs, no inner 'from') with an empty result",
  "ME-ROB-03": "refuses (bad-request) a <forwarded/> holding anything but one jabber:client IQ: a <delay/> next to it, or an inner IQ without xmlns='jabber:client' as in the spec's examples",
  "ME-SEC-01": "accepts forwards from any sender, not only its server",
  "ME-SEC-02": "asks the server whether an account exists and answers service-unavailable for a missing one (item-not-found otherwise)",
  "ME-SEC-03": "takes the sender of the first delegation advertisement it receives for its server (as libervia-pubsub does without server_jid), and from then on trusts only that sender's advertisements",
  "ME-CLI-01": "leaves the 'to' off the <query/> of its client-mode request (#client_delegation: a MUST), so the request names no user",
  "ME-CLI-02": "keeps client-mode grants in one pool for all users that is only ever added to: juliet's grant serves romeo too, and a revocation (a new advertisement for juliet without NS) is ignored",
  "ME-CLI-03": "asks for the delegation namespace itself along with the ones it manages, and asks again at once each time the server answers forbidden (#rules 5)",
  // XEP-0356 (mocks/component/privilege.ts)
  ...PRIVILEGED_ENTITY_FAULTS,
} as const;

export type ComponentFault = keyof typeof COMPONENT_FAULTS;

export function isComponentFault(id: string): id is ComponentFault {
  return id in COMPONENT_FAULTS;
}

/** Readings of the ambiguous G rows the mock can follow (the catalogue never fails either). */
export interface ComponentReadings {
  /**
   * ME-REP-04: the inner reply's 'from' is the original 'to' (keeps-from, default), absent (no-from, as in the spec's
   * examples), or another JID (other-from: the component's own).
   */
  "ME-REP-04"?: "keeps-from" | "no-from" | "other-from";
}

export const COMPONENT_READINGS = { "ME-REP-04": ["keeps-from", "no-from", "other-from"] } as const;
