/** Which revision of a specification a party speaks: XEP-0355 2 = v0.5 (urn:xmpp:delegation:2), 1 = v0.4.1; XEP-0356 2 = 0.4.x, 1 = 0.2–0.3. */
export type ProtocolVersion = 1 | 2;

/** XEP-0355 namespace of each revision (v0.5 → :2, v0.4.1 → :1). */
export function delegationNamespace(version: ProtocolVersion): string {
  return `urn:xmpp:delegation:${version}`;
}

/** #disco_nesting: node on which the ME publishes its features for a delegated namespace. */
export function nestingNode(version: ProtocolVersion, namespace: string): string {
  return `${delegationNamespace(version)}::${namespace}`;
}

/** #disco_nesting: node for the bare-JID features of a delegated namespace. */
export function bareNestingNode(version: ProtocolVersion, namespace: string): string {
  return `${delegationNamespace(version)}:bare:${namespace}`;
}

/** #remaining_disco / #bare_jid_disco_items: pseudo-namespaces, v0.5 only. */
export const REMAINING_DISCO_INFO = "urn:xmpp:delegation:2:bare:disco#info:*";
export const REMAINING_DISCO_ITEMS = "urn:xmpp:delegation:2:bare:disco#items:*";

export const NS = {
  client: "jabber:client",
  component: "jabber:component:accept",
  stream: "http://etherx.jabber.org/streams",
  streamErrors: "urn:ietf:params:xml:ns:xmpp-streams",
  stanzaErrors: "urn:ietf:params:xml:ns:xmpp-stanzas",
  sasl: "urn:ietf:params:xml:ns:xmpp-sasl",
  bind: "urn:ietf:params:xml:ns:xmpp-bind",
  forward: "urn:xmpp:forward:0",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  dataForms: "jabber:x:data",
  ping: "urn:xmpp:ping",
  version: "jabber:iq:version",
  pubsub: "http://jabber.org/protocol/pubsub",
  mam: "urn:xmpp:mam:2",
  roster: "jabber:iq:roster",
  privilege: "urn:xmpp:privilege:2",
} as const;
