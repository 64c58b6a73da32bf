import { parseJid } from "../protocol/jid.js";
import { NS, delegationNamespace } from "../protocol/namespaces.js";
import { iqError, iqResult } from "../protocol/stanzas.js";
import { Element } from "../xml/element.js";
import type { ServerRole } from "./component-link.js";

/**
 * What a real server answers by itself for a component (never the scenario's
 * business): disco#info to the server or a local bare JID, roster gets to a
 * local bare JID (XEP-0356 privileged components send them; every other
 * account is a contact with subscription both). Non-existent
 * accounts get service-unavailable (RFC 6121 §8.5.1), so a component cannot
 * learn more than a real server would tell it.
 */
export function autoAnswer(stanza: Element, role: ServerRole): Element | undefined {
  if (stanza.name !== "iq" || stanza.attrs.type !== "get") return undefined;
  const to = stanza.attrs.to;
  if (!to) return undefined;
  const jid = parseJid(to);
  if (jid.resource !== undefined || jid.domain !== role.domain.toLowerCase()) return undefined;
  const disco = stanza.getChild("query", NS.discoInfo);
  const roster = stanza.getChild("query", NS.roster);
  if (!disco && !roster) return undefined;
  if (jid.local !== undefined && !role.accounts.map((a) => a.toLowerCase()).includes(jid.local)) {
    return iqError(stanza, "service-unavailable");
  }
  if (roster) {
    if (jid.local === undefined) return iqError(stanza, "service-unavailable");
    // The suite's users are each other's contacts (so a PEP "presence" access model lets romeo read juliet's nodes).
    const result = iqResult(stanza);
    const query = result.c("query", { xmlns: NS.roster });
    for (const account of role.accounts) {
      if (account.toLowerCase() !== jid.local) query.c("item", { jid: `${account.toLowerCase()}@${role.domain}`, subscription: "both" });
    }
    return result;
  }
  const node = disco!.attrs.node;
  if (node !== undefined) return iqError(stanza, "item-not-found");
  const result = iqResult(stanza);
  const query = result.c("query", { xmlns: NS.discoInfo });
  if (jid.local !== undefined) query.c("identity", { category: "account", type: "registered" });
  else {
    query.c("identity", { category: "server", type: "im", name: "xep0355-suite" });
    query.c("feature", { var: delegationNamespace(role.version) });
  }
  query.c("feature", { var: NS.discoInfo });
  return result;
}
