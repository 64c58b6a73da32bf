import type { ScenarioModule } from "../../src/scenario/load.js";
import type { Element } from "../../src/xml/element.js";

/**
 * SRV-ADV-08 (ambiguous): the spec's example advertises every delegation in one <message/> (and a
 * managing entity that replaces its set on each message relies on it); a server may instead send one
 * message per namespace. Either passes, and is reported; so do several messages split otherwise (one
 * holding several, or a namespace in two: other-split), which leave such an ME with a partial set, but
 * no keyword says how many messages the advertisement takes (#admin_perm: "a <message/> stanza"). That
 * every delegated namespace is advertised is SRV-ADV-02's MUST, checked first. Every advertisement
 * that arrives within the quiet window after the handshake counts.
 */
const scenario: ScenarioModule = {
  id: "srv-adv-08-one-or-several-messages",
  title: "The delegations are advertised in one message, or in one message per namespace (reported)",
  role: "server",
  requirements: ["SRV-ADV-08", "SRV-ADV-01", "SRV-ADV-02"],
  needs: ["filtering"],
  versions: [1, 2],
  cast: [{ name: "me", kind: "component", ref: "managing" }],
  async run(ctx) {
    await ctx.connect("me");
    const advertisement = "<message from='${server}'><delegation xmlns='${deleg}'/></message>";
    await ctx.receive("me", advertisement, { requirement: "SRV-ADV-01" });
    await ctx.wait(ctx.env.timeouts.quiet);
    const deleg = ctx.variable("deleg");
    const messages = ctx.component("me").received.filter((el) => el.name === "message" && el.getChild("delegation", deleg));
    const namespacesOf = (m: Element) => m.getChild("delegation", deleg)!.getChildren("delegated").map((d) => String(d.attrs.namespace));
    const all = messages.flatMap(namespacesOf);
    const evidence = messages.map((m) => m.toString());
    for (const ns of [ctx.variable("ns.plain"), ctx.variable("ns.filtered")]) {
      ctx.check(all.includes(ns), "SRV-ADV-02", `no advertisement lists the delegated namespace ${ns}`, `<delegated namespace='${ns}'/>`, evidence);
    }
    if (messages.length === 1) {
      ctx.reading("SRV-ADV-08", "one-message", `one advertisement listing ${all.length} delegations`);
      return;
    }
    const repeated = all.length - new Set(all).size;
    if (!messages.every((m) => namespacesOf(m).length === 1)) {
      const split = messages.map((m) => `[${namespacesOf(m).join(", ")}]`).join(" ");
      ctx.reading("SRV-ADV-08", "other-split", `${messages.length} advertisements, not one per namespace: ${split}; an ME replacing its set on each message ends with a partial one`);
      return;
    }
    ctx.reading("SRV-ADV-08", "several-messages", `${messages.length} advertisements, one per namespace${repeated > 0 ? `, ${repeated} of them repeating a namespace already advertised` : ""}`);
  },
};
export default scenario;
