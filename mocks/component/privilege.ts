import { randomUUID } from "node:crypto";
import { Element, childElements, clone, namespaceOf } from "../../src/xml/element.js";
import { bareJid, parseJid, sameJid } from "../../src/protocol/jid.js";
import { NS } from "../../src/protocol/namespaces.js";
import { allowsType, hasRosterRead, privilegeNamespace, type GetSetAccess, type PrivilegeGrant } from "../../src/protocol/privilege.js";
import type { ProtocolVersion } from "../../src/target/types.js";
import type { MockTimer } from "../clock.js";
import type { PepAnswer } from "./pep.js";
import type { PrivilegedEntityFault } from "./privilege-faults.js";

/** XEP-0376 Pubsub Account Management: what makes the mock send a privileged IQ (the #sending_iq example). */
export const PAM_NS = "urn:xmpp:pam:0";
const PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
/** How often the PE-ROB-01 fault sends a refused stanza again (a cap, so that a real server is not flooded). */
const FAULT_RETRY_CAP = 20;
/** How long it waits for its server's answer to a roster get or a privileged IQ. */
const ANSWER_TIMEOUT_MS = 2000;
/** Privileged messages remembered for their error answers (PE-ROB-01). */
const SENT_MESSAGES_KEPT = 256;

/** What the privileged entity needs from the component it lives in. */
export interface PrivilegedEntityHost {
  /** The component's own JID. */
  jid: string;
  /** Its server: the only advertiser it trusts, whose users it acts for. */
  serverDomain: string;
  /** The revision it speaks: urn:xmpp:privilege:2 (0.4) or :1 (0.2–0.3, no IQ permission). */
  version: ProtocolVersion;
  has(fault: PrivilegedEntityFault): boolean;
  send(stanza: Element): void;
  later(ms: number, action: () => void): MockTimer;
  log(line: string): void;
}

type StanzaError = { condition: string; type: "cancel" | "auth" | "modify" | "wait" };

const GET_SET: readonly string[] = ["none", "get", "set", "both"];
const isGetSet = (type: unknown): type is GetSetAccess => typeof type === "string" && GET_SET.includes(type);

/**
 * The permissions one advertisement grants (#advertise_roster, #advertise_mess, #advertise_iq,
 * #advertise_managed_presence): each `<perm/>` with its type; for `access='iq'` every direct
 * `<namespace/>` child with its own type (PE-ADV-02). `:1` has no IQ permission and no 'push'.
 */
export function readAdvertisement(privilege: Element, version: ProtocolVersion): PrivilegeGrant {
  const grant: PrivilegeGrant = {};
  for (const perm of childElements(privilege)) {
    if (perm.name !== "perm") continue;
    const type = perm.attrs.type;
    switch (perm.attrs.access) {
      case "roster":
        if (isGetSet(type)) grant.roster = type;
        if (version === 2 && (perm.attrs.push === "true" || perm.attrs.push === "1")) grant.push = true;
        if (version === 2 && (perm.attrs.push === "false" || perm.attrs.push === "0")) grant.push = false;
        break;
      case "message":
        if (type === "outgoing" || type === "none") grant.message = type;
        break;
      case "presence":
        if (type === "managed_entity" || type === "roster" || type === "none") grant.presence = type;
        break;
      case "iq": {
        if (version !== 2) break;
        const namespaces: Record<string, GetSetAccess> = { ...grant.iq };
        for (const child of childElements(perm)) {
          if (child.name === "namespace" && typeof child.attrs.ns === "string" && isGetSet(child.attrs.type)) namespaces[child.attrs.ns] = child.attrs.type;
        }
        grant.iq = namespaces;
        break;
      }
    }
  }
  return grant;
}

/** The PE-ROB-01 fault: a new advertisement only adds to what earlier ones granted. */
function union(before: PrivilegeGrant, after: PrivilegeGrant): PrivilegeGrant {
  return { ...before, ...after, iq: { ...before.iq, ...after.iq } };
}

function errorOf(stanza: Element): StanzaError {
  const error = stanza.getChild("error");
  const type = error?.attrs.type;
  const condition = error ? childElements(error).find((c) => namespaceOf(c) === NS.stanzaErrors && c.name !== "text")?.name : undefined;
  return {
    condition: condition ?? "undefined-condition",
    type: type === "auth" || type === "modify" || type === "wait" ? type : "cancel",
  };
}

/**
 * The mock component as a XEP-0356 privileged entity (catalogue section G of XEP-0356), next to
 * its managing-entity side: the small PEP service a PEP component really is.
 *
 * - It trusts a privilege advertisement only from its server and only in the namespace of the
 *   revision it speaks (PE-ADV-01); each trusted one replaces the whole set (PRV-ADV-06: one
 *   advertisement holds the full set), so a re-advertisement without a permission revokes it.
 * - After a delegated publish on a user's PEP node succeeds, with message permission and roster
 *   read access (PE-ADV-02), it asks its server for the user's roster (#priv_manage_roster: an
 *   ordinary roster get to her bare JID) and sends each contact with subscription both or from
 *   (XEP-0163 §4.3.3) the event notification as her bare JID, wrapped per #sending_mess
 *   (PE-MSG-01). Readings: contacts' bare JIDs (no presence access, so no full JIDs), no 'type'
 *   (the spec's example), a fresh roster get per publish (nothing cached, so nothing stale).
 * - As its users' XEP-0376 service (namespace urn:xmpp:pam:0 delegated to it), a subscribe
 *   request becomes the #sending_iq example: a privileged IQ to the user's bare JID (PE-IQ-01),
 *   only with IQ permission for pubsub 'set'; the forwarded response completes the request
 *   (an empty result, or the remote error).
 * - A refusal (a message error, an IQ error, no answer) is logged and final: no retry, the stream
 *   kept (PE-ROB-01).
 */
export class PrivilegedEntity {
  private grant: PrivilegeGrant = {};
  private readonly pending = new Map<string, { to: string; done: (answer: Element | undefined) => void }>();
  private readonly sentMessages = new Map<string, { message: Element; retries: number }>();

  constructor(private readonly host: PrivilegedEntityHost) {}

  /** What its server currently grants it (from the last trusted advertisement). */
  get granted(): PrivilegeGrant {
    return this.grant;
  }

  private get ns(): string {
    return privilegeNamespace(this.host.version);
  }

  private has(fault: PrivilegedEntityFault): boolean {
    return this.host.has(fault);
  }

  private log(line: string): void {
    this.host.log(line);
  }

  /** A bare JID of one of its server's users. */
  private isUser(jid: string): boolean {
    const parsed = parseJid(jid);
    return parsed.local !== undefined && parsed.resource === undefined && parsed.domain === this.host.serverDomain.toLowerCase();
  }

  // --- what it may do (PE-ADV-02) ---------------------------------------------------------

  private get mayReadRosters(): boolean {
    return this.has("PE-ADV-02") ? this.grant.roster !== undefined : hasRosterRead(this.grant);
  }

  private get maySendMessages(): boolean {
    return this.has("PE-ADV-02") ? this.grant.message !== undefined : this.grant.message === "outgoing";
  }

  private maySendIq(namespace: string, type: string): boolean {
    const access = this.grant.iq && Object.hasOwn(this.grant.iq, namespace) ? this.grant.iq[namespace] : undefined;
    return this.has("PE-ADV-02") ? access !== undefined : allowsType(access, type);
  }

  // --- inbound ----------------------------------------------------------------------------

  /** A message for the XEP-0356 side (an advertisement, an error for a privileged message); true when consumed. */
  onMessage(message: Element): boolean {
    if (message.attrs.type === "error") return this.onMessageError(message);
    const privilege = childElements(message).find((c) => c.name === "privilege" && /^urn:xmpp:privilege:\d+$/.test(namespaceOf(c) ?? ""));
    if (!privilege) return false;
    const from = message.attrs.from as string | undefined;
    const ns = namespaceOf(privilege);
    // PE-ADV-01: its server's JID is configuration, never learnt from the stream; another revision's advertisement is not one it understands.
    if (!this.has("PE-ADV-01")) {
      if (!sameJid(from, this.host.serverDomain)) {
        this.log(`ignored a privilege advertisement from ${from ?? "(no from)"}: not its server`);
        return true;
      }
      if (ns !== this.ns) {
        this.log(`ignored a privilege advertisement in ${ns}: it speaks ${this.ns}`);
        return true;
      }
    }
    const advertised = readAdvertisement(privilege, this.host.version);
    this.grant = this.has("PE-ROB-01") ? union(this.grant, advertised) : advertised;
    this.log(`privileges: ${JSON.stringify(this.grant)}`);
    return true;
  }

  /**
   * #roster_pushes: a push "built as explained in RFC 6121", from a user's bare JID, is acknowledged
   * with a result (RFC 6121 §2.1.6); nothing is cached, the next publish asks for the roster again.
   */
  isRosterPush(iq: Element): boolean {
    const from = iq.attrs.from as string | undefined;
    return iq.attrs.type === "set" && iq.getChild("query", NS.roster) !== undefined && from !== undefined && this.isUser(from);
  }

  /** An answer to its roster get or privileged IQ; true when consumed. */
  onAnswer(iq: Element): boolean {
    const pending = this.pending.get(String(iq.attrs.id));
    if (!pending) return false;
    // RFC 6120 §8.2.3: from whom it asked (or its server, refusing on the user's behalf).
    const from = iq.attrs.from as string | undefined;
    if (from !== undefined && !sameJid(from, pending.to) && !sameJid(from, this.host.serverDomain)) return false;
    pending.done(iq);
    return true;
  }

  /** PRV-MSG-03's answer to one of its privileged messages: logged, final (PE-ROB-01). */
  private onMessageError(message: Element): boolean {
    const id = String(message.attrs.id);
    const sent = this.sentMessages.get(id);
    if (!sent) return false;
    this.sentMessages.delete(id);
    const { condition } = errorOf(message);
    this.log(`its server refused privileged message ${id} (${condition}): not sent again`);
    if (this.has("PE-ROB-01") && sent.retries < FAULT_RETRY_CAP) this.sendMessage(clone(sent.message), sent.retries + 1);
    return true;
  }

  // --- the PEP flow (#sending_mess, #priv_manage_roster) ------------------------------------

  /** A forward it served: a successful publish on a user's PEP node is notified to her contacts. */
  served(inner: Element, answer: PepAnswer, owner: string): void {
    if ("error" in answer || inner.attrs.type !== "set") return;
    const publish = inner.getChild("pubsub", NS.pubsub)?.getChild("publish");
    const node = publish?.attrs.node;
    if (!publish || typeof node !== "string" || !this.isUser(owner)) return;
    const item = clone(publish.getChild("item") ?? new Element("item"));
    const id = answer.payload?.getChild("publish")?.getChild("item")?.attrs.id;
    if (typeof id === "string") item.attrs.id = id;
    if (!this.maySendMessages) return this.log(`no message permission: ${owner}'s publish on ${node} is not notified`);
    if (!this.mayReadRosters) return this.log(`no roster read access: ${owner}'s contacts are unknown, her publish on ${node} is not notified`);
    void this.contacts(owner).then((contacts) => {
      // Granted when it asked; revoked meanwhile, it sends nothing.
      if (!this.maySendMessages) return;
      for (const contact of contacts) this.notify(owner, contact, node, item);
    });
  }

  /** #priv_manage_roster: the roster get goes to the user's bare JID, "in the usual way" (RFC 6121 §2.1.3). */
  private async contacts(owner: string): Promise<string[]> {
    const get = new Element("iq", { type: "get", to: owner, id: `roster-${randomUUID()}` });
    get.c("query", { xmlns: NS.roster });
    const answer = await this.ask(get);
    const query = answer?.attrs.type === "result" ? answer.getChild("query", NS.roster) : undefined;
    if (!query) {
      this.log(`no roster for ${owner} (${answer ? errorOf(answer).condition : "no answer"}): nobody notified, not asked again`);
      return [];
    }
    const contacts = new Set<string>();
    for (const item of query.getChildren("item")) {
      const jid = item.attrs.jid;
      const subscription = item.attrs.subscription;
      // XEP-0163 §4.3.3: contacts subscribed to the owner's presence.
      if (typeof jid === "string" && (subscription === "both" || subscription === "from") && !sameJid(bareJid(jid), owner)) contacts.add(bareJid(jid));
    }
    return [...contacts];
  }

  /** #sending_mess, the spec's example: `<message to=server><privilege><forwarded><message from=owner's bare JID …>`. */
  private notify(owner: string, contact: string, node: string, item: Element): void {
    const message = new Element("message", { to: this.host.serverDomain, id: `notif-${randomUUID()}` });
    const inner = new Element("message", { xmlns: NS.client, from: this.has("PE-MSG-01") ? `${owner}/pep` : owner, to: contact, id: `event-${randomUUID()}` });
    inner.c("event", { xmlns: PUBSUB_EVENT }).c("items", { node }).cnode(clone(item));
    message.c("privilege", { xmlns: this.ns }).c("forwarded", { xmlns: NS.forward }).cnode(inner);
    this.sendMessage(message, 0);
  }

  private sendMessage(message: Element, retries: number): void {
    if (retries > 0) message.attrs.id = `notif-${randomUUID()}`;
    this.sentMessages.set(String(message.attrs.id), { message, retries });
    for (const id of this.sentMessages.keys()) {
      if (this.sentMessages.size <= SENT_MESSAGES_KEPT) break;
      this.sentMessages.delete(id);
    }
    this.host.send(message);
  }

  // --- XEP-0376 through IQ permission (#sending_iq) -------------------------------------------

  /** Namespaces it serves through its privileges, once its server delegates them (XEP-0355). */
  serves(namespace: string): boolean {
    return namespace === PAM_NS && this.host.version === 2;
  }

  /**
   * XEP-0376 #subs: `<pam jid=service><subscribe xmlns=pubsub …/></pam>` from the user to her own
   * account becomes the XEP-0060 request "from the account bare jid" — a privileged IQ.
   */
  async serve(inner: Element, payload: Element, requester: string, owner: string): Promise<PepAnswer> {
    const service = payload.attrs.jid;
    const operation = childElements(payload).find((c) => namespaceOf(c) === NS.pubsub && (c.name === "subscribe" || c.name === "unsubscribe"));
    if (payload.name !== "pam" || inner.attrs.type !== "set" || typeof service !== "string" || !operation) return { error: { condition: "bad-request", type: "modify" } };
    // Her own account only (the server, which a PEP component trusts as an administrator, too).
    if (!this.isUser(owner) || (requester !== owner && requester !== this.host.serverDomain.toLowerCase())) return { error: { condition: "forbidden", type: "auth" } };
    // XEP-0376 #subs: "the client SHALL always use its own bare jid within a subscribe".
    if (typeof operation.attrs.jid === "string" && !sameJid(bareJid(operation.attrs.jid), owner)) return { error: { condition: "bad-request", type: "modify" } };
    if (!this.maySendIq(NS.pubsub, "set")) {
      this.log(`no IQ permission for ${NS.pubsub} set: ${owner}'s ${operation.name} to ${service} is refused, nothing sent`);
      return { error: { condition: "not-allowed", type: "cancel" } };
    }
    // #sending_iq: in jabber:client, no 'from' (the server sets the user's bare JID), wrapped in <privileged_iq/>.
    const encapsulated = new Element("iq", { xmlns: NS.client, type: "set", to: service, id: `pam-${randomUUID()}` });
    if (this.has("PE-IQ-01")) encapsulated.attrs.from = inner.attrs.from;
    encapsulated.c("pubsub", { xmlns: NS.pubsub }).cnode(clone(operation));
    return this.privilegedIq(owner, encapsulated, 0);
  }

  private async privilegedIq(owner: string, encapsulated: Element, retries: number): Promise<PepAnswer> {
    // #sending_iq: top-level IQ to the user's bare JID, with the encapsulated IQ's type.
    const iq = new Element("iq", { type: encapsulated.attrs.type, to: owner, id: `priv-iq-${randomUUID()}` });
    iq.c("privileged_iq", { xmlns: this.ns }).cnode(encapsulated);
    const answer = await this.ask(iq);
    if (!answer) {
      this.log(`no answer to privileged IQ ${iq.attrs.id}: not sent again`);
      return { error: { condition: "remote-server-timeout", type: "wait" } };
    }
    // The response comes back forwarded (PRV-IQ-07), in an outer result or error (PRV-IQ-08 ambiguous): either way, it decides.
    const response = answer.getChild("privilege", this.ns)?.getChild("forwarded", NS.forward)?.getChild("iq");
    if (response) return response.attrs.type === "error" ? { error: errorOf(response) } : {};
    if (answer.attrs.type === "error") {
      const error = errorOf(answer);
      this.log(`its server refused privileged IQ ${iq.attrs.id} (${error.condition}): not sent again`);
      if (this.has("PE-ROB-01") && retries < FAULT_RETRY_CAP) return this.privilegedIq(owner, clone(encapsulated), retries + 1);
      return { error };
    }
    return {};
  }

  /** An IQ to its server (or a user's bare JID through it), resolved with the answer, or undefined after ANSWER_TIMEOUT_MS. */
  private ask(iq: Element): Promise<Element | undefined> {
    const id = String(iq.attrs.id);
    return new Promise((resolve) => {
      const timer = this.host.later(ANSWER_TIMEOUT_MS, () => done(undefined));
      const done = (answer: Element | undefined) => {
        timer.cancel();
        this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, { to: String(iq.attrs.to), done });
      this.host.send(iq);
    });
  }
}
