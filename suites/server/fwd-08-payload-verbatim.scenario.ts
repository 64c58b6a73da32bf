import type { ScenarioModule } from "../../src/scenario/load.js";
import { type Element, childElements, parseXml, pretty, withoutIndentation } from "../../src/xml/element.js";

/**
 * SRV-FWD-08 (MUST, #stanza_forward "encapsulating the initial stanza"): the inner IQ's payload is equal
 * as XML to what the user sent: same element names and namespaces, attributes and values, children in
 * the same order, the same text; only whitespace between elements and attribute order (and how
 * namespaces are declared) may differ. Not byte equality, and no dropped or added text. A TypeScript
 * module because the text patterns ignore child order and do not check text they do not write.
 * The payload has attributes (escaped ones too), nested children, ordered siblings, text, xml:lang and a
 * child in a foreign namespace. The user writes no 'to': the inner IQ has none, or the sender's own bare
 * JID (RFC 6120 §10.3.3 equivalent, the ambiguity SRV-FWD-12 reports for an explicit one).
 */
const PAYLOAD = `
  <pubsub xmlns='\${ns.plain}'>
    <publish node='urn:xmpp:microblog:0'>
      <item id='fwd08-item'>
        <entry xmlns='http://www.w3.org/2005/Atom' xml:lang='en'>
          <title type='text'>Tom &amp; Jerry &lt;3 &quot;quotes&quot;</title>
          <link rel='alternate' href='https://example.org/?a=1&amp;b=2'/>
          <category term='first'/>
          <category term='second'/>
          <tag xmlns='urn:example:suite-ext' label='a&apos;b'>nested namespace</tag>
          <content type='text'>two  spaces, one	tab</content>
        </entry>
      </item>
    </publish>
  </pubsub>`;

const XML_NS = "http://www.w3.org/XML/1998/namespace";

const scenario: ScenarioModule = {
  id: "srv-fwd-08-payload-verbatim",
  title: "A payload with nested namespaces, attributes, ordered children and text is forwarded equal as XML",
  role: "server",
  requirements: ["SRV-FWD-08", "SRV-FWD-01"],
  needs: [],
  versions: [1, 2],
  cast: [
    { name: "juliet", kind: "client", ref: "juliet" },
    { name: "me", kind: "component", ref: "managing" },
  ],
  async run(ctx) {
    await ctx.connect("me");
    await ctx.connect("juliet");
    await ctx.send("juliet", `<iq type='set' id='fwd08-p'>${PAYLOAD}</iq>`);
    const forward = await ctx.receive("me", "<iq type='set' from='${server}'><match:deep><iq id='fwd08-p'/></match:deep></iq>", { requirement: "SRV-FWD-01" });
    const inner = descendants(forward).find((el) => el.name === "iq" && el.attrs.id === "fwd08-p")!;
    const expected = withoutIndentation(parseXml(ctx.expandVariables(PAYLOAD)));
    const evidence = [forward.toString()];

    ctx.check(inner.attrs.type === "set", "SRV-FWD-08", `the inner IQ has type '${inner.attrs.type}', not the original 'set'`, "type='set'", evidence);
    const julietFull = ctx.variable("juliet.full");
    ctx.check(inner.attrs.from === julietFull, "SRV-FWD-08", `the inner IQ's 'from' is '${inner.attrs.from}', not the sender's full JID`, `from='${julietFull}'`, evidence);
    const to = inner.attrs.to;
    const julietBare = ctx.variable("juliet.bare");
    ctx.check(to === undefined || to === julietBare, "SRV-FWD-08", `the user wrote no 'to'; the inner IQ has to='${to}'`, `no 'to' (or to='${julietBare}')`, evidence);
    if (to !== undefined) ctx.note(`SRV-FWD-08: the inner IQ of a to-less IQ carries to='${to}' (the sender's bare JID).`);

    const payloads = childElements(inner);
    ctx.check(payloads.length === 1, "SRV-FWD-08", `the inner IQ has ${payloads.length} child elements, the original had 1`, pretty(expected), evidence);
    const difference = xmlDifference(expected, payloads[0], `/${expected.name}`);
    ctx.check(!difference, "SRV-FWD-08", `the forwarded payload is not equal as XML to the original: ${difference}`, pretty(expected), evidence);
  },
};
export default scenario;

function descendants(el: Element): Element[] {
  return childElements(el).flatMap((c) => [c, ...descendants(c)]);
}

/** The namespace a prefix (undefined: the default namespace) is bound to where `el` stands. */
function namespaceFor(el: Element, prefix: string | undefined): string | undefined {
  if (prefix === "xml") return XML_NS;
  const attr = prefix ? `xmlns:${prefix}` : "xmlns";
  for (let node: Element | null = el; node; node = node.parent as Element | null) {
    const ns = node.attrs[attr];
    if (typeof ns === "string") return ns;
  }
  return undefined;
}

function expandedName(el: Element, qname: string, isAttribute: boolean): string {
  const colon = qname.indexOf(":");
  const prefix = colon >= 0 ? qname.slice(0, colon) : undefined;
  const local = colon >= 0 ? qname.slice(colon + 1) : qname;
  // Unprefixed attributes are in no namespace; unprefixed elements in the default one.
  const ns = isAttribute && !prefix ? "" : (namespaceFor(el, prefix) ?? "");
  return `{${ns}}${local}`;
}

function attributesOf(el: Element): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(el.attrs)) {
    if (name === "xmlns" || name.startsWith("xmlns:") || value === undefined || value === null) continue;
    out.set(expandedName(el, name, true), String(value));
  }
  return out;
}

/** Child elements and text in order; whitespace-only text beside elements is layout and dropped. */
function contentOf(el: Element): (Element | string)[] {
  const hasElements = el.children.some((c) => typeof c !== "string");
  const out: (Element | string)[] = [];
  for (const child of el.children) {
    if (typeof child === "string") {
      if (hasElements && child.trim() === "") continue;
      if (typeof out[out.length - 1] === "string") out[out.length - 1] += child;
      else out.push(child);
    } else out.push(child as Element);
  }
  return out;
}

/** undefined when equal as XML; otherwise where and how they differ. */
export function xmlDifference(expected: Element, received: Element, path: string): string | undefined {
  const want = expandedName(expected, expected.name, false);
  const got = expandedName(received, received.name, false);
  if (want !== got) return `at ${path}: expected element ${want}, received ${got}`;
  const a = attributesOf(expected);
  const b = attributesOf(received);
  for (const [name, value] of a) {
    if (!b.has(name)) return `at ${path}: attribute ${name} missing`;
    if (b.get(name) !== value) return `at ${path}: attribute ${name} is ${JSON.stringify(b.get(name))}, expected ${JSON.stringify(value)}`;
  }
  for (const name of b.keys()) if (!a.has(name)) return `at ${path}: extra attribute ${name}=${JSON.stringify(b.get(name))}`;
  const x = contentOf(expected);
  const y = contentOf(received);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const e = x[i];
    const r = y[i];
    const where = `${path}/node()[${i + 1}]`;
    if (e === undefined) return `at ${where}: extra ${typeof r === "string" ? `text ${JSON.stringify(r)}` : `element <${(r as Element).name}>`}`;
    if (r === undefined) return `at ${where}: ${typeof e === "string" ? `text ${JSON.stringify(e)}` : `element <${e.name}>`} missing`;
    if (typeof e === "string" || typeof r === "string") {
      if (e !== r) return `at ${where}: expected ${typeof e === "string" ? `text ${JSON.stringify(e)}` : `<${e.name}>`}, received ${typeof r === "string" ? `text ${JSON.stringify(r)}` : `<${r.name}>`}`;
      continue;
    }
    const difference = xmlDifference(e, r, `${path}/${e.name}[${i + 1}]`);
    if (difference) return difference;
  }
  return undefined;
}
