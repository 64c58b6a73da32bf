/**
 * Fault switches of the mock managing entity: one per catalogue ID of
 * section G, each turning exactly that behaviour wrong (and nothing else, so
 * that only the scenarios verifying that ID fail).
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
  "ME-SEC-01": "accepts forwards and delegation advertisements from any sender, not only its server",
  "ME-SEC-02": "asks the server whether an account exists and answers service-unavailable for a missing one (item-not-found otherwise)",
} as const;

export type ComponentFault = keyof typeof COMPONENT_FAULTS;

export function isComponentFault(id: string): id is ComponentFault {
  return id in COMPONENT_FAULTS;
}
