import { randomUUID } from "node:crypto";
import { Element } from "../xml/element.js";
import { NS } from "../protocol/namespaces.js";

/**
 * The suite's managing entity pings its server after connecting, to know the server has taken in
 * its answers to the nesting queries (ComponentActor settle). These pings are the suite's own
 * plumbing, not part of any scenario: `xep0355 record` leaves them out of the scripts it writes.
 */
export const SETTLE_PING_PREFIX = "xep0355-settle-";

export function settlePing(from: string, to: string): Element {
  const iq = new Element("iq", { type: "get", id: `${SETTLE_PING_PREFIX}${randomUUID()}`, from, to });
  iq.c("ping", { xmlns: NS.ping });
  return iq;
}

/** A settle ping or its answer (by id). */
export function isSettlePing(el: Element): boolean {
  return el.name === "iq" && String(el.attrs.id ?? "").startsWith(SETTLE_PING_PREFIX);
}
