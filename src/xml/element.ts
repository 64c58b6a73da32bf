// One place that decides which XML library the suite stands on (ltx).
import { Element, parse as ltxParse, escapeXML, escapeXMLText } from "ltx";

export { Element, escapeXML, escapeXMLText };

export class XmlSyntaxError extends Error {}

/** Parses one complete XML fragment; throws XmlSyntaxError naming the problem. */
export function parseXml(text: string): Element {
  try {
    return ltxParse(text.trim()) as Element;
  } catch (err) {
    throw new XmlSyntaxError(err instanceof Error ? err.message : String(err));
  }
}

export function serialize(el: Element): string {
  return el.toString();
}

/** The element's own xmlns, or the inherited one, or `fallback` at the top. */
export function namespaceOf(el: Element, fallback?: string): string | undefined {
  for (let node: Element | null | undefined = el; node; node = node.parent as Element | null) {
    const ns = node.attrs.xmlns;
    if (typeof ns === "string") return ns;
  }
  return fallback;
}

export function childElements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== "string");
}

export function firstChildElement(el: Element): Element | undefined {
  return childElements(el)[0];
}

/** Text content, children's text excluded. */
export function ownText(el: Element): string {
  return el.children.filter((c): c is string => typeof c === "string").join("");
}

export function clone(el: Element): Element {
  return parseXml(el.toString());
}

/** Levels of nesting a rendering shows; deeper ones are replaced by a line saying how many were left out. */
export const DISPLAY_DEPTH = 48;

/** How many levels of elements are below `el` (1 for a leaf), counted without recursion. */
export function nestingDepth(el: Element): number {
  let deepest = 0;
  const stack: [Element, number][] = [[el, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    for (const kid of childElements(node)) stack.push([kid, depth + 1]);
  }
  return deepest;
}

/** The line shown instead of the children of an element at the display limit. */
export function depthCutNote(el: Element): string {
  return `<!-- ${nestingDepth(el) - 1} deeper level(s) not shown: nested more than ${DISPLAY_DEPTH} levels -->`;
}

/** Pretty-prints for humans (reports, failure messages); depth-capped at DISPLAY_DEPTH. */
export function pretty(el: Element, indent = "", level = 1): string {
  const attrs = Object.entries(el.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${escapeXML(String(v))}"`)
    .join("");
  const kids = childElements(el);
  const text = ownText(el).trim();
  if (kids.length === 0 && !text) return `${indent}<${el.name}${attrs}/>`;
  if (kids.length === 0) return `${indent}<${el.name}${attrs}>${escapeXMLText(text)}</${el.name}>`;
  const inner = level >= DISPLAY_DEPTH ? `${indent}  ${depthCutNote(el)}` : kids.map((k) => pretty(k, indent + "  ", level + 1)).join("\n");
  const textLine = text ? `\n${indent}  ${escapeXMLText(text)}` : "";
  return `${indent}<${el.name}${attrs}>${textLine}\n${inner}\n${indent}</${el.name}>`;
}

/**
 * Drops whitespace-only text between child elements (the indentation of a
 * scenario file), as clients send stanzas; text of leaf elements is kept.
 */
export function withoutIndentation(el: Element): Element {
  const hasElements = el.children.some((c) => typeof c !== "string");
  if (hasElements) el.children = el.children.filter((c) => typeof c !== "string" || c.trim() !== "");
  for (const child of childElements(el)) withoutIndentation(child);
  return el;
}
