import { parseJid } from "../protocol/jid.js";
import { NS } from "../protocol/namespaces.js";
import { isSettlePing } from "../actors/settle-ping.js";
import { Element, childElements, parseXml, pretty } from "../xml/element.js";
import type { Direction, RecordedEvent, Recording } from "./recording.js";
import { escapeLiterals } from "../scenario/parse.js";
import { redactSecretMarkup } from "./redact.js";
import { formatSendBlock } from "./stanza-format.js";

/**
 * Turns a Recording into a server-role scenario script (docs/scenario-format.md):
 * each proxied connection becomes an actor, every stanza after the stream
 * setup becomes a `sends:` / `receives:` step in the order the proxy saw it.
 * See docs/reproduce.md for what is generalised and what is dropped.
 */
export interface ScriptOptions {
  id?: string;
  title?: string;
  /** Credentials to scrub from the output (RecordingProxy.secrets.scrub). */
  scrub?: (text: string) => string;
  /** How the recording was made, for the header comment (e.g. the command line, without secrets). */
  provenance?: string;
  /** The target's components by cast ref (record --target): a connection with one of these JIDs is cast as that component. */
  components?: KnownComponents;
}

/** Component JIDs by the cast ref a scenario names them with (docs/scenario-format.md). */
export type KnownComponents = Partial<Record<ComponentRef, string>>;
type ComponentRef = "managing" | "other" | "reader" | "messenger";

export interface WrittenScript {
  text: string;
  /** Actor name → what it was in the recording (e.g. "client juliet@capulet.test/balcony, connection 2"). */
  actors: Record<string, string>;
  steps: number;
  /** Things the user should look at (also written as comments). */
  warnings: string[];
}

/** A placeholder the parser accepts: the recording cannot know which requirement the session is about. */
export const PLACEHOLDER_REQUIREMENT = "REC-TODO-1";

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";
const NS_SM = "urn:xmpp:sm:3";
const NS_CSI = "urn:xmpp:csi:0";
/** Stream-level elements that belong to the connection, not to the session the script replays. */
const SETUP_NAMESPACES = new Set<string>([NS.sasl, NS_TLS, NS_SM, NS_CSI, NS.bind, NS_SESSION]);
const DELEGATION_NS = /urn:xmpp:delegation:[12]/g;
const IS_DELEGATION_NS = /^urn:xmpp:delegation:[12]$/;
const IS_PRIVILEGE_NS = /^urn:xmpp:privilege:[12]$/;
const NESTING_NODE = /^urn:xmpp:delegation:[12](?::bare:|::)/;

type Kind = "client" | "component" | "other";

interface Conn {
  id: number;
  kind: Kind;
  /** Stream header `to` (client: the domain; component: its JID). */
  to?: string;
  /** Full JID bound (client) or the component JID, once known. */
  jid?: string;
  /** seq of the event after which the connection counts as set up (bind result, <handshake/>). */
  readySeq?: number;
  name?: string;
  ref?: string;
  /** Ids of the setup IQs (bind, session) whose answers are dropped too. */
  setupIds: Set<string>;
  receivedAdvertisement: boolean;
  tls: boolean;
  /** seq at which the recorded party closed its stream (→ `disconnects`), after set-up. */
  endedUpSeq?: number;
}

interface Output {
  lines: string[];
  steps: number;
}

export function writeScript(recording: Recording, options: ScriptOptions = {}): WrittenScript {
  const events = [...recording.events].sort((a, b) => a.seq - b.seq);
  const conns = analyseConnections(recording, events);
  const warnings: string[] = [];
  const domain = serverDomain(conns, events);
  assignNames(conns, warnings, options.components ?? {});
  const vars = new Variables(domain, conns);
  const ids = new IdPlan(conns, events);

  const out: Output = { lines: [], steps: 0 };
  /** `attached`: no blank line before the next step, so it stays with that step (minimize keeps them together). */
  const comment = (text: string, attached = false) => out.lines.push(...commentLines(text), ...(attached ? [] : [""]));
  const nestingNoted = new Set<number>();
  const droppedIds = new Map<number, Set<string>>();

  for (const event of events) {
    const conn = conns.get(event.conn)!;
    const who = conn.name ?? `connection ${conn.id}`;
    const arrow = "dir" in event ? (event.dir === "up" ? `${who} → server` : `server → ${who}`) : who;
    const ready = conn.readySeq !== undefined && event.seq > conn.readySeq;
    const actor = conn.name && ready ? conn.name : undefined;

    switch (event.kind) {
      case "stream-start":
      case "unparsed":
        break;
      case "tls":
        comment(`${who}: STARTTLS — the rest of connection ${conn.id} is encrypted and was passed on without being recorded. Record against a server that offers no TLS on loopback.`);
        break;
      case "stray-text":
        comment(`${arrow}: text between stanzas, passed on unchanged (not XML a strict parser accepts):\n${indentText(event.text)}`);
        break;
      case "malformed": {
        const text = event.text + (event.truncated ? "…" : "");
        if (actor && event.dir === "up" && event.text.trim() && !/\$\{|\{\$|\{any\}/.test(event.text)) {
          comment(
            `${arrow}: not well-formed XML (${event.error}). The proxy passed it on unchanged and parsed nothing more in this direction. It is replayed as is:`,
            true,
          );
          out.lines.push(`${actor} sends raw:`, ...vars.rawText(event.text).split("\n").map((l) => `  ${l}`), "");
          out.steps++;
        } else {
          comment(`${arrow}: not well-formed XML (${event.error}), passed on unchanged; nothing more was parsed in this direction:\n${indentText(text)}`);
        }
        break;
      }
      case "stream-end":
        if (event.dir === "up" && actor) {
          out.lines.push(`${actor} disconnects`, "");
          out.steps++;
        } else if (event.dir === "down" && actor && (conn.endedUpSeq === undefined || event.seq < conn.endedUpSeq)) {
          comment(`the server closed ${who}'s stream`);
        }
        break;
      case "closed": {
        const reason = event.reason ? ` (${event.reason})` : "";
        if (conn.tls) break;
        if (conn.kind === "other") comment(`connection ${conn.id} was not an XMPP client or component stream: not part of the script${reason}`);
        else if (conn.readySeq === undefined) {
          comment(`connection ${conn.id} (${conn.kind}${conn.to ? ` to ${conn.to}` : ""}) closed before its stream was set up${reason}: not part of the script`);
        } else if (conn.name && conn.endedUpSeq === undefined) {
          if (event.by === "client") {
            comment(`${who} closed its TCP connection without closing its stream first${reason}`);
            out.lines.push(`${conn.name} disconnects`, "");
            out.steps++;
          } else {
            comment(`${who}'s TCP connection ${event.by === "proxy" ? "was still open when the recording stopped" : `closed by the server${reason}`}`);
          }
        }
        break;
      }
      case "stanza": {
        if (conn.readySeq === event.seq && conn.name) {
          out.lines.push(`${conn.name} connects`, "");
          out.steps++;
          break;
        }
        if (!actor) break;
        const el = parseXml(event.xml);
        if (isSetupElement(el, conn, event.dir)) break;
        // The suite's managing entity answers the server's disco#info nesting queries by itself on replay.
        if (conn.ref === "managing" && isNestingQuery(el, event.dir)) {
          setOf(droppedIds, conn.id).add(String(el.attrs.id));
          if (!nestingNoted.has(conn.id)) {
            nestingNoted.add(conn.id);
            comment(
              `${actor} answered the server's disco#info queries on the delegation nesting nodes here (#disco_nesting). Not written as steps: on replay the suite's managing entity answers them by itself.`,
            );
          }
          break;
        }
        if (event.dir === "up" && el.name === "iq" && droppedIds.get(conn.id)?.has(String(el.attrs.id))) break;
        // The suite's managing entity pings its server after connecting (ComponentActor settle): its own plumbing, and it pings again on replay.
        if (conn.kind === "component" && isSettlePing(el)) break;
        const rewritten = rewrite(el, event.dir, conn, vars, ids);
        if (event.dir === "down" && el.name === "message" && childElements(el).some((c) => IS_DELEGATION_NS.test(String(c.attrs.xmlns ?? "")))) {
          comment("The delegation advertisement: the namespaces it lists are this server's configuration; trim the pattern to what the replay is about.", true);
        }
        if (event.dir === "down" && el.name === "message" && childElements(el).some((c) => IS_PRIVILEGE_NS.test(String(c.attrs.xmlns ?? "")))) {
          comment("The privilege advertisement (XEP-0356): what it grants is this server's configuration; a server without XEP-0356 sends none: trim or delete this step.", true);
        }
        if (event.dir === "up") {
          out.lines.push(`${actor} sends:`, ...formatSendBlock(rewritten).split("\n").map((l) => `  ${l}`), "");
        } else {
          out.lines.push(`${actor} receives:`, ...pretty(rewritten, "  ").split("\n"), "");
        }
        out.steps++;
        break;
      }
    }
  }

  const cast = [...conns.values()].filter((c) => c.name && c.readySeq !== undefined);
  if (cast.length === 0) warnings.push("no client or component session was set up through the proxy: the script has no steps");
  else if (!cast.some((c) => c.kind === "component")) {
    warnings.push(
      "no managing entity: no component connected through the proxy, so this script tests no delegation (what the server forwards, " +
        "and what it does with the answers, is not in it). Proxy the server's component port too (record --target SERVER.json) and connect the managing component there",
    );
  }
  const actors: Record<string, string> = {};
  for (const c of cast) actors[c.name!] = `${c.kind} ${c.jid ?? c.to ?? "?"}, connection ${c.id}`;

  const stamp = recording.startedAt.replace(/\.\d+Z$/, "").replace("T", " ");
  const id = options.id ?? `recorded-${recording.startedAt.replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
  const title = options.title ?? `Session recorded ${stamp} UTC (${cast.map((c) => c.name).join(", ") || "no actors"})`;
  const usesOther = cast.some((c) => c.ref === "other");
  const header = [
    `# Recorded by 'xep0355 record' on ${stamp} UTC${options.provenance ? ` (${options.provenance})` : ""}.`,
    `# The stream setup of each connection (SASL, resource binding, the component handshake) is left out,`,
    `# as are all credentials: on replay, 'X connects' logs in with the target's own.`,
    `# Replay: xep0355 replay THIS_FILE --target YOUR-SERVER.json   or   --against mock-server`,
    `id: ${id}`,
    `title: ${title}`,
    `role: server`,
    `# TODO requirements: the recording cannot tell which catalogue requirement this session is about.`,
    `# Replace ${PLACEHOLDER_REQUIREMENT} by the IDs it checks (first = the one it is about, e.g. SRV-REP-01) and tag the`,
    `# step that shows the problem with [ID] (xep0355 list --requirements lists them).`,
    `requirements: ${PLACEHOLDER_REQUIREMENT}`,
    ...(usesOther ? ["needs: otherComponent"] : []),
    "",
    "cast:",
    ...cast.map((c) => `  ${c.name}: ${c.kind} ${c.ref}`.trimEnd()),
    "",
    ...warnings.flatMap((w) => commentLines(`WARNING: ${w}`)),
    ...(warnings.length ? [""] : []),
  ];
  const body = [...header, ...out.lines].join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
  const scrub = options.scrub ?? ((t: string) => t);
  return { text: scrub(redactSecretMarkup(body)), actors, steps: out.steps, warnings };
}

// --- connections --------------------------------------------------------------

function analyseConnections(recording: Recording, events: RecordedEvent[]): Map<number, Conn> {
  const conns = new Map<number, Conn>();
  for (const c of recording.connections) {
    conns.set(c.id, { id: c.id, kind: "other", setupIds: new Set(), receivedAdvertisement: false, tls: false });
  }
  for (const e of events) {
    const conn = conns.get(e.conn);
    if (!conn) continue;
    if (e.kind === "stream-start" && e.dir === "up" && conn.kind === "other") {
      conn.to = e.attrs.to;
      conn.kind = e.attrs.xmlns === NS.component ? "component" : e.attrs.xmlns === NS.client ? "client" : "other";
      if (conn.kind === "component") conn.jid = e.attrs.to;
    }
    if (e.kind === "tls") conn.tls = true;
    if (e.kind === "stream-end" && e.dir === "up" && conn.readySeq !== undefined) conn.endedUpSeq ??= e.seq;
    if (e.kind !== "stanza" || conn.kind === "other") continue;
    const el = parseXml(e.xml);
    if (conn.readySeq === undefined) {
      if (conn.kind === "component" && e.dir === "down" && el.name === "handshake") conn.readySeq = e.seq;
      if (conn.kind === "client" && el.name === "iq") {
        if (e.dir === "up" && el.getChild("bind", NS.bind)) conn.setupIds.add(String(el.attrs.id));
        const jid = el.getChild("bind", NS.bind)?.getChildText("jid");
        if (e.dir === "down" && el.attrs.type === "result" && jid) {
          conn.jid = jid.trim();
          conn.readySeq = e.seq;
        }
      }
      continue;
    }
    if (e.dir === "up" && el.name === "iq" && el.getChild("session", NS_SESSION)) conn.setupIds.add(String(el.attrs.id));
    if (e.dir === "down" && childElements(el).some((c) => IS_DELEGATION_NS.test(String(c.attrs.xmlns ?? "")))) {
      conn.receivedAdvertisement = true;
    }
  }
  return conns;
}

/** The server's domain: what clients asked for in their stream header, else the `from` of the server's own stanzas to a component. */
function serverDomain(conns: Map<number, Conn>, events: RecordedEvent[]): string | undefined {
  for (const c of conns.values()) if (c.kind === "client" && c.to) return c.to.toLowerCase();
  for (const e of events) {
    const c = conns.get(e.conn);
    if (c?.kind !== "component" || e.kind !== "stanza" || e.dir !== "down") continue;
    const from = /^<[^>]*\sfrom="([^"@/]+)"/.exec(e.xml)?.[1];
    if (from && from !== c.jid) return from.toLowerCase();
  }
  for (const c of conns.values()) if (c.kind === "component" && c.jid?.includes(".")) return c.jid.slice(c.jid.indexOf(".") + 1).toLowerCase();
  return undefined;
}

/**
 * Components: those with a JID of the target's (`known`) by their ref (`me` for managing, `other`,
 * `reader`, `messenger`); else the one that received the delegation advertisement (else the first) is
 * `me`, the next one `other`. Clients: by the account of
 * the bound JID; accounts other than juliet and romeo take those names (the
 * target files define only those two), further connections of an account
 * are juliet2, juliet3 ….
 */
function assignNames(conns: Map<number, Conn>, warnings: string[], known: KnownComponents): void {
  const ready = [...conns.values()].filter((c) => c.readySeq !== undefined);
  const components = ready.filter((c) => c.kind === "component");
  const key = (jid: string | undefined) => (jid ?? "").toLowerCase();
  const componentNames = new Map<string, { base: string; ref: ComponentRef }>();
  for (const [ref, jid] of Object.entries(known) as [ComponentRef, string | undefined][]) {
    if (jid) componentNames.set(key(jid), { base: ref === "managing" ? "me" : ref, ref });
  }
  /** the refs a recorded component's JID takes: a component of another JID cannot be cast as one of them too */
  const present = new Set(components.flatMap((c) => componentNames.get(key(c.jid))?.ref ?? []));
  for (const [jid, entry] of [...componentNames]) if (!present.has(entry.ref)) componentNames.delete(jid);
  if (!present.has("managing")) {
    const unknown = components.filter((c) => !componentNames.has(key(c.jid)));
    const managingJid = (unknown.find((c) => c.receivedAdvertisement) ?? unknown[0])?.jid;
    if (managingJid) componentNames.set(key(managingJid), { base: "me", ref: "managing" });
  }
  const counters = new Map<string, number>();
  const next = (base: string) => {
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    return n === 1 ? base : `${base}${n}`;
  };
  for (const c of components) {
    let entry = componentNames.get(key(c.jid));
    if (!entry) {
      if ([...componentNames.values()].some((e) => e.ref === "other")) {
        warnings.push(`component ${c.jid} (connection ${c.id}) left out: a scenario has one managing and one other component${Object.keys(known).length ? " (and the target's reader and messenger)" : ""}`);
        continue;
      }
      entry = { base: "other", ref: "other" };
      componentNames.set(key(c.jid), entry);
    }
    c.name = next(entry.base);
    c.ref = entry.ref;
  }
  const accounts = new Map<string, string>();
  const free = ["juliet", "romeo"];
  for (const c of ready.filter((x) => x.kind === "client")) {
    const user = parseJid(c.jid ?? "").local ?? "";
    if (!accounts.has(user)) {
      if (free.includes(user)) {
        accounts.set(user, user);
        free.splice(free.indexOf(user), 1);
      }
    }
  }
  for (const c of ready.filter((x) => x.kind === "client")) {
    const user = parseJid(c.jid ?? "").local ?? "";
    let account = accounts.get(user);
    if (!account) {
      account = free.shift();
      if (!account) {
        warnings.push(`client ${c.jid} (connection ${c.id}) left out: target files define two accounts (juliet, romeo)`);
        continue;
      }
      accounts.set(user, account);
      warnings.push(`account '${user}' is written as ${account} (target files define the accounts juliet and romeo)`);
    }
    c.name = next(account);
    c.ref = account;
  }
}

function isSetupElement(el: Element, conn: Conn, dir: Direction): boolean {
  if (el.name === "stream:features" || el.name === "handshake") return true;
  if (SETUP_NAMESPACES.has(String(el.attrs.xmlns ?? ""))) return true;
  if (el.name === "iq" && (el.getChild("bind", NS.bind) || el.getChild("session", NS_SESSION))) return true;
  // answers to the setup IQs
  return dir === "down" && el.name === "iq" && conn.setupIds.has(String(el.attrs.id));
}

function isNestingQuery(el: Element, dir: Direction): boolean {
  if (dir !== "down" || el.name !== "iq" || el.attrs.type !== "get") return false;
  const node = el.getChild("query", NS.discoInfo)?.attrs.node;
  return typeof node === "string" && NESTING_NODE.test(node);
}

// --- ids ----------------------------------------------------------------------

/**
 * Ids: what the recorded parties sent is theirs and stays literal (replayed,
 * they are ours again). Ids the server chose are unknown on replay: an IQ
 * get/set of the server's that the connection answers becomes a capture
 * ({$fwd1} for a delegation forward, {$srv1} otherwise), used in the answer;
 * other ids of the server's are left out of the pattern.
 */
class IdPlan {
  /** conn → server id → capture name */
  private readonly captures = new Map<number, Map<string, string>>();
  private readonly sent = new Set<string>();

  constructor(conns: Map<number, Conn>, events: RecordedEvent[]) {
    let fwd = 0;
    let srv = 0;
    const asked = new Map<number, Map<string, Element>>();
    for (const e of events) {
      if (e.kind !== "stanza") continue;
      const conn = conns.get(e.conn);
      if (!conn || conn.readySeq === undefined || e.seq <= conn.readySeq) continue;
      const el = parseXml(e.xml);
      const id = el.attrs.id === undefined ? undefined : String(el.attrs.id);
      if (id === undefined) continue;
      if (e.dir === "up") {
        const question = asked.get(conn.id)?.get(id);
        if (question && el.name === "iq" && (el.attrs.type === "result" || el.attrs.type === "error")) {
          const map = setOfMap(this.captures, conn.id);
          if (!map.has(id)) map.set(id, question.getChild("delegation") ? `fwd${++fwd}` : `srv${++srv}`);
        } else if (!this.captures.get(conn.id)?.has(id)) {
          this.sent.add(id);
        }
      } else if (el.name === "iq" && (el.attrs.type === "get" || el.attrs.type === "set") && !this.sent.has(id)) {
        setOfMap(asked, conn.id).set(id, el);
      }
    }
  }

  capture(conn: number, id: string): string | undefined {
    return this.captures.get(conn)?.get(id);
  }

  isOurs(id: string): boolean {
    return this.sent.has(id);
  }
}

// --- rewriting stanzas ----------------------------------------------------------

/** JIDs and the delegation namespace as scenario variables. */
class Variables {
  /** exact value → variable */
  private readonly exact = new Map<string, string>();

  constructor(
    private readonly domain: string | undefined,
    conns: Map<number, Conn>,
  ) {
    for (const c of conns.values()) {
      if (!c.name || !c.jid) continue;
      const jid = c.jid.toLowerCase();
      if (c.kind === "client") {
        if (!this.exact.has(jid)) this.exact.set(jid, `\${${c.name}.full}`);
        const bare = jid.split("/")[0];
        if (!this.exact.has(bare)) this.exact.set(bare, `\${${c.name}.bare}`);
      } else if (!this.exact.has(jid)) {
        this.exact.set(jid, `\${${c.name}}`);
      }
    }
    if (domain) this.exact.set(domain, "${server}");
  }

  /**
   * A whole attribute value or text: a known JID becomes its variable; other JIDs of the server's domain keep
   * their local part. What stays literal is escaped (docs/scenario-format.md), so a recorded `${…}` or `{$…}`
   * is text on replay, not a variable or a capture.
   */
  value(value: string, jidAttribute: boolean): string {
    const known = this.exact.get(value.toLowerCase());
    if (known) return known;
    if (jidAttribute && this.domain && value.length <= 3071 && !/\s/.test(value)) {
      const jid = parseJid(value);
      const local = jid.local ? `${escapeLiterals(jid.local)}@` : "";
      const resource = jid.resource !== undefined ? `/${escapeLiterals(jid.resource)}` : "";
      const bare = this.exact.get(`${jid.local ? `${jid.local}@` : ""}${jid.domain}`);
      if (bare && bare.endsWith(".bare}") && resource) return `${bare}${resource}`;
      if (jid.domain === this.domain) return `${local}\${server}${resource}`;
      if (jid.domain.endsWith(`.${this.domain}`)) return `${local}${escapeLiterals(jid.domain.slice(0, -this.domain.length))}\${server}${resource}`;
    }
    return literal(value);
  }

  /** Raw (unparsed) text: known full JIDs, component JIDs and the domain, as plain text substitutions. */
  rawText(text: string): string {
    let out = text;
    for (const [value, variable] of [...this.exact.entries()].sort((a, b) => b[0].length - a[0].length)) {
      if (variable.endsWith(".bare}")) continue;
      out = out.split(value).join(variable);
    }
    return out.replace(DELEGATION_NS, "${deleg}");
  }
}

const JID_ATTRIBUTES = new Set(["to", "from", "jid", "by"]);

/**
 * Values the server makes up anew on every run, like the ids it chooses: left out of received patterns.
 * "namespace element" → attributes.
 */
const SERVER_CHOSEN: Record<string, string[]> = {
  "jabber:iq:roster query": ["ver"], // RFC 6121 §2.6 roster versioning: the server's counter
  "urn:xmpp:delay delay": ["stamp"], // XEP-0203: when the server stored it
  "urn:xmpp:sid:0 stanza-id": ["id"], // XEP-0359: the archive's id
};

function rewrite(original: Element, dir: Direction, conn: Conn, vars: Variables, ids: IdPlan): Element {
  const el = parseXml(original.toString());
  const id = el.attrs.id === undefined ? undefined : String(el.attrs.id);
  if (id !== undefined) {
    const capture = ids.capture(conn.id, id);
    if (capture) el.attrs.id = `{$${capture}}`;
    else if (dir === "down" && !ids.isOurs(id)) delete el.attrs.id;
    else el.attrs.id = escapeLiterals(id);
  }
  const walk = (node: Element) => {
    if (dir === "down") for (const name of SERVER_CHOSEN[`${node.attrs.xmlns ?? ""} ${node.name}`] ?? []) delete node.attrs[name];
    for (const [name, raw] of Object.entries(node.attrs)) {
      if (raw === undefined || raw === null) continue;
      const value = String(raw);
      if (node === el && name === "id") continue;
      if (dir === "down" && name === "xml:lang") {
        delete node.attrs[name];
        continue;
      }
      node.attrs[name] = name === "xmlns" || name.startsWith("xmlns:") ? literal(value) : vars.value(value, JID_ATTRIBUTES.has(name));
    }
    node.children = node.children.map((child) => {
      if (typeof child !== "string") {
        walk(child);
        return child;
      }
      const trimmed = child.trim();
      if (!trimmed) return child;
      const replaced = vars.value(trimmed, false);
      return replaced === trimmed ? child : child.replace(trimmed, () => replaced);
    });
  };
  walk(el);
  // A stream error's <text/> is the server's own wording (often its parser's message): not something to match.
  if (dir === "down" && el.name === "stream:error") el.children = el.children.filter((c) => typeof c === "string" || c.name !== "text");
  return el;
}

/** Literal recorded text, escaped, with the delegation namespace as `${deleg}`. */
function literal(value: string): string {
  return escapeLiterals(value).replace(DELEGATION_NS, "${deleg}");
}

// --- text helpers ---------------------------------------------------------------

function commentLines(text: string): string[] {
  return text.split("\n").map((l) => `# ${l}`.trimEnd());
}

function indentText(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function setOfMap<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}
