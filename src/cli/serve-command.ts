import { chmod, readFile, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { parseCommandArgs } from "./args.js";
import { SERVER_FAULTS, isServerFault, startMockServer, type MockServerOptions } from "../../mocks/server/index.js";
import { COMPONENT_FAULTS, isComponentFault, startMockComponent, type MockComponentOptions } from "../../mocks/component/index.js";
import { launchers, type LaunchedServer } from "../launchers/index.js";
import { launchLabel, prepareLaunch, resolveLaunch, systemVersionMismatch } from "../launchers/versions.js";
import { loadTargetFile } from "../target/load.js";
import type { PrivilegeGrant } from "../protocol/privilege.js";
import type { ServerTarget } from "../target/types.js";
import { EXIT, TargetUnreachableError, UsageError } from "./errors.js";

export const SERVE_HELP = `xep0355 serve — run one server or managing entity and keep it running (Ctrl-C stops it)

Usage:
  xep0355 serve prosody|ejabberd[@VERSION] [--out FILE] [--log-dir DIR]
  xep0355 serve mock-server [--c2s-port N] [--component-port N] [--fault ID]... [--config FILE]
  xep0355 serve mock-component (--target SERVER.json [--port N] | --config FILE) [--fault ID]...

  prosody, ejabberd  a real server on loopback, started like 'run --launch' does (no TLS, plaintext auth,
                     accounts juliet and romeo, the managing component pubsub.capulet.test with its
                     delegations, other.capulet.test, and with mod_privilege (XEP-0356) its grants and
                     PRV-ROS-01's reader and messenger components; Prosody also loads carbons and stream
                     management for real clients).
                     Prints its ports, accounts, components and grants, never a password or secret: those go to
                     the target file (--out, default ./NAME.json), which works with run, record, replay.
  mock-server        the embedded reference delegating server; prints its components (XEP-0356's reader and
                     messenger included) and their grants, not their secrets (mocks/server/options.ts)
  mock-component     the embedded reference managing entity, connecting to a server's component port:
                     --target a server target file (its component port, managing JID and secret; --port N
                     to connect elsewhere, e.g. to 'xep0355 record'), or --config FILE with
                     {"host","port","jid","secret","serverDomain","version"} (docs/mock-component.md)

Options:
  --out FILE          prosody/ejabberd: where to write the target file (default: ./prosody.json, ./ejabberd.json)
  --log-dir DIR       prosody/ejabberd: keep the server's own logs there
  --c2s-port N        mock-server: client port (default: 5222)
  --component-port N  mock-server: XEP-0114 component port (default: 5347)
  --port N            mock-component with --target: the component port to connect to instead of the target's
  --version 1|2       mocks: protocol version (default: 2; mock-component with --target: the target's)
  --fault ID          mocks: switch on a fault (repeatable), e.g. SRV-REP-05 or ME-REP-02; see 'xep0355 list --requirements'
  --config FILE       mock-server: JSON overrides of its options (domain, accounts, components, delegations, ...);
                      mock-component: its options
  -h, --help

Stops on Ctrl-C (a real server is stopped and its temporary files removed, the target file too).
`;

export async function serveCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs("serve", args, {
        "c2s-port": { type: "string" },
        "component-port": { type: "string" },
        port: { type: "string" },
        target: { type: "string" },
        out: { type: "string" },
        "log-dir": { type: "string" },
        version: { type: "string" },
        fault: { type: "string", multiple: true },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
      });
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.compliant;
  }
  const what = positionals[0] ?? "";
  if (positionals.length > 1) throw new UsageError(`serve: one thing to serve, not '${positionals.join(" ")}' (see xep0355 serve --help)`);
  if (what === "mock-component") return serveMockComponent(values, values.fault ?? []);
  if (/^(prosody|ejabberd)(@|$)/.test(what)) return serveRealServer(what, values.out, values["log-dir"]);
  if (what !== "mock-server") {
    throw new UsageError(`serve: expected prosody, ejabberd, mock-server or mock-component, got '${what}' (see xep0355 serve --help)`);
  }
  const faults = (values.fault ?? []).flatMap((f) => f.split(","));
  for (const fault of faults) if (!isServerFault(fault)) throw new UsageError(`--fault: unknown fault '${fault}'`);
  const overrides: Partial<MockServerOptions> = values.config ? await readConfig<Partial<MockServerOptions>>(values.config) : {};
  const server = await startMockServer({
    ...overrides,
    c2sPort: port(values["c2s-port"], overrides.c2sPort ?? 5222),
    componentPort: port(values["component-port"], overrides.componentPort ?? 5347),
    version: values.version === "1" ? 1 : 2,
    faults: faults.filter(isServerFault),
  });
  const o = server.options;
  process.stdout.write(
    [
      `mock delegating server for ${o.domain} (urn:xmpp:delegation:${o.version})`,
      `  c2s:        ${o.host}:${server.c2sPort}  accounts: ${Object.keys(o.accounts).join(", ")} (passwords: see --config or docs/mock-server.md)`,
      `  components: ${o.host}:${server.componentPort}  ${Object.keys(o.components).join(", ")} (secrets not printed)`,
      `  delegations: ${Object.entries(o.delegations)
        .map(([ns, d]) => `${ns} → ${d.jid}${d.attributes ? ` [${d.attributes.join(",")}]` : ""}${ns in server.delegation.effectiveDelegations() ? "" : " (refused: #rules 5)"}`)
        .join("; ")}`,
      ...(Object.keys(o.privileges).length ? [`  privileges: ${grantsText(Object.entries(o.privileges))} (XEP-0356)`] : []),
      `  faults: ${faults.length ? faults.map((f) => `${f} (${SERVER_FAULTS[f as keyof typeof SERVER_FAULTS]})`).join("; ") : "none"}`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return EXIT.compliant;
}

/**
 * The mock managing entity, connecting to a server's component port as a
 * XEP-0114 component. Its JID and secret come from --target or --config (never printed).
 */
async function serveMockComponent(values: { config?: string; target?: string; port?: string; version?: string }, faultArgs: string[]): Promise<number> {
  const { config, version } = values;
  if (config && values.target) throw new UsageError("serve mock-component: give --target or --config, not both");
  if (!config && !values.target) {
    throw new UsageError("serve mock-component needs --target SERVER.json, or --config FILE with host, port, jid, secret, serverDomain (docs/mock-component.md)");
  }
  const options = values.target ? await fromTarget(values.target) : await readConfig<Partial<MockComponentOptions>>(config!);
  if (values.port !== undefined) options.port = port(values.port, 0);
  for (const key of ["host", "port", "jid", "secret", "serverDomain"] as const) {
    if (options[key] === undefined) throw new UsageError(`--config ${config}: field '${key}' is missing`);
  }
  const faults = faultArgs.flatMap((f) => f.split(","));
  for (const fault of faults) if (!isComponentFault(fault)) throw new UsageError(`--fault: unknown fault '${fault}'`);
  const component = await startMockComponent({
    ...(options as MockComponentOptions),
    version: version === "1" ? 1 : (options.version ?? 2),
    faults: faults.filter(isComponentFault),
    log: (line) => process.stdout.write(`  ${line}\n`),
  }).catch((err: unknown) => {
    const why = err instanceof Error ? err.message : String(err);
    const hint = /conflict/.test(why) ? ` (another ${options.jid} is connected to that server)` : "";
    throw new TargetUnreachableError(`serve mock-component: could not connect to ${options.host}:${options.port} as ${options.jid}: ${why}${hint}`);
  });
  process.stdout.write(
    `mock managing entity ${options.jid} connected to ${options.host}:${options.port} (server ${options.serverDomain}); faults: ${
      faults.length ? faults.map((f) => `${f} (${COMPONENT_FAULTS[f as keyof typeof COMPONENT_FAULTS]})`).join("; ") : "none"
    }\nCtrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await component.stop();
  return EXIT.compliant;
}

/** The managing component of a server target file, as the mock component's options. */
async function fromTarget(file: string): Promise<Partial<MockComponentOptions>> {
  const target = await loadTargetFile(file);
  if (target.role !== "server") throw new UsageError(`--target ${file} describes a component; the mock component connects to a server`);
  const { jid, secret } = target.components.managing;
  return { host: target.host, port: target.componentPort, jid, secret, serverDomain: target.domain, ...(target.version === "auto" ? {} : { version: target.version }) };
}

/**
 * `serve prosody|ejabberd[@VERSION]`: a real server from the suite's launchers (src/launchers), kept
 * running for `record` and by-hand sessions. The console gets what a client needs but the passwords
 * and secrets, which only go to the target file (mode 600), removed again when the server stops.
 */
async function serveRealServer(text: string, out: string | undefined, logDir: string | undefined): Promise<number> {
  const wanted = resolveLaunch(text);
  if (wanted.role !== "server") throw new UsageError(`serve: ${text} is not a server`);
  const mismatch = await systemVersionMismatch(wanted);
  if (mismatch) throw new UsageError(mismatch.replace("--launch", "serve"));
  const file = out ?? `${wanted.name}.json`;
  await refuseToOverwrite(file);
  const launcher = launchers[wanted.name as "prosody" | "ejabberd"];
  const missing = launcher.missing({ rootVersion: wanted.source === "root" ? wanted.version : undefined });
  if (missing) throw new UsageError(`serve ${text}: ${missing}`);
  await prepareLaunch(wanted);
  const server = await launcher.launch({
    rootVersion: wanted.source === "root" ? wanted.version : undefined,
    lanes: 1,
    logDir,
    clientModules: true,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await rm(file, { force: true });
  };
  try {
    await writeFile(file, JSON.stringify(server.target, null, 2) + "\n", { mode: 0o600 });
    await chmod(file, 0o600);
    process.stdout.write(describeServer(server, launchLabel(wanted), file, logDir));
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    process.stdout.write(`stopping ${server.software}…\n`);
  } finally {
    await stop();
  }
  process.stdout.write(`stopped; removed ${file}\n`);
  return EXIT.compliant;
}

/** A target file is fine to replace (a former serve's); anything else at that path is the user's. */
async function refuseToOverwrite(file: string): Promise<void> {
  const exists = await stat(file).then(() => true, () => false);
  if (!exists) return;
  let previous: Partial<ServerTarget> | undefined;
  try {
    previous = JSON.parse(await readFile(file, "utf8")) as Partial<ServerTarget>;
  } catch {
    previous = undefined;
  }
  if (previous?.role === "server" && previous.host === "127.0.0.1" && (previous.name === "Prosody" || previous.name === "ejabberd")) return;
  throw new UsageError(`serve: ${file} exists and is not a target file an earlier 'xep0355 serve' wrote; give another --out FILE`);
}

/** What each component of a target is there for, in the line `serve` prints. */
const ROLES = { managing: "managing entity", other: "no delegation", reader: "PRV-ROS-01: roster 'get' only", messenger: "PRV-ROS-01: no roster permission" } as const;

function describeServer(server: LaunchedServer, label: string, file: string, logDir: string | undefined): string {
  const t = server.target;
  const accounts = Object.values(t.accounts).map((a) => `${a.username}@${t.domain}`);
  const keys = (["managing", "other", "reader", "messenger"] as const).filter((key) => t.components[key] !== undefined);
  // ejabberd: one listener per component, so some have a port of their own
  const components = keys.map((key) => {
    const c = t.components[key]!;
    return `${c.jid} (${ROLES[key]}${c.port !== undefined && c.port !== t.componentPort ? `, port ${c.port}` : ""})`;
  });
  const managing = t.components.managing.jid;
  const delegated = [t.delegations.plain, t.delegations.filtered].filter((d) => d !== undefined);
  const privileges = t.privileges;
  const granted = privileges ? keys.flatMap((key) => (privileges[key] ? [[t.components[key]!.jid, privileges[key]!] as const] : [])) : [];
  return [
    `${server.software} (${label}) on ${t.host}, domain ${t.domain}; ${server.protocolDetection}`,
    `  c2s:         ${t.host}:${t.c2sPort}  (no TLS, SASL PLAIN allowed: loopback only)  accounts: ${accounts.join(", ")}`,
    `  components:  ${t.host}:${t.componentPort}  (XEP-0114)  ${components.join(", ")}`,
    `  delegations: ${delegated.map((d) => `${d.namespace}${d.attributes?.length ? ` (filtering: ${d.attributes.join(", ")})` : ""}`).join("; ")} → ${managing}`,
    ...(granted.length ? [`  privileges:  ${grantsText(granted)} (XEP-0356)`] : []),
    `  target file: ${file}  (passwords and secrets are there, not printed)`,
    ...(logDir ? [`  server logs: ${logDir}`] : []),
    `Record a session through it:   ${self()} record --target ${file} --c2s-listen 15222 --component-listen 15347 --once --out session.scenario`,
    `and a managing entity for it:  ${self()} serve mock-component --target ${file} --port 15347`,
    `then point your clients at 127.0.0.1:15222 (docs/reproduce.md: "A real client against a real server").`,
    "Ctrl-C to stop.",
    "",
  ].join("\n");
}

/** `pubsub.capulet.test: roster both, message outgoing, iq jabber:iq:version get; reader.capulet.test: roster get` */
function grantsText(grants: (readonly [string, PrivilegeGrant])[]): string {
  const one = (g: PrivilegeGrant) => {
    const parts = (["roster", "message", "presence"] as const).filter((k) => g[k] !== undefined).map((k) => `${k} ${g[k]}`);
    if (g.push !== undefined) parts.push(`push ${g.push}`);
    for (const [ns, type] of Object.entries(g.iq ?? {})) parts.push(`iq ${ns} ${type}`);
    return parts.join(", ") || "nothing";
  };
  return grants.map(([jid, g]) => `${jid}: ${one(g)}`).join("; ");
}

/** How this command was started, for lines to copy: ./bin/xep0355 from a clone, else xep0355 (installed). */
function self(): string {
  const script = process.argv[1];
  if (!script) return "xep0355";
  const rel = relative(process.cwd(), script);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) && !rel.includes("node_modules") ? `./${rel}` : "xep0355";
}

async function readConfig<T = Partial<MockServerOptions>>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (err) {
    throw new UsageError(`--config ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function port(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`port must be 0-65535, not '${text}'`);
  return n;
}
