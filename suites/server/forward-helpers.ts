import type { ScenarioContext } from "../../src/runner/context.js";
import type { CastEntry } from "../../src/scenario/model.js";

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
