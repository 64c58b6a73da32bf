import { randomUUID } from "node:crypto";
import { Element } from "../../src/xml/element.js";
import { NS } from "../../src/protocol/namespaces.js";

/** XEP-0050 (Ad-Hoc Commands). */
export const COMMANDS_NS = "http://jabber.org/protocol/commands";

/** #configuration: the well-defined command node (`urn:xmpp:delegation:1#configure` for XEP 0.4.1). */
export function configureNode(delegationNs: string): string {
  return `${delegationNs}#configure`;
}

/** Human-friendly names of namespaces a user may be asked about (#client_delegation: "SHOULD translate"). */
const HUMAN_NAMES: Record<string, string> = {
  [NS.pubsub]: "PubSub",
  "jabber:iq:private": "Private XML Storage",
  [NS.roster]: "Roster",
  [NS.mam]: "Message Archive",
  "vcard-temp": "vCard",
  "jabber:iq:last": "Last Activity",
};

/** "Manage PubSub (http://jabber.org/protocol/pubsub)": the human name, keeping the namespace (MAY). */
export function humanLabel(namespace: string): string {
  const name = Object.hasOwn(HUMAN_NAMES, namespace) ? HUMAN_NAMES[namespace] : undefined;
  return name ? `Manage ${name} (${namespace})` : `Manage ${namespace}`;
}

export interface RequestFormOptions {
  /** The requester's JID, named in the warning. */
  requester: string;
  challenge: string;
  formType: string;
  namespaces: string[];
  /** Namespaces the server does not let users delegate (#security 2): offered, fixed to 0. */
  filtered: Set<string>;
  /** SRV-CLI-01 fault: no challenge field. */
  withoutChallenge: boolean;
  /** SRV-CLI-02 fault: no warning body, no labels. */
  bare: boolean;
}

/**
 * #client_delegation, shaped exactly like the spec's "server asks user" example: a warning <body/>
 * (SRV-CLI-02, SHOULD), a XEP-0004 form with the server-generated challenge (SRV-CLI-01, MUST),
 * FORM_TYPE, and one list-single field per namespace whose var is the namespace, default 0
 * (SRV-CLI-01, MUST), with a human label (SRV-CLI-02). A filtered namespace is offered with value 0
 * and no 'Yes' (SRV-CLI-12, #security 2).
 */
export function requestForm(from: string, to: string, o: RequestFormOptions): Element {
  const message = new Element("message", { from, to, id: `deleg-ask-${randomUUID()}` });
  if (!o.bare) {
    message
      .c("body")
      .t(
        `${o.requester} wants to manage a feature normally managed by the server.\n` +
          "Do you allow it to manage the following features?\n\n" +
          "Be careful! According management to an entity is a serious thing,\n" +
          "think twice that you can trust the entity before doing this.",
      );
  }
  const x = message.c("x", { xmlns: NS.dataForms, type: "form" });
  x.c("title").t("Delegation request");
  x.c("instructions").t(`${o.requester} wants to manage the following features:\nDo you allow it?`);
  if (!o.withoutChallenge) x.c("field", { type: "hidden", var: "challenge" }).c("value").t(o.challenge);
  x.c("field", { type: "hidden", var: "FORM_TYPE" }).c("value").t(o.formType);
  for (const namespace of o.namespaces) {
    const filtered = o.filtered.has(namespace);
    const label = `${humanLabel(namespace)}${filtered ? " — not allowed by this server" : ""}`;
    const field = x.c("field", { type: "list-single", var: namespace, ...(o.bare ? {} : { label }) });
    field.c("value").t("0");
    field.c("option", { label: "No" }).c("value").t("0");
    if (!filtered) field.c("option", { label: "Yes" }).c("value").t("1");
  }
  return message;
}

/** The fields of a submitted XEP-0004 form: var → values. */
export function formValues(x: Element): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const field of x.getChildren("field")) {
    const name = field.attrs.var;
    if (typeof name !== "string") continue;
    values.set(
      name,
      field.getChildren("value").map((v) => v.getText().trim()),
    );
  }
  return values;
}

/** XEP-0004 boolean-ish answer of a list-single No/Yes field: "1" (or "true") grants. */
export function isYes(values: string[] | undefined): boolean {
  return values !== undefined && values.length > 0 && (values[0] === "1" || values[0] === "true");
}

/** One managing entity's grants for the configure form. */
export interface GrantListing {
  managing: string;
  namespaces: string[];
}

/**
 * #configuration (SRV-CLI-14): the configure command's form. One list-multi field per managing entity,
 * var = its JID; the options are the namespaces granted to it and all are selected: submitting the
 * field with a namespace unselected revokes that grant (an empty field revokes them all).
 */
export function configureForm(formType: string, grants: GrantListing[]): Element {
  const x = new Element("x", { xmlns: NS.dataForms, type: "form" });
  x.c("title").t("Delegations");
  x.c("instructions").t("Entities managing features for you. Unselect a feature to revoke its delegation.");
  x.c("field", { type: "hidden", var: "FORM_TYPE" }).c("value").t(formType);
  if (grants.length === 0) x.c("field", { type: "fixed" }).c("value").t("You have granted no delegation.");
  for (const { managing, namespaces } of grants) {
    const field = x.c("field", { type: "list-multi", var: managing, label: `Features managed by ${managing}` });
    for (const namespace of namespaces) field.c("value").t(namespace);
    for (const namespace of namespaces) field.c("option", { label: humanLabel(namespace) }).c("value").t(namespace);
  }
  return x;
}

/** The <x/> data form child of an element, if any. */
export function dataForm(el: Element | undefined, type?: string): Element | undefined {
  const x = el?.getChild("x", NS.dataForms);
  if (!x || (type !== undefined && x.attrs.type !== type)) return undefined;
  return x;
}

