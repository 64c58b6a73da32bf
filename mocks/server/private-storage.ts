import { Element, childElements, clone } from "../../src/xml/element.js";
import { bareJid, parseJid } from "../../src/protocol/jid.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";

/** XEP-0049 Private XML Storage: the namespace the mock lets users delegate in client mode (`${ns.client}`). */
export const PRIVATE_NS = "jabber:iq:private";

/**
 * The server's own XEP-0049 implementation: what a user gets when her private-storage IQs are not
 * delegated (not granted, grant ended), so that a forward and the server's own answer look different.
 */
export class PrivateStorage {
  private readonly data = new Map<string, Map<string, Element>>();

  /** `owner`: the account the IQ addresses (its sender's when it has no 'to' or the server's). */
  handle(iq: Element, sender: string, owner: string | undefined): Element {
    // XEP-0049 §3: only the account itself may read or write its private data.
    if (!owner || !sender.includes("@") || bareJid(sender) !== owner) return iqError(iq, "forbidden");
    const query = iq.getChild("query", PRIVATE_NS);
    const [payload] = query ? childElements(query) : [];
    if (!payload) return iqError(iq, "not-acceptable", "modify");
    const key = `${payload.name} ${String(payload.attrs.xmlns ?? "")}`;
    const store = this.data.get(owner) ?? new Map<string, Element>();
    this.data.set(owner, store);
    if (iq.attrs.type === "set") {
      store.set(key, clone(payload));
      return iqResult(iq);
    }
    const result = iqResult(iq);
    result.c("query", { xmlns: PRIVATE_NS }).cnode(store.get(key) ? clone(store.get(key)!) : clone(payload));
    return result;
  }

  /** The account a private-storage IQ addresses: its 'to' bare JID, or the sender's own account. */
  static ownerOf(iq: Element, sender: string, domain: string): string | undefined {
    const to = iq.attrs.to;
    if (!to || bareJid(to) === domain) return sender.includes("@") ? bareJid(sender) : undefined;
    return parseJid(to).local ? bareJid(to) : undefined;
  }
}
