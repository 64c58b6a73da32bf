import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, julietAsksServer } from "./forward-helpers.js";

/** SRV-UNA-02: the ME goes away with a forward pending: the sender gets an error, not silence. How long it took is reported. */
const scenario: ScenarioModule = {
  id: "srv-una-02-disconnect-pending",
  title: "The managing entity disconnects with a forward pending: the sender still gets an error",
  role: "server",
  requirements: ["SRV-UNA-02", "SRV-FWD-02"],
  needs: [],
  versions: [1, 2],
  startFirst: true,
  cast: JULIET_AND_ME,
  async run(ctx) {
    // Both at once, as connectCast would one after the other: the run's longest scenario (it waits for
    // the server's own IQ timeout) should reach its forward as early as it can.
    await Promise.all([ctx.connect("me"), ctx.connect("juliet")]);
    await julietAsksServer(ctx, "una02-q");
    const disconnectedAt = Date.now();
    await ctx.disconnect("me");
    ctx.release("me");
    // A server may wait for its own IQ timeout (ejabberd: 32 s) before answering.
    const limit = ctx.env.timeouts.giveUp ?? 40_000;
    await ctx.receive("juliet", "<iq type='error' id='una02-q'/>", { requirement: "SRV-UNA-02", withinMs: limit });
    ctx.note(`SRV-UNA-02: the sender got its error ${Date.now() - disconnectedAt} ms after the managing entity disconnected.`);
  },
};
export default scenario;
