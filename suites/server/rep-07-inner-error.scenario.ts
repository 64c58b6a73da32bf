import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, connectCast, julietAsksServer, wrapped } from "./forward-helpers.js";

/**
 * SRV-REP-07 is ambiguous: the spec says the inner type must be result
 * (strict: service-unavailable) but relaying the ME's error is a plausible
 * reading. Strict is checked; the reading the target follows is noted.
 */
const scenario: ScenarioModule = {
  id: "srv-rep-07-inner-error",
  title: "An inner IQ error from the managing entity (strict reading: service-unavailable; lenient: relayed)",
  role: "server",
  requirements: ["SRV-REP-07", "SRV-FWD-02"],
  needs: [],
  versions: [1, 2],
  cast: JULIET_AND_ME,
  async run(ctx) {
    await connectCast(ctx);
    await julietAsksServer(ctx, "rep07-q");
    await ctx.send(
      "me",
      wrapped(
        "<iq xmlns='jabber:client' type='error' id='rep07-q' from='${server}' to='${juliet.full}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
      ),
    );
    const answer = await ctx.receive("juliet", "<iq type='error' id='rep07-q'/>", { requirement: "SRV-REP-07" });
    const conditions = answer.getChild("error")?.children.filter((c) => typeof c !== "string").map((c) => (c as { name: string }).name) ?? [];
    if (conditions.includes("service-unavailable")) {
      ctx.note("SRV-REP-07: the target follows the strict reading (service-unavailable).");
      return;
    }
    if (conditions.includes("item-not-found")) {
      ctx.note("SRV-REP-07: the target follows the lenient reading (relays the managing entity's error).");
    }
    ctx.check(false, "SRV-REP-07", `strict reading expects service-unavailable, received <${conditions.join("/") || "no condition"}/>`, "service-unavailable", [answer.toString()]);
  },
};
export default scenario;
