/**
 * Fault switches of the mock delegating server: one per catalogue ID of
 * sections A–E, each turning exactly that behaviour wrong.
 */
export const SERVER_FAULTS = {
  "SRV-ADV-01": "sends no delegation advertisement",
  "SRV-ADV-02": "leaves the unfiltered delegation out of the advertisement",
  "SRV-ADV-03": "leaves filtering <attribute/> elements out of the advertisement",
  "SRV-ADV-04": "also advertises delegations to a component that has none",
  "SRV-ADV-05": "honours a configured delegation of the delegation namespace itself",
  "SRV-FWD-01": "does not forward delegated IQs that have no 'to'",
  "SRV-FWD-02": "does not forward delegated IQs addressed to the server",
  "SRV-FWD-03": "does not forward delegated IQs addressed to the sender's own bare JID",
  "SRV-FWD-04": "does not forward delegated IQs addressed to another local bare JID",
  "SRV-FWD-05": "forwards delegated IQs addressed to a full JID",
  "SRV-FWD-06": "forwards delegated IQs addressed to a bare JID of a foreign domain",
  "SRV-FWD-07": "puts <forwarded/> directly in the IQ, without the <delegation/> wrapper",
  "SRV-FWD-08": "alters the inner IQ (bare 'from', payload text dropped)",
  "SRV-FWD-09": "does not qualify the inner IQ by jabber:client",
  "SRV-FWD-10": "forwards non-delegated namespaces and users' result IQs",
  "SRV-REP-01": "drops the text of the payload when delivering a reply",
  "SRV-REP-02": "delivers replies from the managing entity's JID instead of the original 'to'",
  "SRV-REP-03": "relays inner replies whose id differs from the original",
  "SRV-REP-04": "delivers inner replies to whatever 'to' they name",
  "SRV-REP-05": "relays inner replies whose 'from' is spoofed",
  "SRV-REP-06": "relays inner IQs of type get/set",
  "SRV-REP-07": "relays the managing entity's inner error (lenient reading)",
  "SRV-REP-08": "relays the condition of the managing entity's outer error",
  "SRV-REP-09": "relays unwrapped replies raw",
  "SRV-REP-10": "drops the managing entity's TCP connection on a bad reply, without stream error",
  "SRV-REP-11": "relays every reply to the same forward",
  "SRV-REP-12": "accepts wrapped replies from any entity",
  "SRV-UNA-01": "stays silent when the managing entity is not connected",
  "SRV-UNA-02": "forgets pending forwards when the managing entity disconnects (no error to the sender)",
  "SRV-FLT-01": "never forwards filtered delegations",
  "SRV-FLT-02": "forwards filtered delegations even when a filtering attribute is missing",
  "SRV-SLF-01": "forwards the managing entity's own IQs back to it",
  "SRV-ORD-01": "holds a sender's other IQs until the pending forward is answered",
  "SRV-DSC-01": "does not list the delegation namespace in its disco#info",
  "SRV-DSC-02": "does not nest the managing entity's features in its disco#info",
  "SRV-DSC-03": "keeps its internal features of delegated namespaces",
  "SRV-DSC-04": "queries the nesting node again on every disco#info request",
  "SRV-DSC-05": "does not nest the managing entity's bare-JID features and identities",
  "SRV-DSC-06": "does not include the managing entity's XEP-0128 forms",
  "SRV-DSC-07": "answers remaining bare-JID disco#info itself instead of forwarding",
  "SRV-DSC-08": "answers bare-JID disco#items without node itself instead of forwarding",
  "SRV-DSC-09": "answers bare-JID disco#items on unknown nodes itself instead of forwarding",
  "SRV-DSC-10": "adds its own items to the forwarded disco#items answer",
  "SRV-DSC-11": "caches forwarded disco#items answers",
} as const;

export type ServerFault = keyof typeof SERVER_FAULTS;

export function isServerFault(id: string): id is ServerFault {
  return id in SERVER_FAULTS;
}
