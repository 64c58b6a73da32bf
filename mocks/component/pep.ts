import { Element, childElements, clone } from "../../src/xml/element.js";
import { NS } from "../../src/protocol/namespaces.js";

/** What the PEP service answers: a payload for a result, or a stanza error (RFC 6120 §8.3). */
export type PepAnswer = { payload?: Element } | { error: { condition: string; type: "cancel" | "auth" | "modify" | "wait" } };

export const PEP_FEATURES = (ns: string) => [ns, `${ns}#publish`, `${ns}#retrieve-items`, `${ns}#auto-create`];

/**
 * A minimal in-memory PEP (XEP-0163) as a managing entity keeps it: one
 * service per owner bare JID, nodes auto-created on publish, items readable by
 * anyone (open access model). Only the owner — or the server, which a PEP
 * component trusts as an administrator — may publish.
 */
export class PepStore {
  private readonly services = new Map<string, Map<string, Map<string, Element>>>();
  private counter = 0;

  constructor(private readonly admin: string) {}

  hasNode(owner: string, node: string): boolean {
    return this.services.get(owner)?.has(node) ?? false;
  }

  /** `iq` is the user's request; `requester` and `owner` are bare JIDs (or the server's domain). */
  handle(iq: Element, requester: string, owner: string): PepAnswer {
    const pubsub = iq.getChild("pubsub", NS.pubsub);
    const publish = pubsub?.getChild("publish");
    const items = pubsub?.getChild("items");
    if (iq.attrs.type === "set" && publish) {
      const node = publish.attrs.node;
      if (!node) return { error: { condition: "bad-request", type: "modify" } };
      if (requester !== owner && requester !== this.admin) return { error: { condition: "forbidden", type: "auth" } };
      const item = publish.getChild("item");
      const id = String(item?.attrs.id ?? `item-${++this.counter}`);
      const stored = item ? clone(item) : new Element("item");
      stored.attrs.id = id;
      this.node(owner, String(node), true)!.set(id, stored);
      const payload = new Element("pubsub", { xmlns: NS.pubsub });
      payload.c("publish", { node }).c("item", { id });
      return { payload };
    }
    if (iq.attrs.type === "get" && items) {
      const node = items.attrs.node;
      if (!node) return { error: { condition: "bad-request", type: "modify" } };
      const store = this.node(owner, String(node), false);
      if (!store) return { error: { condition: "item-not-found", type: "cancel" } };
      const wanted = childElements(items)
        .filter((c) => c.name === "item" && c.attrs.id)
        .map((c) => String(c.attrs.id));
      const payload = new Element("pubsub", { xmlns: NS.pubsub });
      const list = payload.c("items", { node });
      // Stored items are never changed (a publish replaces them): the answer may hold them as they are.
      for (const [id, item] of store) if (!wanted.length || wanted.includes(id)) list.children.push(item);
      return { payload };
    }
    return { error: { condition: "feature-not-implemented", type: "cancel" } };
  }

  private node(owner: string, node: string, create: boolean): Map<string, Element> | undefined {
    let service = this.services.get(owner);
    if (!service && create) this.services.set(owner, (service = new Map()));
    let store = service?.get(node);
    if (!store && create) service!.set(node, (store = new Map()));
    return store;
  }
}
