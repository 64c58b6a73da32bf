import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, SERVICE_UNAVAILABLE, connectCast, julietAsksServer, wrapped } from "./forward-helpers.js";

/**
 * SRV-REP-07 is ambiguous: the spec says the inner type must be "result", so an inner IQ error is a bad
 * reply (strict: service-unavailable), but relaying the managing entity's own error (lenient) is a
 * plausible reading of "the workflow is fully transparent". Either is reported, never failed; so is any
 * other answer (other-condition: no keyword names the condition of an answer neither reading gives).
 * That juliet gets an answer at all is SRV-ANS-01's MUST ("whenever the ME has answered (well or
 * badly)"), checked first: silence fails it.
 */
const scenario: ScenarioModule = {
  id: "srv-rep-07-inner-error",
  title: "An inner IQ error from the managing entity gets service-unavailable (strict) or is relayed (lenient) (reported)",
  role: "server",
  requirements: ["SRV-REP-07", "SRV-FWD-02", "SRV-ANS-01"],
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
    // An answer, result or error (RFC 6120 §8.2.3)…
    await ctx.receiveOneOf(
      "juliet",
      ["result", "error"].map((type) => ({ reading: "", xml: `<iq type='${type}' id='rep07-q'/>` })),
      { requirement: "SRV-ANS-01" },
    );
    // …and which one is the ambiguous part: every answer is one of these.
    ctx.checkLastReceivedOneOf(
      [
        { reading: "strict", xml: `<iq type='error'>${SERVICE_UNAVAILABLE}</iq>` },
        { reading: "lenient", xml: "<iq type='error'><error><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" },
        { reading: "other-condition", xml: "<iq/>" },
      ],
      "SRV-REP-07",
    );
  },
};
export default scenario;
