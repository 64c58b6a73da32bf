import type { ScenarioModule } from "../../src/scenario/load.js";
import { refusedAsNonContact } from "./forward-helpers.js";

/**
 * SRV-DSC-05 (MUST, #disco_nesting): bare-JID disco#info nests the managing entity's answer for node
 * urn:xmpp:delegation:2:bare:NS, here for another account's bare JID (srv-dsc-05-bare-nesting: the sender's own).
 *
 * A server that refuses another account's bare-JID disco to a non-contact gets not-supported (refusedAsNonContact).
 */
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
    refusedAsNonContact(answer);
    ctx.checkLastReceived("<iq type='result' id='dsc05o-q' from='${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' type='pep' name='xep0355-suite'/><feature var='${probe.bare.plain}'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
