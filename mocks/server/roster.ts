import { Element } from "../../src/xml/element.js";
import { bareJid } from "../../src/protocol/jid.js";
import { NS } from "../../src/protocol/namespaces.js";
import { iqError, iqResult } from "../../src/protocol/stanzas.js";

/** RFC 6121 §2.1.2.5 */
export type Subscription = "none" | "to" | "from" | "both";

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: Subscription;
  /** RFC 6121 §2.1.2.2: an outbound subscription request is pending. */
  ask: boolean;
  groups: string[];
}

/** RFC 6121 §2.1.6: someone's roster item was created, updated or removed. */
export type RosterListener = (owner: string, item: RosterItem, removed: boolean) => void;

export interface RosterSetOptions {
  /** Skips RFC 6121 §2.3.3's checks and honours a 'subscription' attribute (the PRV-GEN-02 fault, for a privileged entity's sets). */
  unchecked?: boolean;
}

/** The accounts' rosters (RFC 6121 §2) and their subscription states (§3, Appendix A). */
export class RosterStore {
  private readonly rosters = new Map<string, Map<string, RosterItem>>();

  constructor(private readonly changed: RosterListener) {}

  items(owner: string): RosterItem[] {
    return [...(this.rosters.get(bareJid(owner))?.values() ?? [])];
  }

  item(owner: string, contact: string): RosterItem | undefined {
    return this.rosters.get(bareJid(owner))?.get(bareJid(contact));
  }

  /**
   * Changes (creating it if `create`) one item and pushes it when something changed, or in any case
   * with `always` (a roster set is pushed even when it changes nothing, RFC 6121 §2.3.2).
   */
  update(owner: string, contact: string, change: (item: RosterItem) => void, create = true, always = false): RosterItem | undefined {
    const roster = this.rosterOf(owner);
    const key = bareJid(contact);
    const existing = roster.get(key);
    if (!existing && !create) return undefined;
    const item = existing ? { ...existing, groups: [...existing.groups] } : { jid: key, subscription: "none" as Subscription, ask: false, groups: [] };
    change(item);
    if (existing && sameItem(existing, item) && !always) return existing;
    roster.set(key, item);
    this.changed(bareJid(owner), item, false);
    return item;
  }

  /** RFC 6121 §2.2 roster get (the whole roster). */
  get(iq: Element, owner: string): Element {
    const result = iqResult(iq);
    const query = result.c("query", { xmlns: NS.roster });
    for (const item of this.items(owner)) query.cnode(itemElement(item));
    return result;
  }

  /**
   * RFC 6121 §2.3–2.5 roster set: exactly one item; 'subscription' other than "remove" and 'ask'
   * are ignored (§2.1.2.5, §2.1.2.2); a removed item is returned so the caller cancels its subscriptions.
   */
  set(iq: Element, owner: string, options: RosterSetOptions = {}): { answer: Element; removed?: RosterItem } {
    const items = iq.getChild("query", NS.roster)?.getChildren("item") ?? [];
    if (items.length !== 1 && !options.unchecked) return { answer: iqError(iq, "bad-request", "modify") };
    const el = items[0];
    const jid = el?.attrs.jid;
    if (typeof jid !== "string" || !jid) return { answer: iqError(iq, "bad-request", "modify") };
    if (el.attrs.subscription === "remove") {
      const removed = this.item(owner, jid);
      if (!removed) return { answer: iqError(iq, "item-not-found", "cancel") };
      this.rosters.get(bareJid(owner))!.delete(bareJid(jid));
      this.changed(bareJid(owner), removed, true);
      return { answer: iqResult(iq), removed };
    }
    const groups = el.getChildren("group").map((g) => g.getText());
    if (!options.unchecked) {
      if (new Set(groups).size !== groups.length) return { answer: iqError(iq, "bad-request", "modify") };
      if (groups.some((g) => g === "")) return { answer: iqError(iq, "not-acceptable", "modify") };
    }
    this.update(owner, jid, (item) => {
      item.name = typeof el.attrs.name === "string" ? el.attrs.name : undefined;
      item.groups = groups;
      if (options.unchecked && isSubscription(el.attrs.subscription)) item.subscription = el.attrs.subscription;
    }, true, true);
    return { answer: iqResult(iq) };
  }

  private rosterOf(owner: string): Map<string, RosterItem> {
    const key = bareJid(owner);
    let roster = this.rosters.get(key);
    if (!roster) this.rosters.set(key, (roster = new Map()));
    return roster;
  }
}

/** `<item/>` of a roster result or push (RFC 6121 §2.1.2); `removed`: subscription='remove' (§2.5.2). */
export function itemElement(item: RosterItem, removed = false): Element {
  const el = new Element("item", { jid: item.jid, subscription: removed ? "remove" : item.subscription });
  if (item.name !== undefined) el.attrs.name = item.name;
  if (item.ask && !removed) el.attrs.ask = "subscribe";
  for (const group of item.groups) el.c("group").t(group);
  return el;
}

/** A roster push (RFC 6121 §2.1.6) of one item. */
export function rosterPush(id: string, to: string, item: RosterItem, removed: boolean, from?: string): Element {
  const push = new Element("iq", { type: "set", id, to, ...(from ? { from } : {}) });
  push.c("query", { xmlns: NS.roster }).cnode(itemElement(item, removed));
  return push;
}

function isSubscription(value: unknown): value is Subscription {
  return value === "none" || value === "to" || value === "from" || value === "both";
}

function sameItem(a: RosterItem, b: RosterItem): boolean {
  return a.name === b.name && a.subscription === b.subscription && a.ask === b.ask && a.groups.join("\n") === b.groups.join("\n");
}
