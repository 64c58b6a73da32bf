import type { ScenarioModule } from "../../src/scenario/load.js";
import { forwardOf, forwardTraces, itemsGet, wrappedFor } from "./forward-helpers.js";

/**
 * SRV-TRN-01 (#reqs: delegation is "totally transparent for the managed entities"): whatever form of
 * address the user used, what she gets back looks as if the server, or the account she addressed, had
 * answered: never from the managing entity's JID (SRV-REP-02 states the exact 'from'), and with no part
 * of the forward in it (the <delegation/> wrapper, the <forwarded/> envelope). One IQ per addressing
 * form that delegation covers (#stanza_forward), each answered by the managing entity with a clean reply
 * whose inner 'from' is the forwarded IQ's 'to' (none when it had none): whether a reply without it is
 * taken is the ambiguous SRV-REP-14, which this scenario must not depend on.
 */
const FORMS: { form: string; to?: string; innerFrom?: string; forwardedBy: string; from: string[] }[] = [
  { form: "server", to: "${server}", innerFrom: "${server}", forwardedBy: "SRV-FWD-02", from: ["${server}"] },
  { form: "own-bare", to: "${juliet.bare}", innerFrom: "${juliet.bare}", forwardedBy: "SRV-FWD-03", from: ["${juliet.bare}"] },
  { form: "other-bare", to: "${romeo.bare}", innerFrom: "${romeo.bare}", forwardedBy: "SRV-FWD-04", from: ["${romeo.bare}"] },
  // RFC 6120 §8.1.2.1: no 'from', or the sender's bare JID.
  { form: "no-to", forwardedBy: "SRV-FWD-01", from: ["", "${juliet.bare}"] },
];

const scenario: ScenarioModule = {
  id: "srv-trn-01-transparent",
  title: "What the user gets back carries nothing of the delegation, whatever address she used",
  role: "server",
  requirements: ["SRV-TRN-01", "SRV-REP-02", "SRV-FWD-01", "SRV-FWD-02", "SRV-FWD-03", "SRV-FWD-04"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    await ctx.connect("me");
    await ctx.connect("romeo");
    await ctx.connect("juliet");
    const meJid = ctx.variable("me");
    for (const { form, to, innerFrom, forwardedBy, from } of FORMS) {
      const id = `trn01-${form}`;
      const capture = `fwd-${form}`;
      await ctx.send("juliet", itemsGet(id, to));
      const forward = await ctx.receive("me", forwardOf(id, capture), { requirement: forwardedBy });
      // No 'to': the server may have written one in the forward (ejabberd: the sender's bare JID); answer from it.
      const forwardedTo = forward.getChild("delegation")?.getChild("forwarded")?.getChild("iq")?.attrs.to;
      const replyFrom = innerFrom ?? (forwardedTo === undefined ? undefined : String(forwardedTo));
      const fromAttr = replyFrom ? ` from='${replyFrom}'` : "";
      await ctx.send(
        "me",
        wrappedFor(
          `<iq xmlns='jabber:client' type='result' id='${id}'${fromAttr} to='\${juliet.full}'><pubsub xmlns='\${ns.plain}'><items node='urn:xmpp:microblog:0'/></pubsub></iq>`,
          capture,
        ),
      );
      const answer = await ctx.receive("juliet", `<iq type='result' id='${id}'><pubsub xmlns='\${ns.plain}'/></iq>`, { requirement: "SRV-TRN-01" });
      const got = answer.attrs.from === undefined ? "" : String(answer.attrs.from);
      const allowed = from.map((f) => (f ? ctx.expandVariables(f) : ""));
      ctx.check(
        got !== meJid && allowed.some((a) => a.toLowerCase() === got.toLowerCase()),
        "SRV-REP-02",
        `${form}: the reply comes from ${got ? `'${got}'` : "no 'from'"}${got === meJid ? ", the managing entity's JID" : ""}, expected ${allowed.map((a) => (a ? `'${a}'` : "no 'from'")).join(" or ")}`,
        allowed.map((a) => (a ? `from='${a}'` : "no from")).join(" | "),
        [answer.toString()],
      );
      const traces = forwardTraces(answer, ctx.variable("deleg"));
      ctx.check(
        traces.length === 0,
        "SRV-TRN-01",
        `${form}: the reply delivered to juliet carries part of the forward (<${traces[0]?.name}/>)`,
        "no <delegation/> and no <forwarded/> anywhere in the delivered reply",
        [answer.toString()],
      );
    }
    ctx.note("SRV-TRN-01: replies to IQs with no 'to', to the server, to the sender's own and another account's bare JID carry nothing of the delegation.");
  },
};
export default scenario;
