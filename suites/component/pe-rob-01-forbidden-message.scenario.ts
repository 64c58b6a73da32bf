import type { ScenarioContext } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { escapeXML } from "../../src/xml/element.js";

/**
 * PE-ROB-01: a forbidden answer to a privileged message is final. The server refuses the
 * component's notification (#auth_mess: "a message error with condition forbidden, as in RFC 6120
 * section 8.3.3.4"), as a server does whose policy changed since it advertised; the component must
 * not send it again, and keeps its stream. The error names the refused message by its id (RFC 6120
 * §8.3.1); a message with no id (RFC 6120 §8.1.3: OPTIONAL on messages) gets an error with none,
 * which the report notes. Echoing an id that may be absent is beyond the text format, hence this module.
 */
const scenario: ScenarioModule = {
  id: "pe-rob-01-forbidden-message",
  title: "A forbidden answer to a privileged message is final: the component does not send it again, and keeps its stream",
  role: "component",
  requirements: ["PE-ROB-01"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "server", kind: "server", ref: "server" },
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
  ],
  async run(ctx: ScenarioContext) {
    await ctx.connect("server");
    const node = `urn:xep0355-suite:pe-rob01m:${ctx.variable("uid")}`;
    const push = ctx.variable("version") === "2" ? " push='true'" : "";
    await ctx.send(
      "server",
      `<message from='\${server}' to='\${component}' id='pe-rob01m-adv'>
         <privilege xmlns='\${priv}'>
           <perm access='roster' type='both'${push}/>
           <perm access='message' type='outgoing'/>
         </privilege>
       </message>`,
    );
    await ctx.send(
      "server",
      `<iq type='set' id='pe-rob01m-fwd' from='\${server}' to='\${component}'>
         <delegation xmlns='\${deleg}'>
           <forwarded xmlns='urn:xmpp:forward:0'>
             <iq xmlns='jabber:client' type='set' id='pe-rob01m-pub' from='\${juliet.full}' to='\${juliet.bare}'>
               <pubsub xmlns='\${ns.plain}'>
                 <publish node='${node}'><item id='refused-notification'/></publish>
               </pubsub>
             </iq>
           </forwarded>
         </delegation>
       </iq>`,
    );
    await ctx.receive("server", `<iq type='result' id='pe-rob01m-fwd'/>`);

    // XEP-0163 #notify: to juliet's contact romeo, or to juliet herself, the node's owner (#notify 3). Only this
    // scenario's publish counts (its node): the stream is shared with the scenarios before, whose own
    // notifications may still be on their way.
    const notification = (to: string) =>
      `<message>
         <privilege xmlns='\${priv}'>
           <forwarded xmlns='urn:xmpp:forward:0'>
             <message xmlns='{any}' to='\${${to}.bare}{any}'>
               <event xmlns='http://jabber.org/protocol/pubsub#event'><items node='${node}'><item id='refused-notification'/></items></event>
             </message>
           </forwarded>
         </privilege>
       </message>`;
    const { stanza } = await ctx.receiveOneOf("server", [
      { reading: "contact", xml: notification("romeo") },
      { reading: "owner", xml: notification("juliet") },
    ]);

    const id = stanza.attrs.id;
    if (typeof id !== "string") ctx.note("the privileged message has no 'id' (RFC 6120 §8.1.3: OPTIONAL on messages): the server's error carries none either (RFC 6120 §8.3.1)");
    await ctx.send(
      "server",
      `<message type='error' from='\${server}' to='\${component}'${typeof id === "string" ? ` id='${escapeXML(id)}'` : ""}>
         <error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
       </message>`,
    );

    // Sending it again at once is a loop: the refusal will not change without a new advertisement.
    await ctx.receiveNothing("server", `<message><privilege xmlns='{any}'><match:deep><items xmlns='{any}' node='${node}'/></match:deep></privilege></message>`);

    // Still alive, on the same stream.
    await ctx.send(
      "server",
      `<iq type='get' id='pe-rob01m-alive' from='\${server}' to='\${component}'>
         <query xmlns='http://jabber.org/protocol/disco#info'/>
       </iq>`,
    );
    await ctx.receive("server", `<iq type='result' id='pe-rob01m-alive'/>`);
  },
};

export default scenario;
