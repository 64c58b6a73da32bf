import type { ScenarioModule } from "../../src/scenario/load.js";
import { forwardOf, itemsGet, wrappedFor } from "./forward-helpers.js";

/**
 * SRV-ANS-01 (#stanza_forward; RFC 6120 §8.2.3): every delegated get/set gets exactly one answer, result
 * or error, however the managing entity behaves: it answers well, badly (a wrong inner id, a spoofed
 * inner 'from', an inner set, an empty unwrapped result), with an outer error, with an inner error or
 * without inner 'from' (the ambiguous SRV-REP-07 and SRV-REP-14: either reading answers), or goes away. After each
 * answer, nothing more with that id arrives. A server MAY close the managing entity's stream after a bad
 * reply (SRV-REP-10): the managing entity then connects again, as a restarted component would.
 * Which answer it is (the error each bad reply deserves) is SRV-REP-03…09's business, in their own
 * scenarios: here any one answer counts, so that a server relaying a bad reply is not also blamed here.
 */
/** `checks`: the requirement blamed when no answer comes; `answer`: the type expected when the ME left. */
type Case = { kind: string; checks: string; answer: "result" | "error"; reply?: (capture: string, me: string) => string };

const inner = (attrs: string, body = "") => `<iq xmlns='jabber:client' ${attrs} to='\${juliet.full}'>${body}</iq>`;
const CASES: Case[] = [
  { kind: "well", checks: "SRV-ANS-01", answer: "result", reply: (c, me) => wrappedFor(inner("type='result' id='ans01-well' from='${server}'"), c, me) },
  { kind: "wrong-id", checks: "SRV-REP-03", answer: "error", reply: (c, me) => wrappedFor(inner("type='result' id='ans01-bogus' from='${server}'"), c, me) },
  { kind: "spoofed-from", checks: "SRV-ANS-01", answer: "error", reply: (c, me) => wrappedFor(inner("type='result' id='ans01-spoofed-from' from='romeo@${server}'"), c, me) },
  {
    kind: "inner-set",
    checks: "SRV-REP-06",
    answer: "error",
    reply: (c, me) => wrappedFor(inner("type='set' id='ans01-inner-set' from='${server}'", "<pubsub xmlns='${ns.plain}'/>"), c, me),
  },
  { kind: "empty-result", checks: "SRV-ANS-01", answer: "error", reply: (c, me) => `<iq type='result' id='{$${c}}' from='\${${me}}' to='\${server}'/>` },
  {
    kind: "outer-error",
    checks: "SRV-ANS-01",
    answer: "error",
    reply: (c, me) =>
      `<iq type='error' id='{$${c}}' from='\${${me}}' to='\${server}'><error type='cancel'><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
  },
  {
    kind: "inner-error",
    checks: "SRV-ANS-01",
    answer: "error",
    reply: (c, me) =>
      wrappedFor(inner("type='error' id='ans01-inner-error' from='${server}'", "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"), c, me),
  },
  // The shape of the spec's examples: no inner 'from'.
  { kind: "no-inner-from", checks: "SRV-ANS-01", answer: "result", reply: (c, me) => wrappedFor(inner("type='result' id='ans01-no-inner-from'"), c, me) },
  // Last: the managing entity goes away with the forward pending (no reply at all).
  { kind: "left", checks: "SRV-UNA-02", answer: "error" },
];

const MANAGING = CASES.map((_, i) => (i === 0 ? "me" : `me${i + 1}`));

const scenario: ScenarioModule = {
  id: "srv-ans-01-answered-once",
  title: "Every delegated IQ is answered exactly once, whether the managing entity answers well, badly, with an error, or leaves",
  role: "server",
  requirements: ["SRV-ANS-01", "SRV-FWD-02", "SRV-REP-03", "SRV-REP-06", "SRV-UNA-02"],
  needs: [],
  versions: [1, 2],
  // The last case may wait for the server's own IQ timeout (as SRV-UNA-02): start early so the wait overlaps.
  startFirst: true,
  cast: [{ name: "juliet", kind: "client", ref: "juliet" }, ...MANAGING.map((name) => ({ name, kind: "component" as const, ref: "managing" }))],
  async run(ctx) {
    let current = 0;
    await ctx.connect(MANAGING[current]);
    await ctx.connect("juliet");
    for (const { kind, checks, answer, reply } of CASES) {
      let me = MANAGING[current];
      if (ctx.component(me).isClosed) {
        // SRV-REP-10 (MAY): the server closed the stream after the previous bad reply.
        ctx.note(`SRV-ANS-01: the target closed the managing entity's stream before case '${kind}'; it connects again.`);
        me = MANAGING[++current];
        await ctx.connect(me);
      }
      const id = `ans01-${kind}`;
      const capture = `fwd-${kind}`;
      await ctx.send("juliet", itemsGet(id, "${server}"));
      await ctx.receive(me, forwardOf(id, capture), { requirement: "SRV-FWD-02" });
      let withinMs: number | undefined;
      if (reply) {
        await ctx.send(me, reply(capture, me));
      } else {
        await ctx.disconnect(me);
        for (const name of MANAGING) ctx.release(name);
        withinMs = ctx.env.timeouts.giveUp ?? 40_000;
      }
      // One answer, result or error (#stanza_forward, RFC 6120 §8.2.3); when the ME left, an error (SRV-UNA-02).
      // A bogus reply relayed with another id (SRV-REP-03) or a relayed inner set (SRV-REP-06) is no answer.
      const answers = reply ? ["result", "error"] : [answer];
      await ctx.receiveOneOf("juliet", answers.map((type) => ({ reading: "", xml: `<iq type='${type}' id='${id}'/>` })), { requirement: checks, withinMs });
      await ctx.receiveNothing("juliet", `<iq id='${id}'/>`, { requirement: "SRV-ANS-01" });
    }
  },
};
export default scenario;
