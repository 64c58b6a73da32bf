import type { ScenarioModule } from "../../src/scenario/load.js";
import { JULIET_AND_ME } from "./forward-helpers.js";
import type { Element } from "../../src/xml/element.js";

/**
 * SRV-CLI-13 (ambiguous): the spec shows no answer to the managing entity's request IQ (#client_delegation),
 * and no row of the catalogue counts one (RFC 6120 §8.2.3 wants it; SRV-ANS-01 is about the users'
 * delegated IQs). A server may answer at once ("immediate": the grant comes later as an advertisement),
 * once the user has decided ("deferred": the advertisement first, then the answer), or never
 * ("unanswered": the advertisement is the only reply). Each is reported, never failed. That the grant
 * is advertised, with 'to' = juliet's bare JID, is SRV-CLI-03's MUST, checked first.
 */
const REQUEST = "cli13-req";

const scenario: ScenarioModule = {
  id: "srv-cli-13-request-answer",
  title: "The managing entity's request IQ is answered at once, once the user decided, or not at all (reading reported)",
  role: "server",
  requirements: ["SRV-CLI-13", "SRV-CLI-01", "SRV-CLI-03"],
  needs: ["clientMode"],
  versions: [1, 2],
  probesSupport: true,
  cast: JULIET_AND_ME,
  async run(ctx) {
    await ctx.connect("me");
    await ctx.connect("juliet");
    await ctx.send("me", `<iq type='get' id='${REQUEST}' from='\${me}' to='\${server}'><query xmlns='\${deleg}' to='\${juliet.bare}'><delegate namespace='\${ns.client}'/></query></iq>`);
    await ctx.receiveOrNotSupported(
      "juliet",
      "<message from='${server}'><x xmlns='jabber:x:data' type='form'><field var='challenge'><value>{$challenge}</value></field></x></message>",
      { requirement: "SRV-CLI-01" },
    );
    await ctx.send(
      "juliet",
      "<message to='${server}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${deleg}</value></field><field var='challenge'><value>{$challenge}</value></field><field var='${ns.client}'><value>1</value></field></x></message>",
    );
    const advertisement = await ctx.hasReceived(
      "me",
      "<message from='${server}'><delegation xmlns='${deleg}' to='${juliet.bare}'><delegated namespace='${ns.client}'/></delegation></message>",
      { requirement: "SRV-CLI-03" },
    );
    const received = () => ctx.component("me").received;
    const isAnswer = (el: Element) => el.name === "iq" && el.attrs.id === REQUEST && (el.attrs.type === "result" || el.attrs.type === "error");
    // A deferred answer may follow the advertisement: it has the quiet window to come.
    if (!received().some(isAnswer)) await ctx.wait(ctx.env.timeouts.quiet);
    const answer = received().find(isAnswer);
    if (!answer) {
      ctx.reading("SRV-CLI-13", "unanswered", `the advertisement came, and no answer to the request IQ within ${ctx.env.timeouts.quiet} ms after it`);
      return;
    }
    const before = received().indexOf(answer) < received().indexOf(advertisement);
    ctx.reading("SRV-CLI-13", before ? "immediate" : "deferred", `an IQ ${answer.attrs.type} to the request, ${before ? "before" : "after"} the advertisement`);
  },
};
export default scenario;
