import { NotSupportedError } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";

/**
 * SRV-DSC-03 (MUST): features of the server's internal implementation of a delegated namespace are removed
 * from its disco#info, here another account's bare-JID disco#info (srv-dsc-03-internal-features-removed-bare:
 * the sender's own). The suite's managing entity publishes only NS itself and probe features: any NS#…
 * feature is the server's own.
 *
 * Another account's bare-JID disco is not the sender's own: a server may refuse it to a user without a
 * presence subscription (Prosody's mod_disco answers service-unavailable; XEP-0030 leaves it to the
 * server's privacy policy). Such a refusal discloses nothing, so it breaks no rule, but nothing is then
 * checked here: the scenario is not-supported, with the refusal as evidence (the sender's own bare JID is checked by its sibling).
 */
const REFUSALS = ["subscription-required", "service-unavailable", "forbidden", "not-authorized", "registration-required"];

const scenario: ScenarioModule = {
  id: "srv-dsc-03-internal-features-removed-other-bare",
  title: "The server's own features for the delegated namespace are removed from another account's bare-JID disco#info",
  role: "server",
  requirements: ["SRV-DSC-03"],
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
    await ctx.send("juliet", `<iq type='get' id='dsc03o-q' to='\${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const answer = await ctx.receive("juliet", "<iq id='dsc03o-q'/>");
    const condition = answer.attrs.type === "error" ? answer.getChild("error")?.children.find((c) => typeof c !== "string" && REFUSALS.includes(c.name)) : undefined;
    if (condition && typeof condition !== "string") {
      // No verdict without evidence: a refusal shows nothing about the rule, so this case is not checked (not a pass).
      throw new NotSupportedError(
        `the target refuses romeo's bare-JID disco#info to juliet (<${condition.name}/>, they are not contacts): another account's bare JID cannot be checked here; make juliet and romeo contacts (presence subscription both ways) to check it`,
      );
    }
    ctx.checkLastReceived("<iq type='result' id='dsc03o-q' from='${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='${ns.plain}#{any}' match:count='0'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
