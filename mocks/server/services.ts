import { Element, clone } from "../../src/xml/element.js";
import { NS } from "../../src/protocol/namespaces.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";

/** The server's own implementation of namespaces it may delegate away: a minimal PEP and MAM. */
export const INTERNAL_FEATURES: Record<string, string[]> = {
  [NS.pubsub]: [NS.pubsub, `${NS.pubsub}#publish`, `${NS.pubsub}#retrieve-items`, `${NS.pubsub}#auto-create`],
  [NS.mam]: [NS.mam],
};

/** Minimal PEP (XEP-0163): per-account nodes with items, publish and retrieve only. */
export class PepStore {
  private readonly nodes = new Map<string, Map<string, Map<string, Element>>>();

  nodesOf(owner: string): string[] {
    return [...(this.nodes.get(owner)?.keys() ?? [])];
  }

  /** Handles a pubsub IQ addressed to `owner`'s PEP service. */
  handle(iq: Element, requester: string, owner: string): Element {
    const pubsub = iq.getChild("pubsub", NS.pubsub);
    const publish = pubsub?.getChild("publish");
    const items = pubsub?.getChild("items");
    if (iq.attrs.type === "set" && publish?.attrs.node) {
      if (requester !== owner) return iqError(iq, "forbidden");
      const node = String(publish.attrs.node);
      const item = publish.getChild("item");
      const id = String(item?.attrs.id ?? `item-${Date.now()}`);
      const store = this.nodeOf(owner, node, true)!;
      const stored = item ? clone(item) : new Element("item");
      stored.attrs.id = id;
      store.set(id, stored);
      const result = iqResult(iq);
      result.c("pubsub", { xmlns: NS.pubsub }).c("publish", { node }).c("item", { id });
      return result;
    }
    if (iq.attrs.type === "get" && items?.attrs.node) {
      const node = String(items.attrs.node);
      const store = this.nodeOf(owner, node, false);
      if (!store) return iqError(iq, "item-not-found");
      const result = iqResult(iq);
      const list = result.c("pubsub", { xmlns: NS.pubsub }).c("items", { node });
      for (const item of store.values()) list.cnode(clone(item));
      return result;
    }
    return iqError(iq, "feature-not-implemented");
  }

  private nodeOf(owner: string, node: string, create: boolean): Map<string, Element> | undefined {
    let account = this.nodes.get(owner);
    if (!account && create) this.nodes.set(owner, (account = new Map()));
    let store = account?.get(node);
    if (!store && create) account!.set(node, (store = new Map()));
    return store;
  }
}

/** XEP-0313 stand-in: every archive is empty. */
export function mamQuery(iq: Element): Element {
  const result = iqResult(iq);
  result.c("fin", { xmlns: NS.mam, complete: "true" }).c("set", { xmlns: "http://jabber.org/protocol/rsm" }).c("count").t("0");
  return result;
}

/** XEP-0092 */
export function versionAnswer(iq: Element, software: string, version: string): Element {
  const result = iqResult(iq);
  const query = result.c("query", { xmlns: NS.version });
  query.c("name").t(software);
  query.c("version").t(version);
  return result;
}
