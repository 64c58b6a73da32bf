import type { ScenarioModule } from "../../src/scenario/load.js";
import { refusedAsNonContact } from "./forward-helpers.js";

/**
 * SRV-DSC-03 (MUST): features of the server's internal implementation of a delegated namespace are removed
 * from its disco#info, here another account's bare-JID disco#info (srv-dsc-03-internal-features-removed-bare:
 * the sender's own). The suite's managing entity publishes only NS itself and probe features: any NS#…
 * feature is the server's own.
 *
 * A server that refuses another account's bare-JID disco to a non-contact gets not-supported (refusedAsNonContact).
 */
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
    refusedAsNonContact(answer);
    ctx.checkLastReceived("<iq type='result' id='dsc03o-q' from='${romeo.bare}'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='${ns.plain}#{any}' match:count='0'/></query></iq>", scenario.requirements[0]);
  },
};
export default scenario;
