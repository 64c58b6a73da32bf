import { Element } from "../xml/element.js";
import { NS } from "../protocol/namespaces.js";
import type { AutoResponder } from "./component-actor.js";

/** Distinctive features the suite's managing entity publishes, so nesting (SRV-DSC-02/05/06) is visible in the server's answers. */
export const probeFeature = (namespace: string) => `urn:xep0355-suite:probe:${namespace}`;
export const probeBareFeature = (namespace: string) => `urn:xep0355-suite:probe-bare:${namespace}`;
export const PROBE_FORM_TYPE = "urn:xep0355-suite:probe-form";
export const PROBE_IDENTITY = { category: "pubsub", type: "pep", name: "xep0355-suite" };

/**
 * Answers the server's disco#info queries on the nesting nodes
 * `urn:xmpp:delegation:N::NS` and `…:N:bare:NS` (#disco_nesting), whenever the
 * server asks (before or after the advertisement).
 */
export function nestingResponder(delegationNs: string): AutoResponder {
  const serverPrefix = `${delegationNs}::`;
  const barePrefix = `${delegationNs}:bare:`;
  return (stanza) => {
    if (stanza.name !== "iq" || stanza.attrs.type !== "get") return undefined;
    const query = stanza.getChild("query", NS.discoInfo);
    const node = query?.attrs.node;
    if (typeof node !== "string") return undefined;
    const bare = node.startsWith(barePrefix);
    if (!bare && !node.startsWith(serverPrefix)) return undefined;
    const namespace = node.slice((bare ? barePrefix : serverPrefix).length);
    const answer = new Element("iq", { type: "result", id: stanza.attrs.id, to: stanza.attrs.from, from: stanza.attrs.to });
    const info = answer.c("query", { xmlns: NS.discoInfo, node });
    if (bare) info.c("identity", PROBE_IDENTITY);
    info.c("feature", { var: namespace });
    info.c("feature", { var: bare ? probeBareFeature(namespace) : probeFeature(namespace) });
    if (!bare) {
      const form = info.c("x", { xmlns: NS.dataForms, type: "result" });
      form.c("field", { var: "FORM_TYPE", type: "hidden" }).c("value").t(PROBE_FORM_TYPE);
      form.c("field", { var: "namespace" }).c("value").t(namespace);
    }
    return answer;
  };
}
