import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NS } from "../protocol/namespaces.js";
import { privilegeNamespace, type PrivilegeGrant } from "../protocol/privilege.js";
import type { ComponentCredentials, ServerTarget } from "../target/types.js";
import { LauncherMissingError, type LaunchedServer, type LaunchOptions, type ServerLauncher } from "./launcher.js";
import { accountDomains, allComponents, allLanes, baseTarget, delegatedNamespaces, DOMAIN, HOST, logDirFor, missingPaths, secret, selfDelegationNamespaces } from "./common.js";
import { freePorts, PortInUseError, retryOnPortConflict, waitForListening } from "./ports.js";
import { prepareRoot } from "./roots/package-root.js";
import { ServerRun, tail } from "./run.js";
import { primeLanes, settleLanes, settleWireVersion } from "./wire-version.js";

const ERL = "/usr/bin/erl";
const INSTALL = "apt-get install -y ejabberd";
const SYSTEM_APP = "ejabberd OTP application (/usr/lib/<triplet>/ejabberd-*/ebin/mod_delegation.beam)";
const READY_TIMEOUT_MS = 30_000;
/**
 * Delegating hosts of a launched ejabberd. Its run lasts as long as SRV-UNA-02's wait for its 32 s IQ
 * timeout; a few lanes run every other scenario meanwhile, and each host costs start-up time.
 */
const LANES = 4;
/**
 * The server's own PubSub service, one per host (ps.capulet.test, ps.undelegated.capulet.test); the
 * default name (pubsub.@HOST@) would clash with the managing component.
 */
const PUBSUB_SERVICE = "ps.@HOST@";

const y = (s: string): string => JSON.stringify(s);

/** One ejabberd: the system's Debian 12 package, or a pinned root (rootVersion), both run on the system's Erlang/OTP. */
interface EjabberdInstall {
  /** ERL_LIBS for the VM: where the ejabberd application (and, for a root, its newer erlang-p1-* libraries) live */
  erlLibs: string;
  /** vsn of ejabberd.app, e.g. "23.01" or "24.12-3~bpo12+1" */
  version: string;
}

/** The Debian package puts the OTP application in /usr/lib/<triplet>/ejabberd-<version>/. */
export function findSystemInstall(): EjabberdInstall | undefined {
  for (const triplet of fs.existsSync("/usr/lib") ? fs.readdirSync("/usr/lib") : []) {
    const libs = path.join("/usr/lib", triplet);
    if (!triplet.includes("-linux-")) continue;
    for (const entry of fs.readdirSync(libs)) {
      const app = path.join(libs, entry, "ebin", "ejabberd.app");
      if (!entry.startsWith("ejabberd-") || !fs.existsSync(app)) continue;
      const vsn = fs.readFileSync(app, "utf8").match(/\{vsn,\s*"([^"]+)"\}/)?.[1];
      if (vsn && fs.existsSync(path.join(libs, entry, "ebin", "mod_delegation.beam"))) return { erlLibs: libs, version: vsn };
    }
  }
  return undefined;
}

async function findInstall(rootVersion: string | undefined): Promise<EjabberdInstall | undefined> {
  if (rootVersion === undefined) return findSystemInstall();
  const info = await prepareRoot("ejabberd", rootVersion);
  if (!info.ejabberd) throw new Error(`the ejabberd@${rootVersion} root describes no ejabberd`);
  // only the root's directories: with the system's ejabberd 23.01 on ERL_LIBS too, which one loads is a matter of order
  return { erlLibs: info.ejabberd.erlLibs, version: info.ejabberd.appVersion };
}

/**
 * The revision a release is documented to speak, used to configure it (SRV-ADV-05's namespace); the run
 * uses what the server then advertises on the wire (settleWireVersion). 23.01 and 24.12 speak
 * XEP-0355 0.4.1 (urn:xmpp:delegation:1); a later release is configured for both until seen.
 */
function protocolVersion(version: string): 1 | "auto" {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return major < 24 || (major === 24 && minor <= 12) ? 1 : "auto";
}

/**
 * XEP-0356 revision of mod_privilege: 24.10 brought 0.4.1 (urn:xmpp:privilege:2, the `iq` option:
 * "improved in 24.10", its -protocol attribute); 23.01 speaks urn:xmpp:privilege:1 (roster, message,
 * presence). Only configures the server; the run follows the advertisement seen on the wire.
 */
export function privilegeRevision(version: string): 1 | 2 {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return major > 24 || (major === 24 && minor >= 10) ? 2 : 1;
}

/**
 * 24.10+'s mod_privilege drops every non-error IQ any component sends unwrapped to a bare JID
 * (`component_send_packet`, a hook of the whole VM, not of a host: "IQ not forwarded: Component tried
 * to send not wrapped IQ stanza."), the answers to mod_delegation's disco#info queries and to delegated
 * IQs included: with it loaded, no delegation is ever advertised (docs/versions.md).
 */
export function privilegeBreaksDelegation(version: string): boolean {
  return privilegeRevision(version) === 2;
}

/**
 * Whether a launch loads mod_privilege (and the target declares XEP-0356): as asked (LaunchOptions.privileges,
 * from `run --spec`), else where it leaves XEP-0355 alone (23.01), not where it breaks delegation (24.12:
 * its XEP-0355 verdicts would be mod_privilege's).
 */
export function loadsPrivilege(version: string, asked?: boolean): boolean {
  return asked ?? !privilegeBreaksDelegation(version);
}

/**
 * What mod_privilege grants (ServerTarget.privileges, written into the configuration by
 * privilegeModule, so the two cannot drift): the reference grants of the prv-* scenarios
 * (docs/scenario-format.md). Each lane's managing component is also the privileged entity: roster
 * both, message outgoing, presence roster, and from 24.10 on IQ namespaces (PubSub both, version get,
 * ping listed with no type allowed, and the privilege namespace itself as a careless admin might:
 * PRV-ADV-07). The shared other component: roster set, and presence roster, which needs roster read
 * access (PRV-ADV-05). ejabberd has no option for roster pushes: `push` stays unset (the spec's default).
 */
export function ejabberdPrivileges(revision: 1 | 2): { managing: PrivilegeGrant; other: PrivilegeGrant; reader: PrivilegeGrant; messenger: PrivilegeGrant } {
  const iq = { [NS.pubsub]: "both", [NS.version]: "get", [NS.ping]: "none", [privilegeNamespace(2)]: "both" } as const;
  return {
    managing: { roster: "both", message: "outgoing", presence: "roster", ...(revision === 2 ? { iq } : {}) },
    other: { roster: "set", presence: "roster" },
    // PRV-ROS-01: roster get only; and no roster permission (mod_privilege's roster option has no 'none':
    // the component is just not listed), with messages so that it is advertised something
    reader: { roster: "get" },
    messenger: { message: "outgoing" },
  };
}

/** The components of one host with their grants: its lane's managing component, and the shared other, reader and messenger ones. */
function privilegedComponents(target: ServerTarget, lane: number): { jid: string; grant: PrivilegeGrant }[] {
  const { managing, other } = allLanes(target)[lane].components;
  const shared = other ?? target.components.other;
  const { reader, messenger } = target.components;
  return [
    ...(target.privileges ? [{ jid: managing.jid, grant: target.privileges.managing }] : []),
    ...(target.privileges?.other && shared ? [{ jid: shared.jid, grant: target.privileges.other }] : []),
    ...(target.privileges?.reader && reader ? [{ jid: reader.jid, grant: target.privileges.reader }] : []),
    ...(target.privileges?.messenger && messenger ? [{ jid: messenger.jid, grant: target.privileges.messenger }] : []),
  ];
}

/** Every component the configuration lets in: each lane's, and PRV-ROS-01's reader and messenger (target-wide). */
function listenedComponents(target: ServerTarget): ComponentCredentials[] {
  return [...allComponents(target), ...[target.components.reader, target.components.messenger].filter((c) => c !== undefined)];
}

/**
 * mod_privilege grants by access rule: for every option value (roster both, iq NS get, …) one ACL
 * listing the components granted it and one access rule allowing that ACL, named after the lane and
 * the grant (`privilege_2_roster_both`; IQ namespaces by position: `privilege_2_iq1_both`). Returns the
 * acl/access_rules entries and the module's options.
 */
function privilegeModule(target: ServerTarget, lane: number): { acl: string[]; access: string[]; module: string[] } {
  const components = privilegedComponents(target, lane);
  if (!components.length) return { acl: [], access: [], module: [] };
  const acl: string[] = [];
  const access: string[] = [];
  /** a new access rule allowing exactly `jids` */
  const rule = (label: string, jids: string[]): string => {
    const name = `privilege_${lane + 1}_${label}`;
    acl.push(`  ${name}:`, `    server: [${jids.map(y).join(", ")}]`);
    access.push(`  ${name}:`, `    allow: ${name}`);
    return name;
  };
  const granted = (pick: (g: PrivilegeGrant) => string | undefined, value: string): string[] =>
    components.filter((c) => pick(c.grant) === value).map((c) => c.jid);
  /** one option: its values, each with the rule of the components granted it (values nobody has are left out) */
  const option = (name: string, label: string, values: string[], pick: (g: PrivilegeGrant) => string | undefined): string[] => {
    const lines = values.flatMap((v) => (granted(pick, v).length ? [`    ${v}: ${rule(`${label}_${v}`, granted(pick, v))}`] : []));
    return lines.length ? [`  ${name}:`, ...lines] : [];
  };
  const namespaces = [...new Set(components.flatMap((c) => Object.keys(c.grant.iq ?? {})))];
  const module = [
    `mod_privilege:`,
    ...option("roster", "roster", ["both", "get", "set"], (g) => g.roster),
    ...option("message", "message", ["outgoing"], (g) => g.message),
    ...option("presence", "presence", ["managed_entity", "roster"], (g) => g.presence),
    // 24.10+: namespace → {both|get|set: rule}; a namespace nobody may send is still listed (type none)
    ...(namespaces.length
      ? [`  iq:`, ...namespaces.flatMap((ns, k) => {
          const types = option(ns, `iq${k + 1}`, ["both", "get", "set"], (g) => g.iq?.[ns]).slice(1).map((l) => `  ${l}`);
          return types.length ? [`    ${y(ns)}:`, ...types] : [`    ${y(ns)}: {}`];
        })]
      : []),
  ];
  return { acl, access, module };
}

// One ejabberd_service listener per component: a connection authenticated on a
// listener is routed every host of that listener, so a shared listener would let
// the "other" component receive the managing one's traffic.
function serviceListener(target: ServerTarget, indent: string): string[] {
  return listenedComponents(target)
    .flatMap((c) => [
      `-`,
      `  port: ${c.port ?? target.componentPort}`,
      `  ip: ${y(target.host)}`,
      `  module: ejabberd_service`,
      `  hosts:`,
      `    ${y(c.jid)}:`,
      `      password: ${y(c.secret)}`,
    ])
    .map((l) => indent + l);
}

/** The access rule of lane i's managing component: mod_delegation on a host offers its namespaces to the components it allows. */
const accessName = (i: number): string => (i === 0 ? "delegation_access" : `delegation_access_${i + 1}`);
const aclName = (i: number): string => (i === 0 ? "delegation_component" : `delegation_component_${i + 1}`);

/** The ACLs and access rules of mod_delegation (per lane) and of mod_privilege (per lane and grant). */
function delegationAcl(target: ServerTarget): { acl: string[]; access: string[] } {
  const lanes = allLanes(target);
  const privilege = lanes.map((_, i) => privilegeModule(target, i));
  return {
    acl: [...lanes.flatMap((lane, i) => [`  ${aclName(i)}:`, `    server: ${y(lane.components.managing.jid)}`]), ...privilege.flatMap((p) => p.acl)],
    access: [...lanes.flatMap((_, i) => [`  ${accessName(i)}:`, `    allow: ${aclName(i)}`]), ...privilege.flatMap((p) => p.access)],
  };
}

/** mod_delegation's options for a host whose managing component the rule `access` allows, indented for a `modules:` section at `indent`. */
function delegationModule(target: ServerTarget, access: string, indent: string): string[] {
  return [
    `mod_delegation:`,
    `  namespaces:`,
    ...delegatedNamespaces(target).flatMap(({ namespace, attributes }) => [
      `    ${y(namespace)}:`,
      // SRV-ADV-03, SRV-FLT-01/02: 23.01 parses `filtering` ("Currently not used", says its mod_doc): the
      // suite observes what it does with it instead of declaring filtering not supported
      ...(attributes.length ? [`      filtering: [${attributes.map(y).join(", ")}]`] : []),
      `      access: ${access}`,
    ]),
    `    # SRV-ADV-05: the delegation namespace itself, as a careless admin might; a conformant server`,
    `    # neither advertises nor forwards it (#rules 5). Test servers only.`,
    ...selfDelegationNamespaces(target.version).flatMap((namespace) => [`    ${y(namespace)}:`, `      access: ${access}`]),
  ].map((l) => indent + l);
}

/**
 * mod_delegation is loaded on the delegating hosts only (one per lane), so the undelegated host of
 * SRV-FWD-11 has no delegation at all. append_host_config adds to the global modules; host_config
 * would replace them.
 */
function hostConfig(target: ServerTarget): string[] {
  return [
    `append_host_config:`,
    ...allLanes(target).flatMap((lane, i) => [
      `  ${y(lane.domain)}:`,
      `    modules:`,
      ...delegationModule(target, accessName(i), "      "),
      ...privilegeModule(target, i).module.map((l) => `      ${l}`),
    ]),
  ];
}

/** Every hosted domain: each lane's, then the undelegated one. */
function hosts(target: ServerTarget): string[] {
  return accountDomains(target).map((h) => `  - ${y(h)}`);
}

function snippet(target: ServerTarget): string {
  const { acl, access } = delegationAcl(target);
  return [
    ...(target.lanes?.length ? [`# ${target.lanes.length + 1} delegating hosts ("lanes"), each with its own managing component, so that scenarios run side by side`] : []),
    ...(target.undelegatedDomain ? [`# SRV-FWD-11: a second hosted domain, without mod_delegation (accounts juliet and romeo there too)`] : []),
    ...(target.undelegatedDomain || target.lanes?.length ? [`hosts:`, ...hosts(target), ``] : []),
    `listen:`,
    ...serviceListener(target, "  "),
    ``,
    `acl:`,
    ...acl,
    ``,
    `access_rules:`,
    ...access,
    ``,
    ...hostConfig(target),
    ``,
  ].join("\n");
}

/** The whole loopback configuration of one ejabberd (also written by `xep0355 snippet ejabberd --full`). */
export function config(target: ServerTarget, httpPort: number, logLevel: "debug" | "info" = "debug"): string {
  const { acl, access } = delegationAcl(target);
  return `# generated by xep0355-conformance (src/launchers/ejabberd.ts), loopback only
hosts:
${hosts(target).join("\n")}

loglevel: ${logLevel}
log_rotate_count: 0

auth_method: internal
auth_password_format: plain
s2s_access: none
acme:
  auto: false

listen:
  -
    port: ${target.c2sPort}
    ip: ${y(target.host)}
    module: ejabberd_c2s
    # the default backlog is 5: the lanes' users log in all at once, and a dropped SYN costs a 1 s retransmission
    backlog: 128
    starttls: false
    starttls_required: false
    max_stanza_size: 262144
    access: c2s
${serviceListener(target, "  ").join("\n")}
  -
    port: ${httpPort}
    ip: ${y(target.host)}
    module: ejabberd_http
    backlog: 128
    request_handlers:
      /api: mod_http_api

acl:
  local:
    user_regexp: ""
${acl.join("\n")}

access_rules:
  local:
    allow: local
  c2s:
    allow: all
${access.join("\n")}

api_permissions:
  "loopback http api":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.1/8
    what:
      - status
      - register

${target.privileges ? "# mod_privilege (XEP-0356) is loaded per delegating host, below, with mod_delegation." : "# No mod_privilege: 24.10+'s drops every non-error IQ a component sends unwrapped, its disco#info\n# answers to the nesting queries included, so delegation never activates (docs/versions.md)."}
modules:
  mod_disco: {}
  mod_roster: {}
  mod_caps: {}
  mod_mam: {}
  mod_ping: {}
  mod_version: {}
  mod_pubsub:
    hosts: [${y(PUBSUB_SERVICE)}]
    plugins: [flat, pep]

${hostConfig(target).join("\n")}
`;
}

/** What the VM writes into the run's folder once ejabberd has started and the accounts exist (readyEval). */
const READY_FILE = "ready";
/** The accounts readyEval registers, as Erlang terms (passwords included: inside the run's private folder). */
const ACCOUNTS_FILE = "accounts.eterm";

/**
 * Erlang evaluated right after `-s ejabberd` (init runs -s and -eval in the order given): ejabberd:start/0
 * returns once the application has started, its listeners then accepting, so the accounts are registered
 * in the VM itself, with no HTTP status polling nor HTTP registrations. The outcome (each account's, or why
 * ejabberd is not running) is written to READY_FILE, renamed into place so that it is never read half-written.
 */
function readyEval(dir: string): string {
  const accounts = y(path.join(dir, ACCOUNTS_FILE));
  const ready = y(path.join(dir, READY_FILE));
  return [
    `R = try {ok, As} = file:consult(${accounts}), [{U, H, ejabberd_auth:try_register(U, H, P)} || {U, H, P} <- As]`,
    `catch C:E -> {not_started, C, E} end,`,
    `ok = file:write_file(${ready} ++ ".tmp", io_lib:format("~p.~n", [R])),`,
    `ok = file:rename(${ready} ++ ".tmp", ${ready}).`,
  ].join(" ");
}

/** ACCOUNTS_FILE: juliet and romeo on every domain where they exist (SRV-FWD-11: the same passwords everywhere). */
function accountTerms(target: ServerTarget): string {
  const bin = (s: string): string => `<<${y(s)}>>`;
  const { juliet, romeo } = target.accounts;
  return accountDomains(target)
    .flatMap((host) => [juliet, romeo].map((a) => `{${bin(a.username)}, ${bin(host)}, ${bin(a.password)}}.\n`))
    .join("");
}

/**
 * Resolves once READY_FILE is in `dir` and says every account was registered; rejects when the VM wrote
 * otherwise, exited, or `check` throws (polled meanwhile, as waitForListening does), or after timeoutMs.
 */
async function waitForReady(dir: string, accounts: number, timeoutMs: number, check: () => void): Promise<void> {
  const file = path.join(dir, READY_FILE);
  const deadline = Date.now() + timeoutMs;
  const watcher = fs.watch(dir);
  const written = new Promise<void>((resolve) => watcher.on("change", (_event, name) => String(name) === READY_FILE && resolve()));
  watcher.on("error", () => undefined);
  try {
    while (!fs.existsSync(file)) {
      check();
      if (Date.now() > deadline) throw new Error(`ejabberd not started after ${timeoutMs} ms`);
      await Promise.race([written, new Promise((r) => setTimeout(r, 50))]);
    }
  } finally {
    watcher.close();
  }
  const outcome = await fs.promises.readFile(file, "utf8");
  if ((outcome.match(/,\s*ok\s*\}/g) ?? []).length !== accounts) throw new Error(`ejabberd did not register the accounts: ${outcome.trim().slice(0, 500)}`);
}

/**
 * ejabberd's language translation cache (translate.erl: built from its .msg files at every start, dumped
 * as translations.cache into the Mnesia directory, read back when newer than those files), kept between
 * runs: each run's spool is new, and building it is a tenth of a second of ejabberd's start-up. Named by
 * the install and the .msg files' times, so another ejabberd never gets it; undefined without .msg files.
 */
function translationCache(install: EjabberdInstall): string | undefined {
  const msgs = install.erlLibs
    .split(":")
    .flatMap((lib) => (fs.existsSync(lib) ? fs.readdirSync(lib).filter((e) => e.startsWith("ejabberd-")).map((e) => path.join(lib, e, "priv", "msgs")) : []))
    .find((dir) => fs.existsSync(dir));
  if (!msgs) return undefined;
  const times = [msgs, ...fs.readdirSync(msgs).map((f) => path.join(msgs, f))].map((f) => `${f}@${fs.statSync(f).mtimeMs}`);
  const key = createHash("sha256").update([install.erlLibs, install.version, ...times].join("\n")).digest("hex").slice(0, 20);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "xep0355", "ejabberd", `translations-${key}.cache`);
}

/** Puts the kept translation cache into a new spool (a copy: newer than the .msg files, so ejabberd reads it). */
function seedTranslations(cache: string | undefined, spool: string): void {
  if (!cache || !fs.existsSync(cache)) return;
  try {
    fs.copyFileSync(cache, path.join(spool, "translations.cache"));
  } catch {
    // ejabberd builds it itself
  }
}

/** Keeps the translation cache a started ejabberd dumped into its spool, for the next runs (once). */
function keepTranslations(cache: string | undefined, spool: string): void {
  const built = path.join(spool, "translations.cache");
  if (!cache || fs.existsSync(cache) || !fs.existsSync(built)) return;
  try {
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    const partial = `${cache}.${process.pid}.tmp`;
    fs.copyFileSync(built, partial);
    fs.renameSync(partial, cache);
  } catch {
    // a cache that cannot be written only costs the next start-up its build
  }
}

/** The target a launched ejabberd is tested as, fresh secrets each time (also `xep0355 snippet ejabberd --full`). */
export function ejabberdTarget(
  version: string,
  ports: {
    c2s: number;
    component: number;
    otherComponent: number;
    /** one per further lane, its managing component's */
    laneComponents?: number[];
    /** XEP-0356 (PRV-ROS-01): the reader's and the messenger's listeners; without them (or without mod_privilege), no such components */
    readerComponent?: number;
    messengerComponent?: number;
  },
  /** LaunchOptions.privileges: load mod_privilege (true), not (false), or as the version goes (loadsPrivilege). */
  privileges?: boolean,
): ServerTarget {
  const target = baseTarget("ejabberd", ports, {
    version: protocolVersion(version),
    delegations: {
      plain: { namespace: "http://jabber.org/protocol/pubsub" },
      // SRV-ADV-03, SRV-FLT-01/02: configured and declared, so the rows are observed, not not-supported
      filtered: { namespace: "urn:xmpp:mam:2", attributes: ["node"] },
    },
    features: { filtering: true, bareDisco: true, remainingDiscoInfo: false, remainingDiscoItems: false, clientMode: false },
    // Loopback: answers take milliseconds. giveUp: ejabberd_iq's own timeout on the IQ it forwarded (32 s,
    // not configurable) ends in an error to the sender (SRV-UNA-02), plus twice the step timeout for it to arrive.
    timeouts: { step: 1500, quiet: 400, connect: 5000, giveUp: 32_000 + 3000 },
  }, 1 + (ports.laneComponents?.length ?? 0));
  if (loadsPrivilege(version, privileges)) target.privileges = ejabberdPrivileges(privilegeRevision(version));
  if (target.components.other) target.components.other.port = ports.otherComponent;
  // PRV-ROS-01: one listener each, like every component (serviceListener)
  if (target.privileges && ports.readerComponent !== undefined) target.components.reader = { jid: `reader.${DOMAIN}`, secret: secret(), port: ports.readerComponent };
  if (target.privileges && ports.messengerComponent !== undefined) target.components.messenger = { jid: `messenger.${DOMAIN}`, secret: secret(), port: ports.messengerComponent };
  if (!target.components.reader) delete target.privileges?.reader;
  if (!target.components.messenger) delete target.privileges?.messenger;
  (target.lanes ?? []).forEach((lane, i) => (lane.components.managing.port = ports.laneComponents?.[i]));
  return target;
}

/** The command line of one ejabberd VM in the foreground (ERL_LIBS, EJABBERD_CONFIG_PATH and EJABBERD_LOG_PATH set). */
export function erlArgs(node: string, cookie: string, distPort: number, spool: string, ...then: string[]): string[] {
  return [
    "-sname", node,
    "-setcookie", cookie,
    // a fixed distribution port and no epmd: nothing outlives the VM
    "-erl_epmd_port", String(distPort),
    "-start_epmd", "false",
    "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
    "-mnesia", "dir", JSON.stringify(spool),
    "-s", "ejabberd",
    // what runs once ejabberd has started (readyEval)
    ...then,
    "-noshell", "-noinput",
  ];
}

function missing(options: LaunchOptions = {}): string | undefined {
  // a root not prepared yet is not missing: launch() prepares it; it runs on the system's Erlang
  const absent = [...missingPaths([ERL]), ...(options.rootVersion === undefined && !findSystemInstall() ? [SYSTEM_APP] : [])];
  return absent.length ? new LauncherMissingError("ejabberd", INSTALL, absent).message : undefined;
}

async function launch(options: LaunchOptions = {}): Promise<LaunchedServer> {
  if (missingPaths([ERL]).length) throw new LauncherMissingError("ejabberd", INSTALL, [ERL]);
  const install = await findInstall(options.rootVersion);
  if (!install) throw new LauncherMissingError("ejabberd", INSTALL, [SYSTEM_APP]);
  const started = Date.now();
  const { ready, ...launched } = await retryOnPortConflict(() => launchOnce(install, options));
  // Every lane's managing component connects once, as the first lane's does to read the revision, while
  // the accounts are registered: its ports are bound, and ejabberd accepts the connections once started.
  const [protocolDetection] = await Promise.all([settle(launched.target, install.version), ready]).catch(async (err: unknown) => {
    await launched.stop();
    throw err;
  });
  return { ...launched, protocolDetection, startupMs: Date.now() - started };
}

/**
 * settleLanes, except where mod_privilege is loaded and breaks delegation (privilegeBreaksDelegation):
 * no lane is advertised anything, so there is no lane revision to compare; the run shows what it does.
 */
async function settle(target: ServerTarget, version: string): Promise<string> {
  if (!privilegeBreaksDelegation(version)) return settleLanes(target);
  if (!target.privileges) {
    const detection = await settleLanes(target);
    return `${detection}; mod_privilege not loaded: with it, ejabberd ${version.replace(/-[^-]+$/, "")} drops the components' unwrapped IQs, delegation's included (--spec 0356 or all loads it)`;
  }
  const [detection] = await Promise.all([settleWireVersion(target), primeLanes(target)]);
  return `${detection}; mod_privilege loaded (--spec selects XEP-0356): ejabberd ${version.replace(/-[^-]+$/, "")} then drops the components' unwrapped IQs, delegation's included`;
}

/**
 * Starts one VM and returns once it has bound every port (a port taken meanwhile by another program is
 * a PortInUseError, for retryOnPortConflict), with `ready`: settles once ejabberd has started and the
 * accounts exist.
 */
async function launchOnce(install: EjabberdInstall, options: LaunchOptions): Promise<Omit<LaunchedServer, "protocolDetection"> & { ready: Promise<void> }> {
  const started = Date.now();
  const server = await ServerRun.create("xep0355-ejabberd-");
  // its graceful shutdown takes about 1 s; only worth it when its logs are kept
  server.graceful = options.logDir !== undefined;
  try {
    const lanes = options.lanes ?? LANES;
    const [c2s, component, otherComponent, http, dist, readerComponent, messengerComponent, ...laneComponents] = await freePorts(7 + (lanes - 1));
    const target = ejabberdTarget(install.version, { c2s, component, otherComponent, laneComponents, readerComponent, messengerComponent }, options.privileges);
    const logs = await logDirFor(server.dir, options.logDir);
    const cfg = path.join(server.dir, "ejabberd.yml");
    // every stanza at debug level only when the logs are kept: otherwise it is CPU for a file deleted at stop()
    await fs.promises.writeFile(cfg, config(target, http, options.logDir ? "debug" : "info"));
    const spool = path.join(server.dir, "spool");
    await fs.promises.mkdir(spool);
    const translations = translationCache(install);
    seedTranslations(translations, spool);
    await fs.promises.writeFile(path.join(server.dir, ACCOUNTS_FILE), accountTerms(target), { mode: 0o600 });
    const node = `xep0355_${randomBytes(4).toString("hex")}@localhost`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ERL_LIBS: install.erlLibs,
      EJABBERD_CONFIG_PATH: cfg,
      // ejabberd writes error.log and crash.log next to this file
      EJABBERD_LOG_PATH: path.join(logs, "ejabberd.log"),
      ERL_CRASH_DUMP_BYTES: "0",
      // keeps .erlang.cookie and the shell history out of the real home
      HOME: server.dir,
    };
    const args = erlArgs(node, randomBytes(16).toString("hex"), dist, spool, "-eval", readyEval(server.dir));
    const consoleLog = path.join(logs, "ejabberd.console.log");
    const pid = server.spawn(ERL, args, env, consoleLog);
    const check = () => {
      const log = server.exitStatus !== undefined || Date.now() - started > 1000 ? tail(consoleLog, 200) : "";
      const taken = log.split("\n").find((l) => /eaddrinuse|address already in use/i.test(l));
      if (taken) throw new PortInUseError(`a port was taken by another program: ${taken.trim().slice(0, 300)}`);
      if (server.exitStatus !== undefined) throw new Error(`ejabberd exited (${server.exitStatus}) during start-up:\n${tail(consoleLog)}`);
    };
    // bound, not yet accepting: ejabberd opens its listeners first and accepts once it has started
    await waitForListening(pid, HOST, [c2s, ...listenedComponents(target).map((c) => c.port ?? component), http], READY_TIMEOUT_MS, check);
    // SRV-FWD-11: the same accounts, with the same passwords, on every lane's domain and the undelegated one
    const ready = waitForReady(server.dir, 2 * accountDomains(target).length, READY_TIMEOUT_MS, check).then(() => keepTranslations(translations, spool));
    ready.catch(() => undefined); // awaited by launch(), with the lanes' settling
    // "23.01", "24.12-3~bpo12+1": the Debian revision is not the release
    const software = `ejabberd ${install.version.replace(/-[^-]+$/, "")}`;
    return { target, software, startupMs: Date.now() - started, stop: () => server.stop(), ready };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export const ejabberd: ServerLauncher = { name: "ejabberd", launch, missing, snippet };
