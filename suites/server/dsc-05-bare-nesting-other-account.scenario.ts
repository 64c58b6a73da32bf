import { NotSupportedError } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";

/**
 * SRV-DSC-05 (MUST, #disco_nesting): bare-JID disco#info nests the managing entity's answer for node
 * urn:xmpp:delegation:2:bare:NS, here for another account's bare JID (srv-dsc-05-bare-nesting: the sender's own).
 *
 * Another account's bare-JID disco is not the sender's own: a server may refuse it to a user without a
 * presence subscription (Prosody's mod_disco answers service-unavailable; XEP-0030 leaves it to the
 * server's privacy policy). Such a refusal discloses nothing, so it breaks no rule, but nothing is then
 * checked here: the scenario is not-supported, with the refusal as evidence (the sender's own bare JID is checked by its sibling).
 */
const REFUSALS = ["subscription-required", "service-unavailable", "forbidden", "not-authorized", "registration-required"];

const scenario: ScenarioModule = {
  id: "srv-dsc-05-bare-nesting-other-account",
  title: "Another account's bare-JID disco#info nests the managing entity's identities and features for the bare node",
  role: "server",
  requirements: ["SRV-DSC-05"],
  needs: ["bareDisco"],
  versions: [1, 2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    await ctx.connect("me");
    await ctx.connect("juliet");
    await ctx.send("juliet", `<iq type='get' id='dsc05o-q' to='\${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const answer = await ctx.receive("juliet", "<iq id='dsc05o-q'/>");
    const condition = answer.attrs.type === "error" ? answer.getChild("error")?.children.find((c) => typeof c !== "string" && REFUSALS.includes(c.name)) : undefined;
    if (condition && typeof condition !== "string") {
      // No verdict without evidence: a refusal shows nothing about the rule, so this case is not checked (not a pass).
      throw new NotSupportedError(
        `the target refuses romeo's bare-JID disco#info to juliet (<${condition.name}/>, they are not contacts): another account's bare JID cannot be checked here; make juliet and romeo contacts (presence subscription both ways) to check it`,
      );
    }
    ctx.checkLastReceived("<iq type='result' id='dsc05o-q' from='${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' type='pep' name='xep0355-suite'/><feature var='${probe.bare.plain}'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
