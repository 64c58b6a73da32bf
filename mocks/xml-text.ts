/**
 * What the mocks write on the wire: an element's XML, exactly as ltx's `toString()` writes it (same
 * attribute order, double quotes, the same escaping), built as one flat string. ltx's serialiser
 * appends token by token (`<`, the name, each attribute in five pieces …): a rope of ~70 pieces per
 * stanza that the socket write then has to flatten (docs/benchmarks.md). Works on the shape (name,
 * attrs, children), so on xmpp.js's copy of ltx's elements too. test/xml-text.test.ts checks it
 * against ltx on awkward input.
 */

/** The parts of an ltx element serialisation reads. */
export interface XmlNode {
  name: string;
  attrs: Record<string, unknown>;
  children: unknown[];
}

const ATTR_SPECIAL = /["&'<>]/;
const ATTR_SPECIALS = /["&'<>]/g;
const TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIALS = /[&<>]/g;
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const entity = (c: string): string => ENTITIES[c];

/** ltx's escapeXML: an attribute value. */
function escapeAttr(value: string): string {
  return ATTR_SPECIAL.test(value) ? value.replace(ATTR_SPECIALS, entity) : value;
}

/** ltx's escapeXMLText: character data. */
function escapeText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIALS, entity) : text;
}

/** `el` serialised as ltx does, as one flat string. */
export function toXml(el: XmlNode): string {
  const out: string[] = [];
  write(el, out);
  return out.length === 1 ? out[0] : out.join("");
}

/** The start tag's text, from '<' up to (not including) '>' or '/>'. */
function openTag(el: XmlNode): string {
  let head = "<" + el.name;
  const attrs = el.attrs;
  for (const key in attrs) {
    const value = attrs[key];
    if (value === null || value === undefined) continue;
    head += " " + key + '="' + escapeAttr(typeof value === "string" ? value : String(value)) + '"';
  }
  return head;
}

function write(el: XmlNode, out: string[]): void {
  const head = openTag(el);
  const children = el.children;
  if (children.length === 0) {
    out.push(head + "/>");
    return;
  }
  out.push(head + ">");
  for (const child of children) {
    if (child === null || child === undefined) continue;
    if (typeof child === "string") out.push(escapeText(child));
    else if (typeof (child as { write?: unknown }).write === "function" && typeof (child as XmlNode).name === "string") write(child as XmlNode, out);
    else out.push(escapeText(String(child)));
  }
  out.push("</" + el.name + ">");
}
