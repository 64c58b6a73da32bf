/**
 * Fault switches of the mock component's XEP-0356 side (mocks/component/privilege.ts): one per ID
 * of section G of the XEP-0356 catalogue (PE-*), each turning exactly that behaviour wrong.
 */
export const PRIVILEGED_ENTITY_FAULTS = {
  "PE-ADV-01": "trusts every privilege advertisement: from any sender (a user, a foreign domain) and in either revision's namespace",
  "PE-ADV-02":
    "ignores the 'type' of what is granted: a roster perm of any type (set) lets it read rosters, a message perm of any type (none) lets it send, an IQ namespace of any type allows get and set",
  "PE-IQ-01": "sets the encapsulated IQ's 'from' to the requesting user's full JID (taken from the forwarded request), where #sending_iq allows none or her bare JID",
  "PE-MSG-01": "sends its notifications with an inner 'from' holding a resource (juliet@domain/pep), not a bare JID of the server",
  "PE-ROB-01": "retries at once (up to 20 times) each privileged message or IQ its server refuses, and keeps every permission ever advertised (a new advertisement only adds)",
} as const;

export type PrivilegedEntityFault = keyof typeof PRIVILEGED_ENTITY_FAULTS;
