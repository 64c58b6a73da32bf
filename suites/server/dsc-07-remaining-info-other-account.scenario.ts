import { NotSupportedError } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { StepFailure } from "../../src/runner/context.js";

/**
 * SRV-DSC-07 (MUST, #remaining_disco): with urn:xmpp:delegation:2:bare:disco#info:* delegated, a bare-JID
 * disco#info on a node the server does not handle is forwarded and the answer relayed, here on another
 * account's bare JID (srv-dsc-07-remaining-info: the sender's own).
 *
 * Another account's bare-JID disco is not the sender's own: a server may refuse it to a user without a
 * presence subscription (Prosody's mod_disco answers service-unavailable; XEP-0030 leaves it to the
 * server's privacy policy). Such a refusal discloses nothing, so it breaks no rule, but nothing is then
 * checked here: the scenario is not-supported, with the refusal as evidence (the sender's own bare JID is checked by its sibling).
 */
const REFUSALS = ["subscription-required", "service-unavailable", "forbidden", "not-authorized", "registration-required"];

const scenario: ScenarioModule = {
  id: "srv-dsc-07-remaining-info-other-account",
  title: "Another account's bare-JID disco#info on a node the server does not handle is forwarded and the answer relayed",
  role: "server",
  requirements: ["SRV-DSC-07"],
  needs: ["remainingDiscoInfo"],
  versions: [2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    let notForwarded: StepFailure | undefined;
    await ctx.connect("me");
    await ctx.connect("juliet");
    await ctx.send("juliet", `<iq type='get' id='dsc07o-q' to='\${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info' node='urn:xep0355-suite:unknown-node'/></iq>`);
    // Forwarded (then answered by the managing entity); if not, the answer juliet got says why.
    try {
      await ctx.receive("me", "<iq type='set' from='${server}' id='{$fwd}'><match:deep><iq id='dsc07o-q' to='${romeo.bare}'/></match:deep></iq>");
      await ctx.send(
        "me",
        "<iq type='result' id='{$fwd}' from='${me}' to='${server}'><delegation xmlns='${deleg}'><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='result' id='dsc07o-q' from='${romeo.bare}' to='${juliet.full}'><query xmlns='http://jabber.org/protocol/disco#info' node='urn:xep0355-suite:unknown-node'><feature var='urn:xep0355-suite:remaining-info'/></query></iq></forwarded></delegation></iq>",
      );
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      notForwarded = err;
    }
    const answer = await ctx.receive("juliet", "<iq id='dsc07o-q'/>");
    const condition = answer.attrs.type === "error" ? answer.getChild("error")?.children.find((c) => typeof c !== "string" && REFUSALS.includes(c.name)) : undefined;
    if (condition && typeof condition !== "string") {
      // No verdict without evidence: a refusal shows nothing about the rule, so this case is not checked (not a pass).
      throw new NotSupportedError(
        `the target refuses romeo's bare-JID disco#info to juliet (<${condition.name}/>, they are not contacts): another account's bare JID cannot be checked here; make juliet and romeo contacts (presence subscription both ways) to check it`,
      );
    }
    if (notForwarded) throw notForwarded;
    ctx.checkLastReceived("<iq type='result' id='dsc07o-q'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xep0355-suite:remaining-info'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
