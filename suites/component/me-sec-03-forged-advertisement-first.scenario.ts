import type { ServerActor } from "../../src/actors/server-actor.js";
import type { ScenarioContext } from "../../src/runner/context.js";
import { ScenarioError } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { withoutIndentation } from "../../src/xml/element.js";

/**
 * ME-SEC-03: only the component's own server may tell it what is delegated
 * (XEP-0297: "SHOULD NOT trust that forwards are genuine when receiving them
 * unprovoked"). The ordering is hostile: a user and a foreign domain
 * "advertise" on the component's stream *before* the server's own
 * advertisement, so a component that takes the first advertiser for its
 * server (or trusts anything until the server has spoken) is caught; then
 * they do it again *after* it, so one that trusts any advertisement is caught
 * too. Each advertisement replaces the previous set (#admin_perm), and every
 * forged one leaves ${ns.plain} out: heeding any of them withdraws it.
 *
 * The text format's `server connects` always advertises first, hence this
 * module: the forged messages go on the stream before `connect()` adopts it.
 */
const FORGED = [
  // juliet, a user of the server (her stanza's 'from' is stamped by the server): an empty set.
  `<message from='\${juliet.full}' to='\${component}' id='sec03-user-{phase}'>
     <delegation xmlns='\${deleg}'/>
   </message>`,
  // a remote domain, over s2s: a set without \${ns.plain}.
  `<message from='\${foreign}' to='\${component}' id='sec03-foreign-{phase}'>
     <delegation xmlns='\${deleg}'>
       <delegated namespace='\${ns.undelegated}'/>
     </delegation>
   </message>`,
];

const scenario: ScenarioModule = {
  id: "me-sec-03-forged-advertisement-first",
  title: "Advertisements from a user or a foreign domain are ignored, also when they arrive before the server's own",
  role: "component",
  requirements: ["ME-SEC-03"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "server", kind: "server", ref: "server" },
    { name: "juliet", kind: "client", ref: "juliet" },
  ],
  async run(ctx: ScenarioContext) {
    const actor = ctx.actor("server");
    if (actor.kind !== "server") throw new ScenarioError("cast: 'server' must be 'server: server'");
    const server = actor as ServerActor;

    // 1. Before the server has advertised anything in this scenario: the forged advertisements.
    const link = await server.listener.waitForLink(ctx.env.timeouts.connect).catch((err: Error) => {
      throw new ScenarioError(`server could not get the component's stream: ${err.message}`);
    });
    for (const xml of FORGED) link.send(withoutIndentation(ctx.pattern(xml.replace("{phase}", "before"))));
    await ctx.wait(ctx.env.timeouts.quiet);

    // 2. The server's own advertisement (${ns.plain}); its delegation must hold.
    await ctx.connect("server");
    ctx.note(
      "ME-SEC-03: the forged advertisements (sec03-user-before, sec03-foreign-before) went out before this scenario's server advertisement; " +
        "on a component that stays connected between scenarios, earlier scenarios and the start-up probe had advertised already.",
    );
    const node = `urn:xep0355-suite:sec03:${ctx.uid}`;
    await ctx.send(
      "server",
      `<iq type='set' id='sec03-fwd-pub' from='\${server}' to='\${component}'>
         <delegation xmlns='\${deleg}'>
           <forwarded xmlns='urn:xmpp:forward:0'>
             <iq xmlns='jabber:client' type='set' id='sec03-pub' from='\${juliet.full}' to='\${juliet.bare}'>
               <pubsub xmlns='\${ns.plain}'>
                 <publish node='${node}'><item id='delegated-by-the-server'/></publish>
               </pubsub>
             </iq>
           </forwarded>
         </delegation>
       </iq>`,
    );
    await ctx.receive("server", `<iq type='result' id='sec03-fwd-pub'><match:deep><iq xmlns='{any}' type='result'/></match:deep></iq>`, {
      requirement: "ME-SEC-03",
    });

    // 3. The same forgeries after the server's advertisement: still ignored.
    for (const xml of FORGED) await ctx.send("server", xml.replace("{phase}", "after"));
    await ctx.wait(ctx.env.timeouts.quiet);
    await ctx.send(
      "server",
      `<iq type='set' id='sec03-fwd-read' from='\${server}' to='\${component}'>
         <delegation xmlns='\${deleg}'>
           <forwarded xmlns='urn:xmpp:forward:0'>
             <iq xmlns='jabber:client' type='get' id='sec03-read' from='\${juliet.full}' to='\${juliet.bare}'>
               <pubsub xmlns='\${ns.plain}'><items node='${node}'/></pubsub>
             </iq>
           </forwarded>
         </delegation>
       </iq>`,
    );
    await ctx.receive("server", `<iq type='result' id='sec03-fwd-read'><match:deep><item xmlns='{any}' id='delegated-by-the-server'/></match:deep></iq>`, {
      requirement: "ME-SEC-03",
    });
  },
};

export default scenario;
