import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, SERVICE_UNAVAILABLE, connectCast, julietAsksServer } from "./forward-helpers.js";

/**
 * SRV-REP-10 (MAY): after a bad reply the server may close the ME's stream.
 * Either choice passes; what can fail is how: a closed stream must end with a
 * stream error (RFC 6120 §4.9), and the sender must still get its answer.
 */
const scenario: ScenarioModule = {
  id: "srv-rep-10-bad-reply-stream",
  title: "After a bad reply the server may close the managing entity's stream, but only with a stream error",
  role: "server",
  requirements: ["SRV-REP-10", "SRV-REP-09", "SRV-FWD-02"],
  needs: [],
  versions: [1, 2],
  cast: JULIET_AND_ME,
  async run(ctx) {
    await connectCast(ctx);
    await julietAsksServer(ctx, "rep10-q");
    await ctx.send("me", "<iq type='result' id='{$fwd}' from='${me}' to='${server}'><pubsub xmlns='${ns.plain}'/></iq>");
    await ctx.receive("juliet", `<iq type='error' id='rep10-q'>${SERVICE_UNAVAILABLE}</iq>`, { requirement: "SRV-REP-09" });
    await ctx.wait(ctx.env.timeouts.quiet);
    const me = ctx.component("me");
    if (!me.isClosed) {
      ctx.note("SRV-REP-10: the target keeps the managing entity's stream open after a bad reply.");
      return;
    }
    const streamError = me.received.find((el) => el.name === "stream:error");
    ctx.check(Boolean(streamError), "SRV-REP-10", "the target closed the managing entity's connection without a stream error", "<stream:error/> before the close", []);
    ctx.note(`SRV-REP-10: the target closes the managing entity's stream after a bad reply (${streamError?.toString()}).`);
  },
};
export default scenario;
