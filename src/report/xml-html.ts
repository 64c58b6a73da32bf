import { DISPLAY_DEPTH, childElements, depthCutNote, ownText, parseXml, type Element } from "../xml/element.js";

/** HTML-escapes text for element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** What to mark in a rendered stanza: an element (whole), its start tag, one attribute, or its text. */
export interface XmlMark {
  el: Element;
  what: "element" | "tag" | "attr" | "text";
  attr?: string;
  /** Shown after the marked part, e.g. "← <delegation> missing here". */
  note?: string;
}

/**
 * Finds the node a matcher path names ("/iq/delegation/forwarded/iq@from", "/iq//item", "/iq/text()").
 * Returns the deepest element reached and whether the whole path resolved.
 */
export function resolvePath(root: Element, path: string): { el: Element; attr?: string; text?: boolean; complete: boolean } {
  let rest = path;
  let attr: string | undefined;
  let text = false;
  if (rest.endsWith("/text()")) {
    text = true;
    rest = rest.slice(0, -"/text()".length);
  }
  const at = rest.lastIndexOf("@");
  if (at > rest.lastIndexOf("/")) {
    attr = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const steps: { name: string; deep: boolean }[] = [];
  const re = /(\/\/?)([^/]+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) steps.push({ deep: m[1] === "//", name: m[2] });
  if (steps.length === 0 || steps[0].name !== root.name) return { el: root, complete: false };
  let el = root;
  for (const step of steps.slice(1)) {
    const next = step.deep ? findDescendant(el, step.name) : childElements(el).find((k) => k.name === step.name);
    if (!next) return { el, complete: false };
    el = next;
  }
  return { el, attr, text, complete: true };
}

function findDescendant(el: Element, name: string): Element | undefined {
  const queue = [...childElements(el)];
  while (queue.length > 0) {
    const next = queue.shift() as Element;
    if (next.name === name) return next;
    queue.push(...childElements(next));
  }
  return undefined;
}

function renderAttrs(el: Element, mark: XmlMark | undefined): string {
  return Object.entries(el.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => {
      const html = `<span class="xa">${esc(k)}</span>=<span class="xv">"${esc(String(v))}"</span>`;
      return mark && mark.el === el && mark.what === "attr" && mark.attr === k ? ` <mark class="diff">${html}</mark>` : ` ${html}`;
    })
    .join("");
}

function noteHtml(mark: XmlMark | undefined, el: Element): string {
  return mark && mark.el === el && mark.note ? ` <span class="diff-note">${esc(mark.note)}</span>` : "";
}

/** Pretty-prints an element as HTML (same layout as pretty() in src/xml/element.ts, depth-capped the same way), with one part marked. */
export function renderXml(el: Element, mark?: XmlMark, indent = "", level = 1): string {
  const own = mark && mark.el === el;
  const attrs = renderAttrs(el, mark);
  const kids = childElements(el);
  const rawText = ownText(el).trim();
  const textHtml = own && mark.what === "text" ? `<mark class="diff">${esc(rawText) || "&#8203;"}</mark>` : `<span class="xt">${esc(rawText)}</span>`;
  const open = (selfClose: boolean) => {
    const tag = `<span class="xn">&lt;${esc(el.name)}</span>${attrs}<span class="xn">${selfClose ? "/&gt;" : "&gt;"}</span>`;
    return own && mark.what === "tag" ? `<mark class="diff">${tag}</mark>` : tag;
  };
  const close = `<span class="xn">&lt;/${esc(el.name)}&gt;</span>`;
  let out: string;
  if (kids.length === 0 && !rawText && !(own && mark.what === "text")) out = `${indent}${open(true)}${noteHtml(mark, el)}`;
  else if (kids.length === 0) out = `${indent}${open(false)}${textHtml}${close}${noteHtml(mark, el)}`;
  else {
    const inner =
      level >= DISPLAY_DEPTH
        ? `${indent}  <span class="xc">${esc(depthCutNote(el))}</span>`
        : kids.map((k) => renderXml(k, mark, indent + "  ", level + 1)).join("\n");
    const textLine = rawText ? `\n${indent}  ${textHtml}` : "";
    out = `${indent}${open(false)}${noteHtml(mark, el)}${textLine}\n${inner}\n${indent}${close}`;
  }
  if (own && mark.what === "element") return `<mark class="diff diff-block">${out}</mark>`;
  return out;
}

/** Renders XML text (a stanza or a pattern); text that does not parse is shown escaped as it is. */
export function renderXmlText(xml: string, markFor?: (root: Element) => XmlMark | undefined): string {
  try {
    const root = parseXml(xml);
    return renderXml(root, markFor?.(root));
  } catch {
    return esc(xml);
  }
}
