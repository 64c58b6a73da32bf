import { ComponentActor } from "../actors/component-actor.js";
import { managingNestingResponder } from "../actors/nesting-responder.js";
import { Transcript } from "../actors/transcript.js";
import type { ComponentCredentials, ProtocolVersion, ServerTarget } from "../target/types.js";

/** How long a component connection to a server that has just started may take. */
const STARTING_CONNECT_MS = 30_000;

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
  try {
    const seen = await connectOnce(target, managing, settleMs);
    if (!seen.advertised) return undefined;
    const asked = [...new Set(seen.asked.map((node) => node.replace(/(::|:bare:).*$/, "$1…")))];
    const nesting = asked.length ? `; nesting queried on ${asked.join(", ")}` : "";
    // XEP-0356's revision is its own (ejabberd 24.12: delegation :1, privilege :2); the run reads it again (ServerTargetDriver)
    const privilege = target.privileges ? `; privilege advertisement ${seen.privilege ? `<privilege xmlns='${seen.privilege}'>` : "none"}` : "";
    return { version: NAMESPACE_VERSION[seen.advertised], evidence: `advertisement <delegation xmlns='${seen.advertised}'> sent to ${managing.jid}${nesting}${privilege}` };
  } catch {
    return undefined;
  }
}

/**
 * Connects as one managing component, answering the nesting queries as the run's managing entity will,
 * until the advertisement has come (or settleMs): the delegation namespace advertised and the nesting
 * nodes asked. Throws if the handshake fails.
 */
async function connectOnce(target: ServerTarget, managing: ComponentCredentials, settleMs: number): Promise<Seen> {
  // A server that has just started may still be activating its hosts (Prosody 13: tens of ms each, after
  // its listeners opened): the stream header comes once it is done, possibly after xmpp.js's own 2 s
  // timeout on it (@xmpp/connection 0.13 ignores the `timeout` option). Try again until it answers.
  const deadline = Date.now() + STARTING_CONNECT_MS;
  for (;;) {
    try {
      return await connectAndSettle(target, managing, settleMs);
    } catch (err) {
      if (!(err instanceof Error && err.name === "TimeoutError") || Date.now() > deadline) throw err;
    }
  }
}

/** What one connection of a managing component saw: the delegation (and privilege) advertisement's namespace, the nesting nodes asked. */
interface Seen {
  advertised?: string;
  privilege?: string;
  asked: string[];
}

async function connectAndSettle(target: ServerTarget, managing: ComponentCredentials, settleMs: number): Promise<Seen> {
  const me = new ComponentActor(
    "version-probe",
    new Transcript(),
    { host: target.host, port: managing.port ?? target.componentPort, connectTimeoutMs: Math.max(target.timeouts.connect, STARTING_CONNECT_MS), settleMs },
    managing,
    managingNestingResponder("auto"),
  );
  try {
    await me.connect();
    const advertised = me.received
      .filter((el) => el.name === "message")
      .flatMap((el) => el.getChildren("delegation").map((d) => String(d.attrs.xmlns)))
      .find((ns) => ns in NAMESPACE_VERSION);
    const privilege = me.received
      .filter((el) => el.name === "message")
      .flatMap((el) => el.getChildren("privilege").map((p) => String(p.attrs.xmlns)))
      .find((ns) => /^urn:xmpp:privilege:[12]$/.test(ns));
    return { advertised, privilege, asked: me.autoAnswered.map(({ stanza }) => String(stanza.getChild("query")?.attrs.node ?? "")) };
  } finally {
    await me.dispose();
  }
}

/**
 * Connects every further lane's managing component once, as detectWireVersion does the first lane's
 * (and at the same time): Prosody asks a component its nesting features only on its first connection
 * and keeps the answer (SRV-DSC-02/04/05/06), so each lane starts from the state of the first. Returns
 * the delegation namespace the lanes were advertised. A lane that refuses its component, or lanes
 * advertised different revisions, is a broken launch.
 */
export async function primeLanes(target: ServerTarget, settleMs = 5000): Promise<string | undefined> {
  const seen = await Promise.all(
    (target.lanes ?? []).map(async (lane) => {
      try {
        return { lane, advertised: (await connectOnce(target, lane.components.managing, settleMs)).advertised };
      } catch (err) {
        // xmpp.js's own errors (TimeoutError, StreamError) may have no message: name them
        const why = err instanceof Error ? [err.name, err.message, (err as Error & { condition?: string }).condition].filter(Boolean).join(": ") : String(err);
        throw new Error(`lane ${lane.domain}: ${lane.components.managing.jid} could not connect: ${why}`);
      }
    }),
  );
  const namespaces = new Set(seen.map((s) => s.advertised ?? "no advertisement"));
  if (namespaces.size > 1) throw new Error(`the lanes' managing components were advertised differently: ${seen.map((s) => `${s.lane.domain}: ${s.advertised ?? "none"}`).join(", ")}`);
  return seen[0]?.advertised;
}

/**
 * The revision on the wire (settleWireVersion) with every lane primed meanwhile (primeLanes); the lanes
 * must have been advertised what the first was.
 */
export async function settleLanes(target: ServerTarget): Promise<string> {
  const [detection, lanes] = await Promise.all([settleWireVersion(target), primeLanes(target)]);
  if (target.lanes?.length && target.version !== "auto" && lanes !== namespaceOf(target.version)) {
    throw new Error(`the lanes' managing components got ${lanes ? `an advertisement in ${lanes}` : "no advertisement"}, the first lane's ${namespaceOf(target.version)}`);
  }
  return detection;
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
