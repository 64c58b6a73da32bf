import type { ScenarioModule } from "../../src/scenario/load.js";
import { refusedAsNonContact } from "./forward-helpers.js";
import { StepFailure } from "../../src/runner/context.js";

/**
 * SRV-DSC-07 (MUST, #remaining_disco): with urn:xmpp:delegation:2:bare:disco#info:* delegated, a bare-JID
 * disco#info on a node the server does not handle is forwarded and the answer relayed, here on another
 * account's bare JID (srv-dsc-07-remaining-info: the sender's own).
 *
 * A server that refuses another account's bare-JID disco to a non-contact gets not-supported (refusedAsNonContact).
 */
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
    refusedAsNonContact(answer);
    if (notForwarded) throw notForwarded;
    ctx.checkLastReceived("<iq type='result' id='dsc07o-q'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xep0355-suite:remaining-info'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
