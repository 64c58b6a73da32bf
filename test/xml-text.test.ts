import { describe, expect, it } from "vitest";
import { Element, parseXml } from "../src/xml/element.js";
import { toXml } from "../mocks/xml-text.js";

/** mocks/xml-text.ts writes what ltx's toString() writes, byte for byte. */
describe("toXml", () => {
  const samples = [
    `<iq type='get' id='a&amp;b' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`,
    `<message to="a@b" from='c&apos;d@e/f"g'><body>x &lt; y &amp; z &gt; w ' " done</body><x xmlns='jabber:x:data'/></message>`,
    `<iq type='result'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' id='u1' type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='seed'><entry xmlns='urn:x'>text<b>bold</b>tail</entry></item></items></pubsub></iq></forwarded></delegation></iq>`,
    `<a e=''>  <b/>\n<c>&#x263A; é 漢字 😀</c></a>`,
  ];
  it.each(samples)("matches ltx for %s", (text) => {
    const el = parseXml(text);
    expect(toXml(el)).toBe(el.toString());
  });

  it("matches ltx for built elements: numbers, null and undefined attributes, text children", () => {
    const el = new Element("iq", { id: 7 as unknown as string, gone: undefined, none: null as unknown as string, q: `'"<>&` });
    el.c("query", { xmlns: "jabber:iq:version" }).c("name").t("a<b&c>d").up().t("").up().t("after");
    el.children.push(42 as unknown as string);
    expect(toXml(el)).toBe(el.toString());
  });
});
