import { sameJid } from "../../src/protocol/jid.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME, descendants, forwardOf, itemsGet } from "./forward-helpers.js";

/**
 * SRV-FWD-12 (ambiguous): an IQ addressed to the sender's own bare JID is forwarded; the inner IQ keeps
 * that 'to' (strict reading of "encapsulating the initial stanza") or carries none (RFC 6120 §10.3.3: the
 * same as no 'to'; Prosody drops it). Either is reported, never failed. Any other 'to' (the server's JID:
 * an IQ to the server itself, not to juliet's account) is not the initial stanza under either reading:
 * that is SRV-FWD-08's MUST (#stanza_forward "encapsulating the initial stanza"), checked first.
 */
const scenario: ScenarioModule = {
  id: "srv-fwd-12-own-bare-jid-to",
  title: "The forward of an IQ to the sender's own bare JID keeps that 'to', or carries none (reported)",
  role: "server",
  requirements: ["SRV-FWD-12", "SRV-FWD-03", "SRV-FWD-08"],
  needs: [],
  versions: [1, 2],
  cast: JULIET_AND_ME,
  async run(ctx) {
    await ctx.connect("me");
    await ctx.connect("juliet");
    await ctx.send("juliet", itemsGet("fwd12-q", "${juliet.bare}"));
    const forward = await ctx.receive("me", forwardOf("fwd12-q"), { requirement: "SRV-FWD-03" });
    const inner = descendants(forward).find((el) => el !== forward && el.name === "iq" && el.attrs.id === "fwd12-q")!;
    const own = ctx.variable("juliet.bare");
    const to = inner.attrs.to;
    ctx.check(
      to === undefined || sameJid(to, own),
      "SRV-FWD-08",
      `the inner IQ's 'to' is '${to}', neither juliet's own bare JID (the initial stanza's) nor absent (the same under RFC 6120 §10.3.3): not the initial stanza`,
      `<iq id='fwd12-q' to='${own}'/> or <iq id='fwd12-q'/> with no 'to'`,
      [forward.toString()],
    );
    if (to === undefined) ctx.reading("SRV-FWD-12", "no-to", "the inner IQ carries no 'to'");
    else ctx.reading("SRV-FWD-12", "keeps-to", `the inner IQ keeps to='${to}'`);
  },
};
export default scenario;
