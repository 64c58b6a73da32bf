import { ComponentActor } from "../actors/component-actor.js";
import { managingNestingResponder } from "../actors/nesting-responder.js";
import { Transcript } from "../actors/transcript.js";
import type { ProtocolVersion, ServerTarget } from "../target/types.js";

const NAMESPACE_VERSION: Record<string, ProtocolVersion> = { "urn:xmpp:delegation:2": 2, "urn:xmpp:delegation:1": 1 };

export interface WireVersion {
  version: ProtocolVersion;
  /** what was seen, for the console: the advertisement's namespace and the nesting nodes the server asked */
  evidence: string;
}

/**
 * Which XEP-0355 revision a launched server speaks, read on the wire: connects once as the managing
 * component and takes the namespace of the delegation advertisement it is sent. The server's own
 * disco#info cannot tell: the launchers delegate the delegation namespaces themselves (SRV-ADV-05
 * provoked), so both revisions' namespaces may be listed there whatever the server speaks.
 *
 * The component answers the nesting queries exactly as the run's managing entity will (Prosody asks
 * them only once per process and keeps the answer; ejabberd advertises nothing until they are answered).
 */
export async function detectWireVersion(target: ServerTarget, settleMs = 5000): Promise<WireVersion | undefined> {
  const managing = target.components.managing;
  const me = new ComponentActor(
    "version-probe",
    new Transcript(),
    { host: target.host, port: managing.port ?? target.componentPort, connectTimeoutMs: target.timeouts.connect, settleMs },
    managing,
    managingNestingResponder("auto"),
  );
  try {
    await me.connect();
    const advertised = me.received
      .filter((el) => el.name === "message")
      .flatMap((el) => el.getChildren("delegation").map((d) => String(d.attrs.xmlns)))
      .find((ns) => ns in NAMESPACE_VERSION);
    if (!advertised) return undefined;
    const asked = [...new Set(me.autoAnswered.map(({ stanza }) => String(stanza.getChild("query")?.attrs.node ?? "").replace(/(::|:bare:).*$/, "$1…")))];
    const nesting = asked.length ? `; nesting queried on ${asked.join(", ")}` : "";
    return { version: NAMESPACE_VERSION[advertised], evidence: `advertisement <delegation xmlns='${advertised}'> sent to ${managing.jid}${nesting}` };
  } catch {
    return undefined;
  } finally {
    await me.dispose();
  }
}

const namespaceOf = (version: ProtocolVersion): string => `urn:xmpp:delegation:${version}`;

/**
 * Sets target.version to the revision the launched server speaks on the wire; returns how it was
 * established, for the console. The launcher's configured version (what the release is documented to
 * speak, used for its configuration) stays only when nothing was advertised.
 */
export async function settleWireVersion(target: ServerTarget): Promise<string> {
  const configured = target.version;
  const seen = await detectWireVersion(target);
  if (!seen) {
    return configured === "auto"
      ? "XEP-0355 revision not detected on the wire (no delegation advertisement); the run detects it from disco#info"
      : `${namespaceOf(configured)} as configured, not confirmed on the wire (no delegation advertisement to the managing component)`;
  }
  target.version = seen.version;
  const differs = configured !== "auto" && configured !== seen.version ? `, not ${namespaceOf(configured)} as its launcher expected` : "";
  return `speaks ${namespaceOf(seen.version)}${differs} (detected on the wire: ${seen.evidence})`;
}
