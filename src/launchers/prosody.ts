import fs from "node:fs";
import path from "node:path";
import type { PrivilegeGrant } from "../protocol/privilege.js";
import { NS } from "../protocol/namespaces.js";
import type { ComponentCredentials, ServerLane, ServerTarget } from "../target/types.js";
import { LauncherMissingError, type LaunchedServer, type LaunchOptions, type ServerLauncher } from "./launcher.js";
import { accountDomains, allLanes, baseTarget, DEFAULT_LANES, delegatedNamespaces, DOMAIN, HOST, logDirFor, missingPaths, packageVersion, secret, selfDelegationNamespaces } from "./common.js";
import { freePorts, PortInUseError, retryOnPortConflict, waitForListening } from "./ports.js";
import { prepareRoot } from "./roots/package-root.js";
import { ServerRun, tail } from "./run.js";
import { settleLanes } from "./wire-version.js";

const INSTALL = "apt-get install -y prosody prosody-modules";
/** A root's Prosody runs on the system's Lua 5.4 and lua5.4-* libraries, which Debian 12's prosody pulls in. */
const SYSTEM_LUA = "/usr/bin/lua5.4";
const READY_TIMEOUT_MS = 15_000;
/**
 * Delegating domains of a launched Prosody: nearly every scenario casts the managing component and
 * there is no long wait to hide the others behind, so one lane per scenario the runner runs at once.
 */
const LANES = DEFAULT_LANES;

/** One Prosody with mod_delegation: the system's Debian 12 package, or a pinned root (rootVersion). */
interface ProsodyInstall {
  prosody: string;
  prosodyctl: string;
  modDelegation: string;
  versionFile: string;
  /** Debian version of prosody-modules (the snapshot mod_delegation comes from) */
  modulesVersion(): Promise<string | undefined>;
}

const SYSTEM_INSTALL: ProsodyInstall = {
  prosody: "/usr/bin/prosody",
  prosodyctl: "/usr/bin/prosodyctl",
  modDelegation: "/usr/lib/prosody/modules/mod_delegation/mod_delegation.lua",
  versionFile: "/usr/lib/prosody/prosody.version",
  modulesVersion: () => packageVersion("prosody-modules"),
};

async function findInstall(rootVersion: string | undefined): Promise<ProsodyInstall> {
  if (rootVersion === undefined) return SYSTEM_INSTALL;
  const info = await prepareRoot("prosody", rootVersion);
  if (!info.prosody) throw new Error(`the prosody@${rootVersion} root describes no Prosody`);
  const modules = info.packages["prosody-modules"];
  return { ...info.prosody, modulesVersion: async () => modules };
}

const lua = (s: string): string => JSON.stringify(s);

function snippet(target: ServerTarget): string {
  const lanes = allLanes(target);
  const virtualHost = (lane: ServerLane): string[] => {
    const entry = (namespace: string, attributes: string[] = []) => {
      const filtering = attributes.length ? `\n\t\t\tfiltering = { ${attributes.map(lua).join("; ")} };` : "";
      return `\t\t[${lua(namespace)}] = {${filtering}\n\t\t\tjid = ${lua(lane.components.managing.jid)};\n\t\t};`;
    };
    return [
      `VirtualHost ${lua(lane.domain)}`,
      `\tdelegations = {`,
      ...delegatedNamespaces(target).map(({ namespace, attributes }) => entry(namespace, attributes)),
      `\t\t-- SRV-ADV-05: the delegation namespace itself, as a careless admin might; a conformant server neither`,
      `\t\t-- advertises nor forwards it (#rules 5). Test servers only.`,
      // mod_delegation speaks urn:xmpp:delegation:2 only, whatever the target file's version
      ...selfDelegationNamespaces(2).map((ns) => entry(ns)),
      `\t}`,
      ...privilegedEntities(target, lane),
      ``,
    ];
  };
  const components = ({ components: { managing, other } }: ServerLane): string[] => [
    `-- XEP-0114 component holding the delegations; mod_delegation must be enabled on it too, or no advertisement is sent`,
    `Component ${lua(managing.jid)}`,
    `\tcomponent_secret = ${lua(managing.secret)}`,
    `\tmodules_enabled = { ${componentModules(target)} }`,
    ...(other
      ? [``, `-- a component with no delegation`, `Component ${lua(other.jid)}`, `\tcomponent_secret = ${lua(other.secret)}`, `\tmodules_enabled = { ${componentModules(target)} }`]
      : []),
    ``,
  ];
  return [
    ...(lanes.length > 1 ? [`-- ${lanes.length} delegating domains ("lanes"), each with its own managing component, so that scenarios run side by side`] : []),
    ...lanes.flatMap(virtualHost),
    ...(target.undelegatedDomain
      ? [
          `-- SRV-FWD-11: a second hosted domain where delegation is not activated (accounts juliet and romeo here too)`,
          `VirtualHost ${lua(target.undelegatedDomain)}`,
          `\tmodules_disabled = { "delegation" }`,
          ``,
        ]
      : []),
    ...lanes.flatMap(components),
    ...rosterRefusalComponents(target),
  ].join("\n");
}

/** PRV-ROS-01: the components granted roster 'get' only and no roster permission, shared by the lanes (ServerTarget.components). */
function rosterRefusalComponents(target: ServerTarget): string[] {
  const { reader, messenger } = target.components;
  const entry = (c: ComponentCredentials, what: string) => [`-- XEP-0356 (PRV-ROS-01): a component with no delegation ${what}`, `Component ${lua(c.jid)}`, `\tcomponent_secret = ${lua(c.secret)}`, `\tmodules_enabled = { ${componentModules(target)} }`, ``];
  return [...(reader ? entry(reader, "granted roster 'get' only") : []), ...(messenger ? entry(messenger, "granted no roster permission") : [])];
}

/** mod_privilege, like mod_delegation, must be enabled on a local component too (its README). */
const componentModules = (target: ServerTarget): string => ["delegation", ...(target.privileges ? ["privilege"] : [])].map(lua).join("; ");

/** One `privileged_entities` entry (mod_privilege's README: roster, message, presence, iq = { [ns] = type }). */
function grantEntry(jid: string, grant: PrivilegeGrant): string[] {
  const fields = (["roster", "message", "presence"] as const).filter((k) => grant[k] !== undefined).map((k) => `\t\t\t${k} = ${lua(grant[k] as string)};`);
  const iq = Object.entries(grant.iq ?? {}).map(([ns, type]) => `\t\t\t\t[${lua(ns)}] = ${lua(type)};`);
  return [`\t\t[${lua(jid)}] = {`, ...fields, ...(iq.length ? [`\t\t\tiq = {`, ...iq, `\t\t\t};`] : []), `\t\t};`];
}

/**
 * XEP-0356 (mod_privilege): on every lane's VirtualHost, the lane's managing component gets the
 * `managing` grant and the (shared) other component the `other` one; a grant applies to the host's users.
 */
function privilegedEntities(target: ServerTarget, lane: ServerLane): string[] {
  const grants = target.privileges;
  if (!grants) return [];
  const other = lane.components.other ?? target.components.other;
  const { reader, messenger } = target.components;
  return [
    `\t-- XEP-0356: the managing component is the privileged entity too (a PEP service). The privilege namespace`,
    `\t-- itself (PRV-ADV-07) and the other component's presence "roster" without roster read (PRV-ADV-05) are`,
    `\t-- there for the server to refuse, as a careless admin might write them. Test servers only.`,
    `\tprivileged_entities = {`,
    ...grantEntry(lane.components.managing.jid, grants.managing),
    ...(other && grants.other ? grantEntry(other.jid, grants.other) : []),
    // PRV-ROS-01: roster 'get' only (its set refused), and roster "none" (its get and set refused), messages for the advertisement
    ...(reader && grants.reader ? grantEntry(reader.jid, grants.reader) : []),
    ...(messenger && grants.messenger ? grantEntry(messenger.jid, grants.messenger) : []),
    `\t}`,
  ];
}

interface Ports {
  c2s: number;
  s2s: number;
  component: number;
  http: number;
}

/** The whole loopback configuration of one Prosody (also written by `xep0355 snippet prosody --full`). */
export function config(target: ServerTarget, dir: string, ports: Ports, logFile: string, clientModules = false, logLevel: "debug" | "info" = "debug"): string {
  return `-- generated by xep0355-conformance (src/launchers/prosody.ts), loopback only
local base = ${lua(dir)}

-- mod_posix refuses uid 0 without it, and then stays half-alive with its ports open
run_as_root = true

data_path = base .. "/data"
pidfile   = base .. "/prosody.pid"
log = {
	{ levels = { min = ${lua(logLevel)} }, to = "file", filename = ${lua(logFile)} };
	{ levels = { min = "info" },  to = "console" };
}

interfaces       = { ${lua(HOST)} }
local_interfaces = { ${lua(HOST)} }
c2s_ports        = { ${ports.c2s} }
s2s_ports        = { ${ports.s2s} }
component_ports  = { ${ports.component} }
http_ports       = { ${ports.http} }
https_ports      = { }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }

-- no TLS on loopback: plaintext SASL PLAIN
c2s_require_encryption = false
s2s_require_encryption = false
s2s_secure_auth        = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
certificates = base .. "/certs"

modules_enabled = {
	"roster"; "saslauth"; "disco"; "pep"; "mam"; "ping"; "version";
	"delegation";${target.privileges ? `\n\t-- XEP-0356 (target.privileges)\n\t"privilege";` : ""}${clientModules ? `\n\t-- for real clients (LaunchOptions.clientModules)\n\t"carbons"; "smacks";` : ""}
}

${snippet(target)}`;
}

/** The target a launched Prosody is tested as, fresh secrets each time (also `xep0355 snippet prosody --full`). */
/** `privileges` (LaunchOptions.privileges): false leaves mod_privilege out, and XEP-0356 undeclared; Prosody's default loads it. */
export function prosodyTarget(ports: { c2s: number; component: number }, lanes = 1, privileges = true): ServerTarget {
  const target = baseTarget("Prosody", ports, {
    version: 2,
    delegations: {
      // Prosody's own mod_pep implements pubsub too
      plain: { namespace: "http://jabber.org/protocol/pubsub" },
      filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] },
    },
    features: { filtering: true, bareDisco: true, remainingDiscoInfo: true, remainingDiscoItems: true, clientMode: false },
    // Loopback: answers take milliseconds. mod_delegation (0.12 and 13) arms no timer on a pending
    // forward: an error to its sender (SRV-UNA-02) can only be the server's reaction to the managing
    // entity's disconnection, which takes milliseconds too. Twice the step timeout of silence is the evidence.
    timeouts: { step: 1500, quiet: 400, connect: 5000, giveUp: 3000 },
  }, lanes);
  if (!privileges) return target;
  // XEP-0356 (PRV-ROS-01): two more components, shared by the lanes like `other`
  const components = { ...target.components, reader: { jid: `reader.${DOMAIN}`, secret: secret() }, messenger: { jid: `messenger.${DOMAIN}`, secret: secret() } };
  return { ...target, components, privileges: structuredClone(PROSODY_PRIVILEGES) };
}

/**
 * XEP-0356 grants of a launched Prosody (mod_privilege, prosody-modules; it speaks urn:xmpp:privilege:2
 * only, IQ permission included): the reference grants of the PRV-* scenarios (docs/scenario-format.md).
 * mod_privilege has no `push` option (its README: "roster pushes are not yet sent"), so none is written.
 */
const PROSODY_PRIVILEGES: NonNullable<ServerTarget["privileges"]> = {
  managing: {
    roster: "both",
    message: "outgoing",
    presence: "roster",
    iq: { [NS.pubsub]: "both", [NS.version]: "get", [NS.ping]: "none", [NS.privilege]: "both" },
  },
  other: { roster: "set", presence: "roster" },
  // PRV-ROS-01: mod_privilege turns roster "none" into no roster <perm/>; the message permission makes it advertise something
  reader: { roster: "get" },
  messenger: { roster: "none", message: "outgoing" },
};

/**
 * Prosody's internal storage (mod_storage_internal, util.datamanager): one Lua file per account,
 * DATA/<host>/accounts/<user>.dat, every non-alphanumeric character of a name written %xx. What
 * `prosodyctl register` writes (0.12; 13 adds creation times), without a Lua process per account:
 * a launch registers juliet and romeo on every lane's domain.
 */
async function writeAccounts(dataDir: string, target: ServerTarget): Promise<void> {
  const encode = (name: string) => name.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  await Promise.all(
    accountDomains(target).map(async (domain) => {
      const dir = path.join(dataDir, encode(domain), "accounts");
      await fs.promises.mkdir(dir, { recursive: true });
      for (const { username, password } of [target.accounts.juliet, target.accounts.romeo]) {
        await fs.promises.writeFile(path.join(dir, `${encode(username)}.dat`), `return {\n\t["password"] = ${lua(password)};\n};\n`, { mode: 0o600 });
      }
    }),
  );
}

async function software(install: ProsodyInstall): Promise<string> {
  const core = fs.existsSync(install.versionFile) ? fs.readFileSync(install.versionFile, "utf8").trim() : await packageVersion("prosody");
  const modules = await install.modulesVersion();
  const hg = modules?.match(/hg(\d+\.[0-9a-f]+)/)?.[1];
  return `Prosody ${core ?? "?"} + mod_delegation${hg ? ` (prosody-modules hg${hg})` : ""}`;
}

function absentPaths(options: LaunchOptions): string[] {
  // a root not prepared yet is not missing: launch() prepares it
  return missingPaths(options.rootVersion === undefined ? [SYSTEM_INSTALL.prosody, SYSTEM_INSTALL.prosodyctl, SYSTEM_INSTALL.modDelegation] : [SYSTEM_LUA]);
}

function missing(options: LaunchOptions = {}): string | undefined {
  const absent = absentPaths(options);
  return absent.length ? new LauncherMissingError("Prosody with mod_delegation", INSTALL, absent).message : undefined;
}

async function launch(options: LaunchOptions = {}): Promise<LaunchedServer> {
  const absent = absentPaths(options);
  if (absent.length) throw new LauncherMissingError("Prosody with mod_delegation", INSTALL, absent);
  const install = await findInstall(options.rootVersion);
  const started = Date.now();
  const launched = await retryOnPortConflict(() => launchOnce(install, options));
  // every lane's managing component connects once, as the first lane's does to read the revision
  const protocolDetection = await settleLanes(launched.target).catch(async (err: unknown) => {
    await launched.stop();
    throw err;
  });
  return { ...launched, protocolDetection, startupMs: Date.now() - started };
}

async function launchOnce(install: ProsodyInstall, options: LaunchOptions): Promise<Omit<LaunchedServer, "protocolDetection">> {
  const started = Date.now();
  const server = await ServerRun.create("xep0355-prosody-");
  try {
    const [c2s, s2s, component, http] = await freePorts(4);
    const ports: Ports = { c2s, s2s, component, http };
    const target = prosodyTarget(ports, options.lanes ?? LANES, options.privileges ?? true);
    const logs = await logDirFor(server.dir, options.logDir);
    const cfg = path.join(server.dir, "prosody.cfg.lua");
    await fs.promises.mkdir(path.join(server.dir, "certs"));
    // every stanza at debug level only when the logs are kept: otherwise it is CPU for a file deleted at stop()
    await fs.promises.writeFile(cfg, config(target, server.dir, ports, path.join(logs, "prosody.log"), options.clientModules, options.logDir ? "debug" : "info"));
    // SRV-FWD-11: the same accounts, with the same passwords, on every lane's domain and the undelegated one
    const [name] = await Promise.all([software(install), writeAccounts(path.join(server.dir, "data"), target)]);
    const consoleLog = path.join(logs, "prosody.console.log");
    const pid = server.spawn(install.prosody, ["--config", cfg, "-F"], process.env, consoleLog);
    await waitForListening(pid, HOST, [ports.c2s, ports.component], READY_TIMEOUT_MS, () => {
      if (server.exitStatus !== undefined) throw new Error(`prosody exited (${server.exitStatus}) during start-up:\n${tail(consoleLog)}`);
      // Prosody keeps running without the port; another program took it after freePorts() released it
      const taken = tail(consoleLog, 50).match(/Failed to open server port (\d+)/);
      if (taken) throw new PortInUseError(`port ${taken[1]} taken by another program`);
    });
    return { target, software: name, startupMs: Date.now() - started, stop: () => server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export const prosody: ServerLauncher = { name: "prosody", launch, missing, snippet };
