import type { Element } from "../xml/element.js";
import { NS } from "../protocol/namespaces.js";
import type { ErrorKind } from "./stats.js";
import { attr } from "./wire.js";

/** delegated: a pubsub items get the server forwards to its managing entity; plain: a XEP-0199 ping it answers itself. */
export type IqKind = "delegated" | "plain";

/** The pubsub node every delegated request reads; seeded once per account before the delegated phase. */
export const BENCH_NODE = "xep0355-bench";

/** The request of one kind, addressed to the server's domain (the one address both Prosody and ejabberd forward). */
export function requestFor(kind: IqKind, id: string, domain: string): string {
  const to = attr(domain);
  return kind === "plain"
    ? `<iq type='get' id='${id}' to='${to}'><ping xmlns='${NS.ping}'/></iq>`
    : `<iq type='get' id='${id}' to='${to}'><pubsub xmlns='${NS.pubsub}'><items node='${BENCH_NODE}'/></pubsub></iq>`;
}

/** What the delegated phase needs to exist first: an item on the node (the mock component answers item-not-found otherwise). */
export function seedRequest(id: string, domain: string): string {
  return (
    `<iq type='set' id='${id}' to='${attr(domain)}'><pubsub xmlns='${NS.pubsub}'><publish node='${BENCH_NODE}'>` +
    `<item id='seed'><entry xmlns='urn:xep0355-suite:bench'/></item></publish></pubsub></iq>`
  );
}

/**
 * Why an answer (with the right id) is wrong, or undefined when it is right. The sender's addressing
 * ('from') is deliberately not checked: that is the conformance suite's job (Prosody fails SRV-REP-02),
 * and the bench compares speed of servers that all answer.
 */
export function checkAnswer(kind: IqKind, answer: Element): ErrorKind | undefined {
  if (answer.name !== "iq") return "wrong-type";
  const type = answer.attrs.type;
  if (type === "error") return "error-answer";
  if (type !== "result") return "wrong-type";
  // A reply the server relayed raw (SRV-REP-09) still carries the managing entity's wrapper.
  if (answer.getChild("delegation") || answer.getChild("forwarded", NS.forward)) return "unwrapped";
  if (kind === "plain") return undefined;
  const items = answer.getChild("pubsub", NS.pubsub)?.getChild("items");
  return items?.attrs.node === BENCH_NODE ? undefined : "wrong-payload";
}
