import { describe, expect, it } from "vitest";
import { parseXml } from "../src/xml/element.js";
import { match, substituteCaptures } from "../src/xml/matcher.js";

const m = (pattern: string, received: string, captures = new Map<string, string>()) =>
  match(parseXml(pattern), parseXml(received), captures, { streamNamespace: "jabber:client" });

describe("matcher", () => {
  it("tolerates extra attributes and children and ignores child order", () => {
    expect(m("<iq type='result'><b/><a x='1'/></iq>", "<iq type='result' id='7'><a x='1' y='2'/><c/><b/></iq>").ok).toBe(true);
  });

  it("explains the first difference with its path", () => {
    const r = m("<iq type='result'><query xmlns='q'><item jid='a'/></query></iq>", "<iq type='result'><query xmlns='q'><item jid='b'/></query></iq>");
    expect(r).toMatchObject({ ok: false, path: "/iq/query/item@jid", expected: "'a'", received: "'b'" });
  });

  it("checks namespaces, inherited ones included", () => {
    expect(m("<iq><query xmlns='a'><x/></query></iq>", "<iq><query xmlns='a'><x/></query></iq>").ok).toBe(true);
    expect(m("<iq><query xmlns='a'><x/></query></iq>", "<iq><query xmlns='a'><x xmlns='b'/></query></iq>").ok).toBe(false);
    expect(m("<iq xmlns='jabber:client'/>", "<iq/>").ok).toBe(true); // stream namespace
    expect(m("<iq xmlns='jabber:client'/>", "<wrap xmlns='urn:xmpp:forward:0'><iq/></wrap>".replace(/.*/, "<iq xmlns='urn:xmpp:forward:0'/>")).ok).toBe(false);
    expect(m("<iq xmlns='{any}'/>", "<iq xmlns='whatever'/>").ok).toBe(true);
  });

  it("captures {$name} on first use and requires equality afterwards", () => {
    const captures = new Map<string, string>();
    const first = m("<iq id='{$fwd}'/>", "<iq id='abc'/>", captures);
    expect(first.ok && first.captures.get("fwd")).toBe("abc");
    if (first.ok) for (const [k, v] of first.captures) captures.set(k, v);
    expect(m("<iq id='{$fwd}'/>", "<iq id='abc'/>", captures).ok).toBe(true);
    expect(m("<iq id='{$fwd}'/>", "<iq id='xyz'/>", captures).ok).toBe(false);
    expect(substituteCaptures("<iq id='{$fwd}'/>", captures)).toBe("<iq id='abc'/>");
    expect(() => substituteCaptures("{$nope}", captures)).toThrow(/before it was captured/);
  });

  it("supports {any} inside values and text", () => {
    expect(m("<feature var='urn:x#{any}'/>", "<feature var='urn:x#publish'/>").ok).toBe(true);
    expect(m("<title>Hello {any}</title>", "<title>Hello world</title>").ok).toBe(true);
  });

  it("compares text after entity decoding", () => {
    expect(m("<t>a &amp; b</t>", "<t>a &#38; b</t>").ok).toBe(true);
    expect(m("<t>a &amp; b</t>", "<t>a b</t>").ok).toBe(false);
  });

  it("match:strict forbids extra attributes and children", () => {
    expect(m("<q match:strict='true'><a/></q>", "<q><a/></q>").ok).toBe(true);
    expect(m("<q match:strict='true'><a/></q>", "<q><a/><b/></q>").ok).toBe(false);
    expect(m("<q match:strict='true'/>", "<q extra='1'/>").ok).toBe(false);
  });

  it("match:absent and match:count='0' express absence", () => {
    expect(m("<iq match:absent='to'/>", "<iq/>").ok).toBe(true);
    expect(m("<iq match:absent='to'/>", "<iq to='x'/>").ok).toBe(false);
    expect(m("<q><f var='a#{any}' match:count='0'/></q>", "<q><f var='b'/></q>").ok).toBe(true);
    expect(m("<q><f var='a#{any}' match:count='0'/></q>", "<q><f var='a#x'/></q>").ok).toBe(false);
  });

  it("<match:deep> finds a descendant at any depth", () => {
    const forward = "<iq type='set'><delegation xmlns='d'><forwarded xmlns='f'><iq xmlns='jabber:client' id='q1'/></forwarded></delegation></iq>";
    expect(m("<iq type='set'><match:deep><iq id='q1'/></match:deep></iq>", forward).ok).toBe(true);
    expect(m("<iq type='set'><match:deep><iq id='q2'/></match:deep></iq>", forward).ok).toBe(false);
  });

  it("assigns distinct received children to repeated pattern children", () => {
    expect(m("<q><i/><i/></q>", "<q><i/></q>").ok).toBe(false);
    expect(m("<q><i a='{$x}'/><i a='2'/></q>", "<q><i a='2'/><i a='1'/></q>").ok).toBe(true);
  });
});
