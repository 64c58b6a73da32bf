import { Element, escapeXMLText } from "../xml/element.js";
import { NS } from "./namespaces.js";

/** RFC 6120 §8.3: an error reply to an IQ, with the original id and swapped addresses. */
type Addressed = Element | { id?: string; from?: string; to?: string };

// Checked by shape, not instanceof: xmpp.js brings its own copy of ltx's Element class.
function addresses(request: Addressed): { id?: string; from?: string; to?: string } {
  const attrs = (request as { attrs?: unknown }).attrs;
  return (typeof attrs === "object" && attrs !== null ? attrs : request) as { id?: string; from?: string; to?: string };
}

export function iqError(
  request: Addressed,
  condition: string,
  type: "cancel" | "wait" | "modify" | "auth" = "cancel",
  from?: string,
): Element {
  const { id, to, from: requester } = addresses(request);
  const iq = new Element("iq", { type: "error", id, to: requester, from: from ?? to });
  iq.c("error", { type }).c(condition, { xmlns: NS.stanzaErrors });
  return iq;
}

export function iqResult(request: Addressed, from?: string): Element {
  const { id, to, from: requester } = addresses(request);
  return new Element("iq", { type: "result", id, to: requester, from: from ?? to });
}

export function streamError(condition: string, text?: string): string {
  const body = text ? `<text xmlns="${NS.streamErrors}">${escapeXMLText(text)}</text>` : "";
  return `<stream:error><${condition} xmlns='${NS.streamErrors}'/>${body}</stream:error></stream:stream>`;
}
