import { NotSupportedError, type ScenarioContext } from "../../src/runner/context.js";
import type { CastEntry } from "../../src/scenario/model.js";
import { childElements, namespaceOf, type Element } from "../../src/xml/element.js";

/** The cast of most reply scenarios: a user and the managing entity, both connected by connectCast. */
export const JULIET_AND_ME: CastEntry[] = [
  { name: "juliet", kind: "client", ref: "juliet" },
  { name: "me", kind: "component", ref: "managing" },
];

export async function connectCast(ctx: ScenarioContext): Promise<void> {
  await ctx.connect("me");
  await ctx.connect("juliet");
}

/** Juliet asks the server for her microblog items; the managing entity receives the forward (captured as {$fwd}). */
export async function julietAsksServer(ctx: ScenarioContext, id: string): Promise<void> {
  await ctx.send("juliet", `<iq type='get' id='${id}' to='\${server}'><pubsub xmlns='\${ns.plain}'><items node='urn:xmpp:microblog:0'/></pubsub></iq>`);
  await ctx.receive("me", `<iq type='set' from='\${server}' id='{$fwd}'><match:deep><iq id='${id}'/></match:deep></iq>`, { requirement: "SRV-FWD-02" });
}

/** The managing entity's outer result around an inner IQ. */
export function wrapped(inner: string): string {
  return `<iq type='result' id='{$fwd}' from='\${me}' to='\${server}'><delegation xmlns='\${deleg}'><forwarded xmlns='urn:xmpp:forward:0'>${inner}</forwarded></delegation></iq>`;
}

export const SERVICE_UNAVAILABLE = "<error><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

/** A user's get in the plain delegated namespace (her microblog items), addressed to `to`, or with no 'to'. */
export function itemsGet(id: string, to?: string): string {
  const address = to === undefined ? "" : ` to='${to}'`;
  return `<iq type='get' id='${id}'${address}><pubsub xmlns='\${ns.plain}'><items node='urn:xmpp:microblog:0'/></pubsub></iq>`;
}

/** The forward of the IQ `id` that `me` must receive, its outer id captured as {$capture}. */
export function forwardOf(id: string, capture = "fwd"): string {
  return `<iq type='set' from='\${server}' id='{$${capture}}'><match:deep><iq id='${id}'/></match:deep></iq>`;
}

/** As wrapped(), answering the forward captured as {$capture}, from the managing entity `me` (an actor name). */
export function wrappedFor(inner: string, capture: string, me = "me"): string {
  return `<iq type='result' id='{$${capture}}' from='\${${me}}' to='\${server}'><delegation xmlns='\${deleg}'><forwarded xmlns='urn:xmpp:forward:0'>${inner}</forwarded></delegation></iq>`;
}

/** Every element of a stanza, depth first (the stanza itself included). */
export function descendants(el: Element): Element[] {
  return [el, ...childElements(el).flatMap(descendants)];
}

/** SRV-TRN-01: the parts of a forward that must never reach a user (the wrapper, the XEP-0297 envelope). */
export function forwardTraces(el: Element, delegationNs: string): Element[] {
  return descendants(el).filter(
    (d) => (d.name === "delegation" && namespaceOf(d) === delegationNs) || (d.name === "forwarded" && namespaceOf(d) === "urn:xmpp:forward:0"),
  );
}

/** Conditions by which a server refuses a user another account's bare-JID disco (XEP-0030: its privacy policy). */
const NON_CONTACT_REFUSALS = ["subscription-required", "service-unavailable", "forbidden", "not-authorized", "registration-required"];

/**
 * Another account's bare-JID disco is not the sender's own: a server may refuse it to a user without a
 * presence subscription (Prosody's mod_disco answers service-unavailable, ejabberd subscription-required).
 * Such a refusal breaks no rule but shows nothing about it either: no verdict without evidence, so the
 * scenario ends not-supported, with the refusal as its evidence (the sender's own bare JID has its sibling).
 */
export function refusedAsNonContact(answer: Element): void {
  if (answer.attrs.type !== "error") return;
  const condition = answer.getChild("error")?.children.find((c): c is Element => typeof c !== "string" && NON_CONTACT_REFUSALS.includes(c.name));
  if (!condition) return;
  throw new NotSupportedError(
    `the target refuses romeo's bare-JID disco#info to juliet (<${condition.name}/>, they are not contacts): another account's bare JID cannot be checked here; make juliet and romeo contacts (presence subscription both ways) to check it`,
  );
}
