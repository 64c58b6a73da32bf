import { Element } from "../xml/element.js";
import { delegationNamespace, NS } from "../protocol/namespaces.js";
import type { ProtocolVersion } from "../target/types.js";
import type { AutoResponder } from "./component-actor.js";

/** Distinctive features the suite's managing entity publishes, so nesting (SRV-DSC-02/05/06) is visible in the server's answers. */
export const probeFeature = (namespace: string) => `urn:xep0355-suite:probe:${namespace}`;
export const probeBareFeature = (namespace: string) => `urn:xep0355-suite:probe-bare:${namespace}`;
export const PROBE_FORM_TYPE = "urn:xep0355-suite:probe-form";
export const PROBE_IDENTITY = { category: "pubsub", type: "pep", name: "xep0355-suite" };

/** Both revisions' namespaces (v0.5, v0.4.1). */
const DELEGATION_NAMESPACES = [delegationNamespace(2), delegationNamespace(1)];

/**
 * Answers the server's disco#info queries on the nesting nodes
 * `urn:xmpp:delegation:N::NS` and `…:N:bare:NS` (#disco_nesting), whenever the
 * server asks (before or after the advertisement).
 *
 * SRV-ADV-05: when a server (wrongly) nests the delegation namespace itself, the
 * answer holds only the probe features, never `urn:xmpp:delegation:N`: a server
 * that copies it into its own disco#info must not pass SRV-DSC-01 thanks to us,
 * and the probe feature showing up there is the evidence that it nested it.
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
    if (!DELEGATION_NAMESPACES.includes(namespace)) info.c("feature", { var: namespace });
    info.c("feature", { var: bare ? probeBareFeature(namespace) : probeFeature(namespace) });
    if (!bare) {
      const form = info.c("x", { xmlns: NS.dataForms, type: "result" });
      form.c("field", { var: "FORM_TYPE", type: "hidden" }).c("value").t(PROBE_FORM_TYPE);
      form.c("field", { var: "namespace" }).c("value").t(namespace);
    }
    return answer;
  };
}

/**
 * The managing entity's responder for a target whose version may not be known yet
 * (`doctor`, `"version": "auto"` detection). Prosody asks a managing entity for its
 * nesting features once per process and keeps the answer: every connection made as
 * the managing component must answer exactly as the suite's managing entity does in
 * a run, or the suite changes the target's state and a later run sees wrong nested
 * features (SRV-DSC-02, SRV-DSC-05, SRV-DSC-06). With "auto", both revisions' nodes
 * are answered; a server only asks those of the revision it speaks.
 */
export function managingNestingResponder(version: ProtocolVersion | "auto"): AutoResponder {
  const responders = (version === "auto" ? [2, 1] as const : [version]).map((v) => nestingResponder(delegationNamespace(v)));
  return (stanza) => {
    for (const respond of responders) {
      const answer = respond(stanza);
      if (answer) return answer;
    }
    return undefined;
  };
}
