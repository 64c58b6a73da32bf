import type { ScenarioContext } from "../../src/runner/context.js";
import type { ScenarioModule } from "../../src/scenario/load.js";
import { Element, childElements, serialize } from "../../src/xml/element.js";

/**
 * XEP-0355 #security 4 / XEP-0030 security: the answers must not tell an
 * existing account from a missing one. romeo asks for the same missing node
 * on juliet's PEP (an account) and on a JID with no account; once ids and
 * addresses are set aside the two answers must be identical. Security
 * consideration 4 arrived in XEP 0.5: not applicable to a 0.4.1 target.
 * Comparing two answers is beyond the text format, hence this module.
 */
const scenario: ScenarioModule = {
  id: "me-sec-02-account-existence",
  title: "Answers about an existing and a non-existent account are indistinguishable",
  role: "component",
  requirements: ["ME-SEC-02"],
  needs: [],
  versions: [2],
  cast: [
    { name: "server", kind: "server", ref: "server" },
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "romeo", kind: "client", ref: "romeo" },
  ],
  async run(ctx: ScenarioContext) {
    await ctx.connect("server");
    const node = `urn:xep0355-suite:sec02:${ctx.uid}`;
    const ask = async (tag: string, owner: string): Promise<Element> => {
      await ctx.send(
        "server",
        `<iq type='set' id='sec02-fwd-${tag}' from='\${server}' to='\${component}'>
           <delegation xmlns='\${deleg}'>
             <forwarded xmlns='urn:xmpp:forward:0'>
               <iq xmlns='jabber:client' type='get' id='sec02-${tag}' from='\${romeo.full}' to='${owner}'>
                 <pubsub xmlns='\${ns.plain}'><items node='${node}'/></pubsub>
               </iq>
             </forwarded>
           </delegation>
         </iq>`,
      );
      return ctx.receive("server", `<iq id='sec02-fwd-${tag}'/>`);
    };
    const existing = await ask("existing", ctx.variable("juliet.bare"));
    const missing = await ask("missing", `nobody-${ctx.uid}@${ctx.variable("server")}`);
    const a = normalize(existing);
    const b = normalize(missing);
    ctx.check(
      a === b,
      "ME-SEC-02",
      "the answer for a non-existent account differs from the answer for an existing one (ids and addresses aside)",
      a,
      [b],
    );
  },
};

/** The answer without what legitimately differs: ids, addresses, whitespace. */
function normalize(stanza: Element): string {
  const strip = (el: Element): Element => {
    const attrs = { ...el.attrs };
    delete attrs.id;
    delete attrs.to;
    delete attrs.from;
    const copy = new Element(el.name, attrs);
    for (const child of el.children) {
      if (typeof child === "string") {
        if (child.trim()) copy.t(child.trim());
      } else copy.cnode(strip(child as Element));
    }
    return copy;
  };
  void childElements;
  return serialize(strip(stanza));
}

export default scenario;
