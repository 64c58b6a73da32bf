import { writeFile } from "node:fs/promises";
import { parseCommandArgs } from "./args.js";
import { RecordingProxy, type ProxyRoute } from "../record/proxy.js";
import type { RecordedConnection, RecordedEvent } from "../record/recording.js";
import { writeScript, type KnownComponents } from "../record/script-writer.js";
import { loadTargetFile } from "../target/load.js";
import type { ComponentCredentials } from "../target/types.js";
import { EXIT, UsageError } from "./errors.js";

export const RECORD_HELP = `xep0355 record — record a live session through a transparent proxy, as a scenario script

Usage:
  xep0355 record --target SERVER.json [--c2s-listen [HOST:]PORT] [--component-listen [HOST:]PORT] [--out FILE]
  xep0355 record --listen PORT --upstream HOST:PORT [--listen PORT2 --upstream HOST2:PORT2 ...] [--out FILE]

Put the proxy in front of a server's component port AND its c2s port (--target does both, from a
server target file such as the one 'xep0355 serve prosody' writes, and proxies each component port
of its own too, on a free port: ejabberd has one listener per component), point the managing
component and the clients at the proxy, and use them as usual. A recording of the c2s port alone has no
managing entity: its script tests no delegation. Bytes pass through unchanged; both XML streams
are parsed on the side. On Ctrl-C (or, with --once, when the clients are done) the
session is written as a server-role scenario: one actor per connection (with --target, components
by the target's JIDs: 'me', 'other', and XEP-0356's 'reader' and 'messenger'; else the component
that gets the delegation advertisement is 'me', a second one 'other'; clients by account: juliet, romeo),
one step per stanza in time order. Stream setup, SASL and the handshake are not written
(credentials never are): replayed, 'X connects' logs in with the target file's credentials.

Options:
  --target FILE          proxy the c2s and the component port(s) of the server this target file describes
  --c2s-listen [HOST:]PORT, --component-listen [HOST:]PORT
                         where the proxy listens for them with --target (default: free ports, printed);
                         --component-listen is the managing component's port, a component's own port
                         gets a free one on the same host (printed)
  --listen [HOST:]PORT   where the proxy listens (repeatable; default host 127.0.0.1)
  --upstream HOST:PORT   where the n-th --listen forwards to (repeatable, one per --listen)
  --out FILE             write the script there (default: stdout)
  --json FILE            also write the recording itself (events, credentials removed) as JSON
  --once                 stop when the clients are done: every client connection has closed and none
                         opened for 1 s (a component still connected is cut, not waited for)
  --id ID                scenario id (default: recorded-<date>-<time>)
  --title TEXT           scenario title
  --quiet                no live log of the stanzas on stderr
  -h, --help

Record without TLS (a loopback server configured without STARTTLS): encrypted streams cannot be read.
Then: xep0355 replay FILE --target other-server.json, xep0355 minimize FILE ... (docs/reproduce.md).
`;

export async function recordCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args);
  if (values.help) {
    process.stdout.write(RECORD_HELP);
    return EXIT.compliant;
  }
  const { routes, components } = await routesFrom(values);

  const log = values.quiet ? undefined : new LiveLog();
  const proxy = new RecordingProxy({ routes, onEvent: log ? (e, c) => log.event(e, c) : undefined });
  try {
    await proxy.start();
  } catch (err) {
    throw new UsageError(`record: cannot listen: ${err instanceof Error ? err.message : String(err)}`);
  }
  const addresses = proxy.addresses;
  addresses.forEach((a, i) =>
    process.stderr.write(`proxying ${a.host}:${a.port} → ${routes[i].upstreamHost}:${routes[i].upstreamPort}${routes[i].label ? ` (${routes[i].label}: point ${routes[i].who} here)` : ""}\n`),
  );
  if (routes.length === 1) {
    process.stderr.write(
      "note: one port proxied. If it is the server's c2s port, the script will have no managing entity and test no delegation:\n" +
        "      proxy its component port too (a second --listen PORT --upstream HOST:COMPONENT_PORT, or --target SERVER.json for both)\n",
    );
  }
  process.stderr.write(values.once ? "recording; stops when the clients are done (or on Ctrl-C)\n" : "recording; Ctrl-C to stop and write the script\n");

  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(EXIT.interrupted);
    stopping = true;
    // at once: the same Ctrl-C may reach a component or client started from this terminal, whose goodbye is not the session's
    proxy.freeze();
    stop();
  };
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (values.once) void untilQuiet(proxy, stopped).then(() => stop());
  try {
    await stopped;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  stopping = true;
  await proxy.stop();

  const provenance = routes.map((r, i) => `${addresses[i].host}:${addresses[i].port} → ${r.upstreamHost}:${r.upstreamPort}`).join(", ");
  const script = writeScript(proxy.recording, {
    id: values.id?.trim().replace(/\s+/g, "-"),
    title: values.title?.replace(/\s+/g, " ").trim(),
    scrub: (t) => proxy.secrets.scrub(t),
    provenance,
    components,
  });
  if (values.json) await writeFile(values.json, proxy.secrets.scrub(JSON.stringify(proxy.recording, null, 1)) + "\n");
  if (values.out) await writeFile(values.out, script.text);
  else process.stdout.write(script.text);
  for (const w of script.warnings) process.stderr.write(`warning: ${w}\n`);
  const cast = Object.entries(script.actors).map(([name, what]) => `${name} = ${what}`);
  process.stderr.write(
    `${proxy.recording.connections.length} connection(s), ${script.steps} step(s)${cast.length ? `; ${cast.join("; ")}` : ""}${values.out ? `; written to ${values.out}` : ""}\n`,
  );
  if (script.steps === 0) {
    process.stderr.write("xep0355: nothing to replay was recorded (no client or component session was set up through the proxy)\n");
    return EXIT.notCompliant;
  }
  return EXIT.compliant;
}

/**
 * --once: the clients are done (every client connection has closed; components still connected are not
 * waited for) and none connected within a second (a session's clients often log in one after the other).
 */
async function untilQuiet(proxy: RecordingProxy, stopped: Promise<void>): Promise<void> {
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    await Promise.race([proxy.whenClientsDone(), stopped]);
    if (done) return;
    const seen = proxy.recording.connections.length;
    await new Promise((r) => setTimeout(r, ONCE_GRACE_MS));
    if (proxy.recording.connections.length === seen) {
      proxy.freeze();
      return;
    }
  }
}

const ONCE_GRACE_MS = 1000;

/** A one-line-per-stanza log on stderr, with connections named as soon as they are known. */
class LiveLog {
  private readonly labels = new Map<number, string>();

  event(e: RecordedEvent, c: RecordedConnection): void {
    const label = () => this.labels.get(c.id) ?? `#${c.id}`;
    let line: string | undefined;
    switch (e.kind) {
      case "stream-start":
        if (e.dir === "up" && !this.labels.has(c.id)) {
          const kind = e.attrs.xmlns === "jabber:component:accept" ? "component" : e.attrs.xmlns === "jabber:client" ? "c2s" : "stream";
          this.labels.set(c.id, `#${c.id} ${kind}${kind === "component" ? ` ${e.attrs.to ?? ""}` : ""}`);
          line = `stream opened (${c.listen} → ${c.upstream})`;
        }
        break;
      case "stanza": {
        const jid = e.dir === "down" ? /<jid>([^<]+)<\/jid>/.exec(e.xml)?.[1] : undefined;
        if (jid && e.xml.includes("xmpp-bind")) this.labels.set(c.id, `#${c.id} ${jid}`);
        line = `${e.dir === "up" ? "→" : "←"} ${e.xml}`;
        break;
      }
      case "malformed":
        line = `${e.dir === "up" ? "→" : "←"} NOT WELL-FORMED (${e.error}), passed on: ${e.text}`;
        break;
      case "stray-text":
        line = `${e.dir === "up" ? "→" : "←"} text between stanzas, passed on: ${e.text}`;
        break;
      case "tls":
        line = "STARTTLS: the rest is encrypted, not recorded";
        break;
      case "closed":
        line = `closed (by the ${e.by}${e.reason ? `: ${e.reason}` : ""})`;
        break;
      default:
        break;
    }
    if (line === undefined) return;
    const text = `+${(e.t / 1000).toFixed(3)}s ${label()}: ${line.replace(/\s+/g, " ")}`;
    process.stderr.write(`${text.length > 200 ? `${text.slice(0, 199)}…` : text}\n`);
  }
}

/** A route of --target, with what the user points at it. */
type Route = ProxyRoute & { label?: string; who?: string };

/**
 * --target: the c2s port, the managing component's port and, where a component listens on a port of its own
 * (ejabberd: one listener per component), that port too, on a free one. The components' JIDs name them in
 * the script (ScriptOptions.components).
 */
async function routesFrom(values: ReturnType<typeof parseOptions>["values"]): Promise<{ routes: Route[]; components?: KnownComponents }> {
  const listens = values.listen ?? [];
  const upstreams = values.upstream ?? [];
  if (values.target) {
    if (listens.length || upstreams.length) throw new UsageError("record: give --target or --listen/--upstream, not both");
    const target = await loadTargetFile(values.target);
    if (target.role !== "server") throw new UsageError(`record --target ${values.target}: describes a component; record sits in front of a server`);
    const c2s = hostPort(values["c2s-listen"] ?? "0", "--c2s-listen", "127.0.0.1");
    const component = hostPort(values["component-listen"] ?? "0", "--component-listen", "127.0.0.1");
    const portOf = (c: ComponentCredentials) => c.port ?? target.componentPort;
    const managingPort = portOf(target.components.managing);
    const own = new Map<number, string[]>();
    for (const key of FURTHER_COMPONENTS) {
      const c = target.components[key];
      if (c && portOf(c) !== managingPort) own.set(portOf(c), [...(own.get(portOf(c)) ?? []), c.jid]);
    }
    const components: KnownComponents = { managing: target.components.managing.jid };
    for (const key of FURTHER_COMPONENTS) if (target.components[key]) components[key] = target.components[key]!.jid;
    const routes: Route[] = [
      { listenHost: c2s.host, listenPort: c2s.port, upstreamHost: target.host, upstreamPort: target.c2sPort, label: "c2s", who: "your clients" },
      { listenHost: component.host, listenPort: component.port, upstreamHost: target.host, upstreamPort: managingPort, label: "component", who: "your managing component" },
      ...[...own].map(([port, jids]) => ({ listenHost: component.host, listenPort: 0, upstreamHost: target.host, upstreamPort: port, label: `component${jids.length > 1 ? "s" : ""} ${jids.join(", ")}`, who: jids.length > 1 ? "them" : "it" })),
    ];
    return { routes, components };
  }
  if (values["c2s-listen"] || values["component-listen"]) throw new UsageError("record: --c2s-listen and --component-listen go with --target");
  if (listens.length === 0) throw new UsageError("record: give --target SERVER.json, or --listen PORT --upstream HOST:PORT (see xep0355 record --help)");
  if (listens.length !== upstreams.length) {
    throw new UsageError(`record: ${listens.length} --listen but ${upstreams.length} --upstream; give one --upstream per --listen, in the same order`);
  }
  const routes = listens.map((listen, i) => {
    const l = hostPort(listen, "--listen", "127.0.0.1");
    const u = hostPort(upstreams[i], "--upstream");
    return { listenHost: l.host, listenPort: l.port, upstreamHost: u.host, upstreamPort: u.port };
  });
  return { routes };
}

/** The target's components besides the managing one: they may listen on ports of their own. */
const FURTHER_COMPONENTS = ["other", "reader", "messenger"] as const;

function hostPort(text: string, option: string, defaultHost?: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? (defaultHost ? /^()()(\d+)$/.exec(text) : null);
  if (!m) throw new UsageError(`${option} ${text}: expected ${defaultHost ? "[HOST:]PORT" : "HOST:PORT"}`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port > 65535 || (port === 0 && option === "--upstream")) throw new UsageError(`${option} ${text}: bad port`);
  return { host: m[1] || m[2] || defaultHost!, port };
}

function parseOptions(args: string[]) {
  return parseCommandArgs("record", args, {
        target: { type: "string" },
        "c2s-listen": { type: "string" },
        "component-listen": { type: "string" },
        listen: { type: "string", multiple: true },
        upstream: { type: "string", multiple: true },
        out: { type: "string" },
        json: { type: "string" },
        once: { type: "boolean" },
        id: { type: "string" },
        title: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      });
}
