import { createHash } from "node:crypto";
import { StepFailure, type ScenarioContext } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { escapeXML } from "../../src/xml/element.js";

const CAPS_NODE = "urn:xep0355-suite:caps";
const DISCO_INFO = "http://jabber.org/protocol/disco#info";
const CAPS = "http://jabber.org/protocol/caps";
const TUNE = "http://jabber.org/protocol/tune";
const GEOLOC = "http://jabber.org/protocol/geoloc";

/** Each contact's client: the features it announces (XEP-0163 #notify-filterednotifications: `NS+notify`). */
const CLIENTS: Record<string, string[]> = {
  romeo: [DISCO_INFO, CAPS, TUNE, `${TUNE}+notify`],
  // Another feature set, so another caps hash: a component caching disco#info by hash asks about each.
  nurse: [DISCO_INFO, CAPS, TUNE, `${TUNE}+notify`, GEOLOC, `${GEOLOC}+notify`],
};
const IDENTITY = { category: "client", type: "pc", name: "xep0355-suite" };

/** XEP-0115 §5.1: the verification string of one identity and these features, SHA-1, base64. */
function capsVer(features: string[]): string {
  const s = `${IDENTITY.category}/${IDENTITY.type}//${IDENTITY.name}<${[...features].sort().map((f) => `${f}<`).join("")}`;
  return createHash("sha1").update(s, "utf8").digest("base64");
}

/**
 * The PEP flow a privileged PEP service really runs (issue 16's combined flow): juliet's contacts
 * come online with caps showing interest in tunes, juliet publishes her tune through delegation
 * (XEP-0355), and the component notifies each contact as juliet's bare JID through its message
 * permission (#sending_mess, PE-MSG-01), having found them through roster access.
 *
 * Presence and caps are what XEP-0163 bases notifications on (#notify: a contact receives them
 * if it "advertises an interest in the payload type"; #notify-addressing 4: to full JIDs when the
 * service has presence information): romeo's and nurse's available presences reach the component
 * as #roster_presence says (directed presence from their full JIDs), and a component that asks
 * their clients' disco#info (XEP-0115) gets it answered as their clients would. A component that
 * asks nothing (a reading of XEP-0163 that notifies every contact's bare JID) goes on at once.
 * Answering queries that may or may not come is beyond the text format, hence this module.
 */
const scenario: ScenarioModule = {
  id: "pe-msg-01-pep-notification",
  title:
    "The PEP flow: juliet's contacts come online with caps, juliet publishes her tune through delegation; the component notifies each contact as juliet's bare JID, in a <privilege><forwarded/></privilege> message to its server",
  role: "component",
  requirements: ["PE-MSG-01"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "server", kind: "server", ref: "server" },
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
    { name: "nurse", kind: "client", ref: "nurse" },
  ],
  async run(ctx: ScenarioContext) {
    // The suite's server hosts juliet, romeo and nurse and answers roster gets by itself (#priv_manage_roster):
    // juliet's roster holds romeo and nurse, subscription both. nurse is in no other scenario's cast.
    await ctx.connect("server");

    // #advertise_roster_presence, the spec's example: roster, message and roster presence privileges.
    const push = ctx.variable("version") === "2" ? " push='true'" : "";
    await ctx.send(
      "server",
      `<message from='\${server}' to='\${component}' id='pe-msg01-adv'>
         <privilege xmlns='\${priv}'>
           <perm access='roster' type='both'${push}/>
           <perm access='message' type='outgoing'/>
           <perm access='presence' type='roster'/>
         </privilege>
       </message>`,
    );

    // #priv_rec_roster_presence: the server sends the component its contacts' presences, from their full JIDs.
    for (const [contact, features] of Object.entries(CLIENTS)) {
      await ctx.send(
        "server",
        `<presence from='\${${contact}.full}' to='\${component}' id='pe-msg01-presence-${contact}'>
           <c xmlns='${CAPS}' hash='sha-1' node='${CAPS_NODE}' ver='${capsVer(features)}'/>
         </presence>`,
      );
    }

    // XEP-0115: a component may ask each client what its hash stands for; the client answers (the suite, as their server, routes it).
    const clients = new Map(Object.keys(CLIENTS).map((c) => [ctx.variable(`${c}.full`).toLowerCase(), c]));
    for (let asked = 0; asked < clients.size; asked++) {
      let query;
      try {
        query = await ctx.receive("server", `<iq type='get'><query xmlns='${DISCO_INFO}'/></iq>`);
      } catch (err) {
        if (err instanceof StepFailure) break; // it asks nothing (more): on with the publish
        throw err;
      }
      const to = String(query.attrs.to ?? "");
      const contact = clients.get(to.toLowerCase());
      if (!contact) {
        ctx.note(`the component asked disco#info of ${to}, not a contact's client: not answered`);
        continue;
      }
      const node = query.getChild("query", DISCO_INFO)?.attrs.node;
      const features = CLIENTS[contact].map((f) => `<feature var='${f}'/>`).join("");
      await ctx.send(
        "server",
        `<iq type='result' from='${escapeXML(to)}' to='\${component}' id='${escapeXML(String(query.attrs.id ?? ""))}'>
           <query xmlns='${DISCO_INFO}'${typeof node === "string" ? ` node='${escapeXML(node)}'` : ""}>
             <identity category='${IDENTITY.category}' type='${IDENTITY.type}' name='${IDENTITY.name}'/>${features}
           </query>
         </iq>`,
      );
    }

    // juliet publishes her tune on her PEP service (XEP-0163; to her own bare JID), delegated to the
    // component (XEP-0355 #stanza_forward).
    await ctx.send(
      "server",
      `<iq type='set' id='pe-msg01-fwd' from='\${server}' to='\${component}'>
         <delegation xmlns='\${deleg}'>
           <forwarded xmlns='urn:xmpp:forward:0'>
             <iq xmlns='jabber:client' type='set' id='pe-msg01-pub' from='\${juliet.full}' to='\${juliet.bare}'>
               <pubsub xmlns='\${ns.plain}'>
                 <publish node='${TUNE}'>
                   <item id='tune-\${uid}'>
                     <tune xmlns='${TUNE}'>
                       <artist>Gerald Finzi</artist>
                       <length>255</length>
                       <source>Music for "Love's Labors Lost" (Suite for small orchestra)</source>
                       <title>Introduction (Allegro vigoroso)</title>
                       <track>1</track>
                     </tune>
                   </item>
                 </publish>
               </pubsub>
             </iq>
           </forwarded>
         </delegation>
       </iq>`,
    );
    await ctx.receive("server", `<iq type='result' id='pe-msg01-fwd'/>`);

    // Each contact is notified (to the bare JID or, with presence information, the full JID), shaped as
    // the spec's example "privileged entity send a notification message" (#sending_mess): from the
    // component to its server, the event inside <privilege><forwarded/></privilege>, with the inner
    // 'from' a bare JID of the server: juliet's (XEP-0163 #notify-addressing 1), no resource.
    for (const contact of Object.keys(CLIENTS)) {
      await ctx.receive(
        "server",
        `<message>
           <privilege xmlns='\${priv}'>
             <forwarded xmlns='urn:xmpp:forward:0'>
               <message xmlns='{any}' to='\${${contact}.bare}{any}'>
                 <event xmlns='http://jabber.org/protocol/pubsub#event'><items node='${TUNE}'><item id='tune-\${uid}'/></items></event>
               </message>
             </forwarded>
           </privilege>
         </message>`,
      );
      ctx.checkLastReceived(
        `<message from='\${component}' to='\${server}'>
           <privilege xmlns='\${priv}'>
             <forwarded xmlns='urn:xmpp:forward:0'>
               <message xmlns='{any}' from='\${juliet.bare}'>
                 <event xmlns='http://jabber.org/protocol/pubsub#event'>
                   <items node='${TUNE}'>
                     <item id='tune-\${uid}'>
                       <tune xmlns='${TUNE}'><title>Introduction (Allegro vigoroso)</title></tune>
                     </item>
                   </items>
                 </event>
               </message>
             </forwarded>
           </privilege>
         </message>`,
        "PE-MSG-01",
      );
    }
  },
};

export default scenario;
