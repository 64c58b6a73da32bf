import { Element, escapeXML, escapeXMLText } from "../xml/element.js";

/**
 * Formats a stanza to be sent, for a script: element-only content is indented
 * one element per line (whitespace between elements is not significant in
 * XMPP), but any element with text keeps its content exactly as serialized,
 * so payloads go out unaltered on replay.
 */
export function formatSendBlock(el: Element, indent = ""): string {
  const attrs = Object.entries(el.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}='${escapeXML(String(v))}'`)
    .join("");
  const kids = el.children;
  const hasText = kids.some((c) => typeof c === "string" && c.trim() !== "");
  if (kids.length === 0) return `${indent}<${el.name}${attrs}/>`;
  if (hasText) return `${indent}<${el.name}${attrs}>${kids.map(inline).join("")}</${el.name}>`;
  const elements = kids.filter((c): c is Element => typeof c !== "string");
  if (elements.length === 0) return `${indent}<${el.name}${attrs}/>`;
  const inner = elements.map((k) => formatSendBlock(k, indent + "  ")).join("\n");
  const oneLine = `${indent}<${el.name}${attrs}>${elements.map(inline).join("")}</${el.name}>`;
  if (oneLine.length <= 110) return oneLine;
  return `${indent}<${el.name}${attrs}>\n${inner}\n${indent}</${el.name}>`;
}

function inline(node: Element | string): string {
  if (typeof node === "string") return escapeXMLText(node);
  const attrs = Object.entries(node.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}='${escapeXML(String(v))}'`)
    .join("");
  if (node.children.length === 0) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map(inline).join("")}</${node.name}>`;
}
