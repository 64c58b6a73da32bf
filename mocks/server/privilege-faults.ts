/**
 * Fault switches of the mock server's XEP-0356 side (mocks/server/privilege.ts): one per ID of
 * sections A–F of the XEP-0356 catalogue, each turning exactly that behaviour wrong.
 */
export const PRIVILEGE_FAULTS = {
  "PRV-ADV-01": "sends no privilege advertisement",
  "PRV-ADV-02": "advertises the roster permission without its 'type'",
  "PRV-ADV-03": "advertises the roster permission with push='yes' (neither reading: not a boolean)",
  "PRV-ADV-04": "nests the IQ permission's <namespace/> elements in one another",
  "PRV-ADV-05": "grants and advertises presence type 'roster' to a component without roster read access",
  "PRV-ADV-06": "does not advertise the privileges again when a privileged entity reconnects",
  "PRV-ADV-07": "honours a configured IQ permission for the privilege namespace itself (advertises and executes it)",
  "PRV-ROS-01": "answers a privileged entity's roster IQs whatever roster type it was granted (set only, get only, none or no roster permission)",
  "PRV-ROS-02": "answers a privileged entity's roster IQs without the user's roster: an empty roster for a get, a set acknowledged but not applied",
  "PRV-ROS-03": "sends no roster pushes to privileged entities",
  "PRV-ROS-04": "also pushes roster changes to entities with roster type set or none, or push='false'",
  "PRV-MSG-01": "accepts privileged messages but delivers nothing",
  "PRV-MSG-02": "refuses messages sent on behalf of the server itself (inner 'from' the domain)",
  "PRV-MSG-03": "delivers privileged messages without checking the permission or the inner 'from' (full JID, foreign domain)",
  "PRV-MSG-04": "leaves an empty <privilege/> element in the delivered message",
  "PRV-IQ-01": "executes privileged IQs whatever their top-level 'to' (the server, a full JID, a foreign bare JID)",
  "PRV-IQ-02": "executes privileged IQs whose payload namespace is not granted",
  "PRV-IQ-03": "executes privileged IQs of a type not granted for their namespace",
  "PRV-IQ-04": "executes encapsulated IQs that are not qualified by jabber:client",
  "PRV-IQ-05": "executes encapsulated IQs whose 'from' is another JID (and overwrites it)",
  "PRV-IQ-06": "executes privileged IQs whose top-level type differs from the encapsulated one",
  "PRV-IQ-07": "sends the encapsulated IQ from the privileged entity's JID instead of the user's bare JID",
  "PRV-IQ-09": "forwards a privileged IQ in a namespace delegated to the privileged entity back to it (ejabberd #4347)",
  "PRV-PRE-01": "sends managed users' presences from their bare JID",
  "PRV-PRE-02": "transmits every presence stanza of a managed user: updates and subscription stanzas too",
  "PRV-PRE-03": "sends none of the presences managed users get from their contacts (roster presence)",
  "PRV-PRE-04": "sends a privileged entity that connects nothing of the presences already exchanged",
  "PRV-PRE-05": "sends a presence once per reason (the user's own, each user having her as a contact)",
  "PRV-GEN-01": "roster pushes that a privileged entity's roster set causes reach the user from the entity's JID",
  "PRV-GEN-02": "lets a privileged entity's roster set skip RFC 6121's checks (several items, 'subscription' honoured)",
} as const;

export type PrivilegeFault = keyof typeof PRIVILEGE_FAULTS;
