import type { ScenarioModule } from "../../src/scenario/load.js";

/**
 * PRV-PRE-02 (MUST NOT, #managed_ent_presence): "Only initial presence stanzas and presence stanzas with a
 * 'type' attribute with the value 'unavailable' are transmitted to the privileged entity": not juliet's
 * presence update, not the subscription request she sends. XEP-0356 0.4 reformulated the rule; 0.2–0.3
 * (urn:xmpp:privilege:1) send the presence "each time its presence information change", so a `:1`
 * target must transmit the update (PRV-PRE-01) and only the subscription request must not come.
 */
const scenario: ScenarioModule = {
  id: "prv-pre-02-only-initial-and-unavailable",
  title: "Only a managed user's initial and unavailable presences reach the privileged entity (no update, no subscription request)",
  role: "server",
  requirements: ["PRV-PRE-02", "PRV-PRE-01"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    const versionOne = ctx.variable("priv").endsWith(":1");
    await ctx.connect("juliet");
    // Leftovers of an earlier run on a shared server: no roster item for romeo (an error if there is none).
    await ctx.send("juliet", "<iq type='set' id='pre02-clean'><query xmlns='jabber:iq:roster'><item jid='${romeo.bare}' subscription='remove'/></query></iq>");
    await ctx.receive("juliet", "<iq id='pre02-clean'/>");
    await ctx.connect("me");
    await ctx.send("juliet", "<presence id='pre02-initial'/>");
    await ctx.receive("me", "<presence id='pre02-initial' from='${juliet.full}' to='${me}'/>", { requirement: "PRV-PRE-01" });
    await ctx.send("juliet", "<presence id='pre02-update'><show>away</show><status>Gone to Friar Laurence</status></presence>");
    if (versionOne) await ctx.receive("me", "<presence id='pre02-update' from='${juliet.full}' to='${me}'/>", { requirement: "PRV-PRE-01" });
    else await ctx.receiveNothing("me", "<presence id='pre02-update'/>");
    await ctx.send("juliet", "<presence type='subscribe' id='pre02-subscribe' to='${romeo.bare}'/>");
    await ctx.receiveNothing("me", "<presence type='subscribe'/>");
    await ctx.send("juliet", "<presence type='unavailable' id='pre02-gone'/>");
    await ctx.receive("me", "<presence type='unavailable' id='pre02-gone' from='${juliet.full}' to='${me}'/>", { requirement: "PRV-PRE-01" });
    // The suite leaves the target as it found it: juliet's pending subscription to romeo withdrawn.
    await ctx.send("juliet", "<iq type='set' id='pre02-unclean'><query xmlns='jabber:iq:roster'><item jid='${romeo.bare}' subscription='remove'/></query></iq>");
    await ctx.receive("juliet", "<iq id='pre02-unclean'/>");
  },
};
export default scenario;
