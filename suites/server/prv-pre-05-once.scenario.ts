import type { ScenarioModule } from "../../src/scenario/load.js";

/**
 * PRV-PRE-05 (SHOULD, #rules 2): a presence the privileged entity would get several times is sent once.
 * Once juliet has romeo as a contact, his presence concerns it twice: as a managed user's own presence
 * (#managed_ent_presence) and as one juliet receives (#roster_presence, which implies the former).
 *
 * A module, not a .scenario, for its clean-up: it runs whatever the checks found. A server that sends the
 * presence twice fails the last check; without the clean-up juliet and romeo would stay contacts, and the
 * XEP-0355 scenarios run after it on the same lane (srv-dsc-03/05/07 *-other-account: juliet reads romeo's
 * bare-JID disco#info, which ejabberd allows to contacts only) would change verdict with the run's order.
 */
const scenario: ScenarioModule = {
  id: "prv-pre-05-once",
  title: "A presence the privileged entity may get for two reasons is sent to it once",
  role: "server",
  requirements: ["PRV-PRE-05", "PRV-PRE-01"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    await ctx.connect("juliet");
    await ctx.connect("romeo");
    // Leftovers of an earlier run on a shared server: no roster item for romeo.bare (an error if there is none).
    await ctx.send("juliet", "<iq type='set' id='pre05-clean'><query xmlns='jabber:iq:roster'><item jid='${romeo.bare}' subscription='remove'/></query></iq>");
    await ctx.receive("juliet", "<iq id='pre05-clean'/>");
    await ctx.connect("me");
    await ctx.send("juliet", "<presence id='pre05-juliet'/>");
    await ctx.send("romeo", "<presence id='pre05-romeo'/>");
    // An interested resource (RFC 6121 §2.1.6): the server delivers the subscription approval only to those.
    await ctx.send("juliet", "<iq type='get' id='pre05-roster'><query xmlns='jabber:iq:roster'/></iq>");
    await ctx.receive("juliet", "<iq type='result' id='pre05-roster'/>");
    try {
      await ctx.send("juliet", "<presence type='subscribe' to='${romeo.bare}'/>");
      await ctx.receive("romeo", "<presence type='subscribe' from='${juliet.bare}'/>");
      await ctx.send("romeo", "<presence type='subscribed' to='${juliet.bare}'/>");
      await ctx.receive("juliet", "<presence type='subscribed' from='${romeo.bare}'/>");
      await ctx.send("romeo", "<presence type='unavailable' id='pre05-away'/>");
      await ctx.send("romeo", "<presence id='pre05-back'><status>Under the balcony</status></presence>");
      await ctx.receive("juliet", "<presence id='pre05-back' from='${romeo.full}'/>");
      await ctx.receive("me", "<presence id='pre05-back' from='${romeo.full}' to='${me}'/>", { requirement: "PRV-PRE-01" });
      await ctx.receiveNothing("me", "<presence id='pre05-back'/>");
    } finally {
      // The suite leaves the target as it found it: juliet's subscription to romeo removed, whatever the
      // checks found (a failure of its own here would only hide theirs).
      await ctx.send("juliet", "<iq type='set' id='pre05-unclean'><query xmlns='jabber:iq:roster'><item jid='${romeo.bare}' subscription='remove'/></query></iq>").catch(() => undefined);
      await ctx.receive("juliet", "<iq id='pre05-unclean'/>").catch(() => undefined);
    }
  },
};
export default scenario;
