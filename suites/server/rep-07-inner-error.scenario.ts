import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, SERVICE_UNAVAILABLE, connectCast, julietAsksServer, wrapped } from "./forward-helpers.js";

/**
 * SRV-REP-07 is ambiguous: the spec says the inner type must be "result", so an inner IQ error is a bad
 * reply (strict: service-unavailable), but relaying the managing entity's own error (lenient) is a
 * plausible reading of "the workflow is fully transparent". Either passes, and the reading the target
 * follows is reported; anything else (silence, another condition) fails.
 */
const scenario: ScenarioModule = {
  id: "srv-rep-07-inner-error",
  title: "An inner IQ error from the managing entity gets service-unavailable (strict) or is relayed (lenient) (reported)",
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
    await ctx.receiveOneOf(
      "juliet",
      [
        { reading: "strict", xml: `<iq type='error' id='rep07-q'>${SERVICE_UNAVAILABLE}</iq>` },
        { reading: "lenient", xml: "<iq type='error' id='rep07-q'><error><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" },
      ],
      { requirement: "SRV-REP-07" },
    );
  },
};
export default scenario;
