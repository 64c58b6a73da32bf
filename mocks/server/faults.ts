import { PRIVILEGE_FAULTS } from "./privilege-faults.js";

/**
 * Fault switches of the mock delegating server: one per catalogue ID of
 * sections A–F (XEP-0355's, then XEP-0356's), each turning exactly that behaviour wrong. An
 * ambiguous row has none (a target is never failed on it): the mock follows its readings instead (options.ts).
 */
export const SERVER_FAULTS = {
  "SRV-ADV-01": "sends no delegation advertisement",
  "SRV-ADV-02": "leaves the unfiltered delegation out of the advertisement",
  "SRV-ADV-03": "leaves filtering <attribute/> elements out of the advertisement",
  "SRV-ADV-04": "also advertises delegations to a component that has none",
  "SRV-ADV-05": "honours a configured delegation of the delegation namespace itself",
  "SRV-ADV-06": "forwards <message/> and <presence/> stanzas carrying a delegated namespace payload to the managing entity",
  "SRV-ADV-07": "does not re-advertise nor forward to a managing entity that reconnects",
  "SRV-FWD-01": "does not forward delegated IQs that have no 'to'",
  "SRV-FWD-02": "does not forward delegated IQs addressed to the server",
  "SRV-FWD-03": "does not forward delegated IQs addressed to the sender's own bare JID",
  "SRV-FWD-04": "does not forward delegated IQs addressed to another local bare JID",
  "SRV-FWD-05": "forwards delegated IQs addressed to a full JID",
  "SRV-FWD-06": "forwards delegated IQs addressed to a bare JID of a foreign domain",
  "SRV-FWD-07": "puts <forwarded/> directly in the IQ, without the <delegation/> wrapper",
  "SRV-FWD-08": "alters the inner IQ (bare 'from', payload text dropped, the server's JID as 'to' of an IQ to the sender's own bare JID)",
  "SRV-FWD-09": "does not qualify the inner IQ by jabber:client",
  "SRV-FWD-10": "forwards non-delegated namespaces and users' result IQs",
  "SRV-FWD-11": "forwards delegated IQs addressed to the undelegated hosted domain",
  "SRV-REP-01": "drops the text of the payload when delivering a reply",
  "SRV-REP-02": "delivers replies from the managing entity's JID instead of the original 'to' (also replies with no inner 'from')",
  "SRV-REP-03": "relays inner replies whose id differs from the original",
  "SRV-REP-04": "delivers inner replies to whatever 'to' they name",
  "SRV-REP-05": "relays inner replies whose 'from' is spoofed",
  "SRV-REP-06": "relays inner IQs of type get/set",
  "SRV-REP-08": "relays the condition of the managing entity's outer error",
  "SRV-REP-09": "relays unwrapped replies raw",
  "SRV-REP-10": "drops the managing entity's TCP connection on a bad reply, without stream error",
  "SRV-REP-11": "relays every reply to the same forward",
  "SRV-REP-12": "accepts wrapped replies from any entity",
  "SRV-REP-13": "takes the first child of <forwarded/> as the reply, so a <delay/> before the IQ spoils it",
  "SRV-TRN-01": "leaks an empty <forwarded/> into replies to bare-JID IQs, and delivers replies to IQs without 'to' from the managing entity's JID",
  "SRV-ANS-01": "sends the error answer for a delegated IQ twice, and no answer at all when the reply holds an inner IQ error, or no inner 'from' for an IQ that had a 'to'",
  "SRV-UNA-01": "stays silent when the managing entity is not connected",
  "SRV-UNA-02": "forgets pending forwards when the managing entity disconnects (no error to the sender)",
  "SRV-FLT-01": "never forwards filtered delegations",
  "SRV-FLT-02": "forwards filtered delegations even when a filtering attribute is missing",
  "SRV-SLF-01": "forwards the managing entity's own IQs back to it (from any JID of its domain, remaining-disco requests included)",
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
  "SRV-DSC-12": "shows its own features instead of the managing entity's for a filtered delegation",
  "SRV-DSC-13": "answers disco#info/items on nodes the managing entity advertised itself instead of forwarding",
  "SRV-DSC-14": "keeps only the first of the managing entity's bare-JID disco#items (neither nests nor leaves them alone)",
  // F. client mode (mocks/server/client-mode.ts)
  "SRV-CLI-01": "sends the delegation form without a challenge, and takes any submit of the user as the answer",
  "SRV-CLI-02": "sends the delegation form without the warning <body/> and without human labels",
  "SRV-CLI-03": "advertises a client-mode grant without the 'to' attribute (as if admin-delegated for every user)",
  "SRV-CLI-04": "grants on a submit with a wrong challenge or a 0, and takes silence (300 ms) as consent",
  "SRV-CLI-05": "forwards client-mode IQs by their sender: the managed user's whatever they address, nobody else's to her bare JID",
  "SRV-CLI-06": "accepts a request for the delegation namespace itself (sends the form) instead of forbidden",
  "SRV-CLI-07": "advertises the end of a session's grants but keeps forwarding them in later sessions (client without XEP-0050)",
  "SRV-CLI-08": "does not list the configure command in disco#items of the commands node (it still works)",
  "SRV-CLI-09": "does not re-advertise grants revoked during a session (configure command, end of the granting session)",
  "SRV-CLI-10": "leaves grants kept from an earlier session out of the configure command",
  "SRV-CLI-11": "answers a request in a kept client-mode grant itself when the managing entity is offline",
  "SRV-CLI-12": "honours a 1 for a namespace it filters out (grants it)",
  "SRV-CLI-14": "the configure command advertises and confirms a revocation but keeps forwarding the revoked grant",
  // XEP-0356 (mocks/server/privilege.ts)
  ...PRIVILEGE_FAULTS,
} as const;

export type ServerFault = keyof typeof SERVER_FAULTS;

export function isServerFault(id: string): id is ServerFault {
  return id in SERVER_FAULTS;
}
