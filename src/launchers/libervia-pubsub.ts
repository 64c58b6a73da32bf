import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NS } from "../protocol/namespaces.js";
import type { ComponentTarget } from "../target/types.js";
import type { ComponentLauncher, ComponentLaunchOptions, LaunchedComponent } from "./component-launcher.js";
import { packageVersion } from "./common.js";
import { LauncherMissingError } from "./launcher.js";
import { freePorts } from "./ports.js";
import { descendantsOf } from "./procs.js";
import { chrootCommand, prepareRoot, type RootInfo } from "./roots/package-root.js";

/**
 * libervia-pubsub (Debian package, Twisted + Wokkel) as a XEP-0355 managing
 * entity under test, with a private PostgreSQL cluster on loopback.
 * Recipe: /work/shared/targets/libervia-pubsub/README.md. A newer version (rootVersion, e.g. 0.5.0, only
 * in trixie) runs the same way inside its trixie chroot (src/launchers/roots/), against the same
 * PostgreSQL of the system.
 *
 * Footprint: one temp dir (config, logs, the cluster), the postmaster and its
 * backends, twistd3. All of it is registered with a safety net from the first
 * moment: 'exit', SIGINT/SIGTERM/SIGHUP (when no one else handles them) and a
 * watchdog shell for a SIGKILLed parent stop the processes and delete the dir.
 */

const TWISTD = "/usr/bin/twistd3";
const LIBERVIA_DIR = "/usr/share/libervia";
const PLUGIN = `${LIBERVIA_DIR}/twisted/plugins/pubsub.py`;
const SCHEMA = `${LIBERVIA_DIR}/sat_pubsub/db/pubsub.sql`;
const PG_ROOT = "/usr/lib/postgresql";
const INSTALL = "apt-get install -y libervia-pubsub postgresql";
/** a newer version brings its own libervia-pubsub (the chroot) but uses the system's PostgreSQL */
const INSTALL_FOR_ROOT = "apt-get install -y postgresql mmdebstrap apt-utils";
const UNSHARE = "/usr/bin/unshare";
const HOST = "127.0.0.1";
const DOMAIN = "capulet.test";
const DB_NAME = "pubsub";
/** A copy of DB_NAME as the schema left it, which nothing connects to: further instances' databases are made from it. */
const DB_TEMPLATE = "pubsub_template";
const DB_USER = "postgres";
const KILL_AFTER_MS = 5000;

// ---------------------------------------------------------------- binaries

interface PgBinaries {
  initdb: string;
  postgres: string;
  psql: string;
}

/** The newest /usr/lib/postgresql/<major>/bin with initdb, postgres and psql. */
function findPostgres(): PgBinaries | undefined {
  let majors: string[] = [];
  try {
    majors = fs.readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  for (const major of majors) {
    const bin = path.join(PG_ROOT, major, "bin");
    const found = { initdb: path.join(bin, "initdb"), postgres: path.join(bin, "postgres"), psql: path.join(bin, "psql") };
    if (Object.values(found).every((p) => fs.existsSync(p))) return found;
  }
  return undefined;
}

/** PostgreSQL refuses to run as root: as root, its tools run as `postgres` (uid, gid); otherwise as ourselves. */
function postgresIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const line of fs.readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === "postgres") return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

interface Installed {
  pg: PgBinaries;
  identity: { uid: number; gid: number } | undefined;
}

/** The system's PostgreSQL (always), and the system's libervia-pubsub unless a root provides it. */
function checkInstalled(options: ComponentLaunchOptions): Installed {
  const missing = (options.rootVersion === undefined ? [TWISTD, PLUGIN, SCHEMA] : [UNSHARE]).filter((p) => !fs.existsSync(p));
  const pg = findPostgres();
  if (!pg) missing.push(`${PG_ROOT}/<version>/bin/{initdb,postgres,psql}`);
  const identity = postgresIdentity();
  if (process.getuid?.() === 0 && !identity) missing.push("the 'postgres' user");
  if (options.rootVersion !== undefined && process.getuid?.() !== 0) missing.push("root (the chroot of a newer version needs it)");
  if (missing.length || !pg) throw new LauncherMissingError("libervia-pubsub with PostgreSQL", options.rootVersion === undefined ? INSTALL : INSTALL_FOR_ROOT, missing);
  return { pg, identity };
}

/** How twistd3 is started: the system's, or the one inside a root's chroot; and where the schema is. */
interface Twistd {
  spawnArgs(args: string[], cwd: string, env: Record<string, string>): { command: string; args: string[]; env: NodeJS.ProcessEnv };
  schema: string;
  software: string;
}

async function findTwistd(options: ComponentLaunchOptions): Promise<Twistd> {
  if (options.rootVersion === undefined) {
    const version = await packageVersion("libervia-pubsub");
    return {
      // /usr/bin/twistd3, never a python3 found first on PATH
      spawnArgs: (args, _cwd, env) => ({ command: TWISTD, args, env: cleanEnv(env) }),
      schema: SCHEMA,
      software: `libervia-pubsub ${version ?? "?"}`,
    };
  }
  const info: RootInfo = await prepareRoot("libervia-pubsub", options.rootVersion);
  const libervia = info.libervia;
  if (!libervia) throw new Error(`the libervia-pubsub@${options.rootVersion} root describes no libervia-pubsub`);
  return {
    // the run dir (runBase()) is bound at the same path inside: /dev/shm comes with /dev, the temp dir explicitly
    spawnArgs: (args, cwd, env) => ({ ...chrootCommand(info, libervia.twistd, args, { cwd, env }), env: cleanEnv({}) }),
    schema: libervia.schema,
    software: `libervia-pubsub ${info.packages["libervia-pubsub"] ?? options.rootVersion}`,
  };
}

// ---------------------------------------------------------------- processes

/** The environment without anything that would override our settings (PG* variables, LIBERVIA_PUBSUB_* options). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^PG[A-Z]+$/.test(k) && !k.startsWith("LIBERVIA_PUBSUB_")) env[k] = v;
  return { ...env, ...extra };
}

function runAs(identity: { uid: number; gid: number } | undefined, command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: cleanEnv({ LC_ALL: "C.UTF-8" }), timeout: 60_000, ...(identity ?? {}) }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(command)} ${args.join(" ")}: ${err.message.split("\n")[0]}\n${stdout}${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function tail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}


// ---------------------------------------------------------------- safety net

/** What must not outlive this Node process. */
interface Footprint {
  dir: string;
  pgData: string;
  /** the postmaster, our child, leader of its own group (its backends each lead their own: setsid) */
  postmasterPid?: number;
  /** each instance's twistd3, leader of its own process group */
  twistdPids: Set<number>;
  watchdogPid?: number;
}

const footprints = new Set<Footprint>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The postmaster's pid if it runs: ours, else the first line of postmaster.pid. */
function postmasterPid(f: Footprint): number | undefined {
  if (alive(f.postmasterPid)) return f.postmasterPid;
  try {
    const pid = Number(fs.readFileSync(path.join(f.pgData, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}


/** Last resort: SIGKILL the postmaster, its group and every descendant. */
function killPostgres(pm: number): void {
  const backends = descendantsOf(pm).map((p) => p.pid);
  signal(-pm, "SIGKILL");
  signal(pm, "SIGKILL");
  for (const b of backends) signal(b, "SIGKILL");
}

/**
 * Synchronous (runs from 'exit' and signal handlers): SIGKILL twistd's group,
 * immediate PostgreSQL shutdown (SIGQUIT: the postmaster stops its backends and
 * removes its shared memory; SIGKILL after 3 s), then the watchdog and the dir.
 */
function cleanUpSync(f: Footprint): void {
  for (const pid of f.twistdPids) signal(-pid, "SIGKILL");
  const pm = postmasterPid(f);
  if (pm) {
    signal(pm, "SIGQUIT");
    for (let i = 0; i < 150 && alive(pm); i++) sleepSync(20);
    if (alive(pm)) killPostgres(pm);
  }
  if (f.watchdogPid) signal(-f.watchdogPid, "SIGKILL");
  fs.rmSync(f.dir, { recursive: true, force: true });
}

function cleanAll(): void {
  for (const f of footprints) {
    try {
      cleanUpSync(f);
    } catch {
      // keep going: the others still need it
    }
  }
  footprints.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // A host that handles the signal (the CLI: finish the running scenarios, write reports) stops us itself
  // through the driver; 'exit' stays the backstop. Listeners that only clean up and remove themselves
  // (other launchers' safety nets) don't count: look again once they have all run.
  if (process.listenerCount(sig) > 1) {
    setImmediate(() => {
      if (process.listenerCount(sig) === 1 && footprints.size) die(sig);
    });
    return;
  }
  die(sig);
}

function die(sig: NodeJS.Signals): void {
  cleanAll();
  uninstall();
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  process.on("exit", cleanAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off("exit", cleanAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

function register(f: Footprint): void {
  if (footprints.size === 0) install();
  footprints.add(f);
}

function unregister(f: Footprint): void {
  if (!footprints.delete(f)) return;
  if (footprints.size === 0) uninstall();
}

/**
 * Covers what 'exit' handlers cannot: this process being SIGKILLed. Polls it once a
 * second; then kills each twistd's group (pid in DIR/twistd.pgid, DIR/i<n>/twistd.pgid), shuts
 * PostgreSQL down (SIGQUIT, SIGKILL after 3 s) and deletes the dir.
 */
function startWatchdog(f: Footprint): number | undefined {
  const script = [
    'while kill -0 "$0" 2>/dev/null; do sleep 1; done',
    // dash's kill takes no "--"; "-PGID" after the signal is a process group
    'for f in "$1"/twistd.pgid "$1"/i*/twistd.pgid; do [ -f "$f" ] && kill -9 "-$(cat "$f")" 2>/dev/null; done',
    'pm=$(head -n 1 "$2/postmaster.pid" 2>/dev/null)',
    'if [ -n "$pm" ]; then kill -QUIT "$pm" 2>/dev/null; i=0; while kill -0 "$pm" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; kill -9 "-$pm" "$pm" 2>/dev/null; fi',
    'rm -rf -- "$1"',
  ].join("\n");
  const dog = spawn("/bin/sh", ["-c", script, String(process.pid), f.dir, f.pgData], { detached: true, stdio: "ignore" });
  dog.on("error", () => {});
  dog.unref();
  return dog.pid;
}

// ---------------------------------------------------------------- PostgreSQL

interface Cluster {
  port: number;
  socketDir: string;
}

/**
 * The cluster, from the template cache when it holds one for these binaries and this schema (a copy
 * of the data directory: initdb alone takes about 1 s), else initdb and the schema (and the template
 * is stored for the next launches); then the postmaster as our own child (so we reap it; pg_ctl
 * would orphan it) on a free loopback port (another port if it was taken meanwhile).
 */
async function setUpPostgres(
  pg: PgBinaries,
  identity: { uid: number; gid: number } | undefined,
  pgDir: string,
  schema: string,
  footprint: Footprint,
  phases: Record<string, number>,
): Promise<Cluster> {
  let t = Date.now();
  const phase = (name: string) => {
    phases[name] = Date.now() - t;
    t = Date.now();
  };
  const pgData = footprint.pgData;
  const socketDir = path.join(pgDir, "sock");
  await fs.promises.mkdir(socketDir);
  if (identity) {
    await fs.promises.chown(pgDir, identity.uid, identity.gid);
    await fs.promises.chown(socketDir, identity.uid, identity.gid);
  }
  const template = await templateFor(pg, schema);
  if (fs.existsSync(path.join(template, TEMPLATE_STAMP))) {
    // cp -a keeps the owner (postgres) and the 0700 mode PostgreSQL insists on
    await runAs(undefined, "/bin/cp", ["-a", path.join(template, "data"), pgData], pgDir);
    phase("copy");
    return { port: await startPostmaster(pg, identity, pgDir, socketDir, footprint), socketDir };
  }
  await runAs(identity, pg.initdb, ["-D", pgData, "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], pgDir);
  phase("initdb");
  let port = await startPostmaster(pg, identity, pgDir, socketDir, footprint);
  phase("postgres");
  const conn = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", DB_USER];
  // one psql session: create, connect, load the schema, and keep an untouched copy for further instances
  await runAs(identity, pg.psql, [...conn, "-d", "postgres", "-c", `CREATE DATABASE ${DB_NAME}`, "-c", `\\connect ${DB_NAME}`, "-f", schema, "-c", "\\connect postgres", "-c", `CREATE DATABASE ${DB_TEMPLATE} TEMPLATE ${DB_NAME}`], pgDir);
  phase("schema");
  // a clean shutdown, so that the copy starts without recovery
  await stopPostgres(footprint);
  await storeTemplate(pgData, template).catch(() => undefined); // a cache: the launch goes on without it
  port = await startPostmaster(pg, identity, pgDir, socketDir, footprint);
  phase("template");
  return { port, socketDir };
}

async function startPostmaster(
  pg: PgBinaries,
  identity: { uid: number; gid: number } | undefined,
  pgDir: string,
  socketDir: string,
  footprint: Footprint,
): Promise<number> {
  const pgData = footprint.pgData;
  const log = path.join(pgDir, "postgresql.log");
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1, HOST);
    const args = [
      "-D", pgData,
      "-p", String(port),
      "-c", `listen_addresses=${HOST}`,
      "-c", `unix_socket_directories=${socketDir}`,
      // a throw-away database: durability is not wanted
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
    ];
    const fd = fs.openSync(log, "a");
    if (identity) fs.fchownSync(fd, identity.uid, identity.gid);
    let exit: string | undefined;
    try {
      const proc = spawn(pg.postgres, args, { cwd: pgDir, env: cleanEnv({ LC_ALL: "C.UTF-8" }), detached: true, stdio: ["ignore", fd, fd], ...(identity ?? {}) });
      proc.once("exit", (code, sig) => {
        exit = sig ? `killed by ${sig}` : `exit code ${code}`;
        if (footprint.postmasterPid === proc.pid) footprint.postmasterPid = undefined;
      });
      proc.once("error", (err) => (exit = err.message));
      footprint.postmasterPid = proc.pid;
    } finally {
      fs.closeSync(fd);
    }
    // ready when postmaster.pid's 8th line says so (PostgreSQL ≥ 10)
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exit !== undefined) break;
      let status = "";
      try {
        status = fs.readFileSync(path.join(pgData, "postmaster.pid"), "utf8").split("\n")[7]?.trim() ?? "";
      } catch {
        // not written yet
      }
      if (status === "ready") break;
      if (Date.now() > deadline) throw new Error(`PostgreSQL not ready after 30 s:\n${tail(log)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (exit !== undefined) {
      footprint.postmasterPid = undefined;
      if (attempt < 3 && /could not bind|Address already in use|could not create any TCP/i.test(tail(log, 50))) continue;
      throw new Error(`PostgreSQL did not start (${exit}):\n${tail(log)}`);
    }
    return port;
  }
}

/**
 * Where a launch's files go: RAM (/dev/shm) when there is one, so that the copy of the template
 * cluster and PostgreSQL's writes cost no disk I/O (the copy alone took 0.7–3 s on a busy disk);
 * else the temp dir. Inside a root's chroot /dev, so /dev/shm, is the host's.
 */
function runBase(): string {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    if (fs.statSync("/dev/shm").isDirectory()) return "/dev/shm";
  } catch {
    // no shared memory file system
  }
  return os.tmpdir();
}

// ---------------------------------------------------------------- template cache

/** Written last into a template: its presence says the copy is complete. */
const TEMPLATE_STAMP = "xep0355-template.json";
/** Part of the template's key: change it when what a template holds changes (2: DB_TEMPLATE too). */
const TEMPLATE_LAYOUT = "2";

/** Where templates live: `$XDG_CACHE_HOME/xep0355/postgres`, else `~/.cache/xep0355/postgres`. */
function templateCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "xep0355", "postgres");
}

/** The template for these PostgreSQL binaries and this schema: their paths, sizes and times, and the schema's digest. */
async function templateFor(pg: PgBinaries, schema: string): Promise<string> {
  const hash = createHash("sha256").update(TEMPLATE_LAYOUT).update(await fs.promises.readFile(schema));
  for (const bin of [pg.initdb, pg.postgres]) {
    const st = await fs.promises.stat(bin);
    hash.update(`${bin}:${st.size}:${st.mtimeMs}`);
  }
  return path.join(templateCacheDir(), `${path.basename(path.dirname(path.dirname(pg.postgres)))}-${hash.digest("hex").slice(0, 16)}`);
}

/** Copies a cleanly shut down cluster into the cache, atomically (another launch may be storing the same one). */
async function storeTemplate(pgData: string, template: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(template), { recursive: true });
  const partial = `${template}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await fs.promises.mkdir(partial, { mode: 0o700 });
    await runAs(undefined, "/bin/cp", ["-a", pgData, path.join(partial, "data")], path.dirname(template));
    await fs.promises.writeFile(path.join(partial, TEMPLATE_STAMP), JSON.stringify({ storedAt: new Date().toISOString() }) + "\n");
    await fs.promises.rename(partial, template);
  } finally {
    await fs.promises.rm(partial, { recursive: true, force: true });
  }
}

/**
 * Fast shutdown (SIGINT to the postmaster: a clean data directory), immediate after 5 s, SIGKILL after
 * 2 s more; `immediate`: at once (SIGQUIT: no checkpoint, for a cluster about to be deleted).
 */
async function stopPostgres(f: Footprint, immediate = false): Promise<void> {
  const pm = postmasterPid(f);
  if (!pm) return;
  signal(pm, immediate ? "SIGQUIT" : "SIGINT");
  if (await waitGone(pm, KILL_AFTER_MS)) return;
  signal(pm, "SIGQUIT");
  if (await waitGone(pm, 2000)) return;
  killPostgres(pm);
  await waitGone(pm, 1000);
}

// ---------------------------------------------------------------- the launcher


function liberviaConfig(target: ComponentTarget, cluster: Cluster, database = DB_NAME): Record<string, string> {
  // never server_jid: libervia-pubsub crashes at start-up with it; it derives the server from its own JID
  return {
    jid: target.component.jid,
    xmpp_pwd: target.component.secret,
    rhost: target.listenHost,
    rport: String(target.listenPort),
    backend: "pgsql",
    db_name: database,
    db_user: DB_USER,
    db_host: HOST,
    db_port: String(cluster.port),
  };
}

/** Copies the component's (each instance's: i<n>-…) and PostgreSQL's logs to DIR/<temp dir name>/ (the temp dir itself goes). */
function keepLogs(dir: string, logDir: string, instanceDirs: string[] = []): void {
  try {
    const dest = path.join(path.resolve(logDir), path.basename(dir));
    fs.mkdirSync(dest, { recursive: true });
    const files = [
      ...["libervia-pubsub.log", "twistd.console.log", "pg/postgresql.log"].map((f) => ({ from: path.join(dir, f), to: path.basename(f) })),
      ...instanceDirs.flatMap((d) => ["libervia-pubsub.log", "twistd.console.log"].map((f) => ({ from: path.join(d, f), to: `${path.basename(d)}-${f}` }))),
    ];
    for (const { from, to } of files) if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dest, to));
  } catch {
    // logs are a convenience
  }
}

async function launch(options: ComponentLaunchOptions = {}): Promise<LaunchedComponent> {
  const { pg, identity } = checkInstalled(options);
  const twistd = await findTwistd(options);
  const began = Date.now();
  const dir = await fs.promises.mkdtemp(path.join(runBase(), "xep0355-libervia-"));
  const pgDir = path.join(dir, "pg");
  const footprint: Footprint = { dir, pgData: path.join(pgDir, "data"), twistdPids: new Set() };
  register(footprint);
  footprint.watchdogPid = startWatchdog(footprint);

  const timings: LaunchedComponent["timings"] = { setupMs: 0, setupPhases: {} };
  const instances: Instance[] = [];
  let stopping: Promise<void> | undefined;

  async function doStop(): Promise<void> {
    const t0 = Date.now();
    try {
      await Promise.all(instances.map((i) => i.stopProcess()));
      // nothing of it is kept but the logs: no checkpoint
      await stopPostgres(footprint, !options.logDir);
    } catch {
      // never throws: the synchronous clean-up below does the rest
    } finally {
      if (options.logDir) keepLogs(dir, options.logDir, instances.slice(1).map((i) => i.dir));
      try {
        cleanUpSync(footprint);
      } catch {
        // nothing more to do
      }
      unregister(footprint);
      timings.stopMs = Date.now() - t0;
    }
  }
  const stop = (): Promise<void> => (stopping ??= doStop());

  try {
    await fs.promises.chmod(dir, 0o711); // postgres must reach DIR/pg
    await fs.promises.mkdir(pgDir);
    // psql runs as postgres, which cannot read a root's copy inside root's home (~/.cache)
    const schema = path.join(pgDir, "pubsub.sql");
    await fs.promises.copyFile(twistd.schema, schema);
    const cluster = await setUpPostgres(pg, identity, pgDir, schema, footprint, timings.setupPhases!);

    /**
     * Instance n: its own twistd3, listen port, secret, directory (the first: DIR itself) and database
     * (the first: DB_NAME; the others a fresh copy of DB_TEMPLATE), on the one PostgreSQL: scenarios on
     * different instances never share data, as when they ran one after the other (two of them creating
     * the same user's first PEP node at once on one database make one fail). Started by start();
     * stopped by its stop() or the launch's.
     */
    const instance = async (n: number): Promise<Instance> => {
      if (stopping) throw new Error("libervia-pubsub: another instance after stop()");
      const idir = n === 0 ? dir : path.join(dir, `i${n + 1}`);
      const database = n === 0 ? DB_NAME : `${DB_NAME}_${n + 1}`;
      if (n > 0) {
        await fs.promises.mkdir(idir);
        const conn = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.socketDir, "-p", String(cluster.port), "-U", DB_USER];
        await runAs(identity, pg.psql, [...conn, "-d", "postgres", "-c", `CREATE DATABASE ${database} TEMPLATE ${DB_TEMPLATE}`], pgDir);
      }
      const [listenPort] = await freePorts(1, HOST);
      const target = liberviaTarget(listenPort);
      const config = liberviaConfig(target, cluster, database);
      await fs.promises.writeFile(path.join(idir, "libervia.conf"), `[pubsub]\n${Object.entries(config).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`, { mode: 0o600 });
      // The same values as LIBERVIA_PUBSUB_* variables: they beat any /etc/libervia.conf, /etc/sat.conf (read after ./libervia.conf).
      const env: Record<string, string> = {
        PYTHONPATH: LIBERVIA_DIR,
        HOME: idir, // no ~/libervia.conf, ~/sat.conf from the invoking user
        ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`LIBERVIA_PUBSUB_${k.toUpperCase()}`, v])),
      };
      const twistdLog = path.join(idir, "libervia-pubsub.log");
      const consoleLog = path.join(idir, "twistd.console.log");
      const pgidFile = path.join(idir, "twistd.pgid");
      const own: LaunchedComponent["timings"] = n === 0 ? timings : { setupMs: 0 };
      let child: ChildProcess | undefined;
      let exitStatus: string | undefined;
      let stoppingProcess: Promise<void> | undefined;
      let exited!: (why: string) => void;
      const exitedPromise = new Promise<string>((resolve) => (exited = resolve));

      async function start(): Promise<void> {
        if (child) throw new Error("libervia-pubsub: start() called twice");
        if (stopping || stoppingProcess) throw new Error("libervia-pubsub: start() after stop()");
        const t0 = Date.now();
        const fd = fs.openSync(consoleLog, "a");
        try {
          const command = twistd.spawnArgs(["--nodaemon", "--pidfile=", `--logfile=${twistdLog}`, "libervia-pubsub", "--verbose"], idir, env);
          // own process group (detached); inside a chroot too, the spawned pid is twistd3's (no fork on the way)
          const proc = spawn(command.command, command.args, { cwd: idir, env: command.env, detached: true, stdio: ["ignore", fd, fd] });
          child = proc;
          proc.once("exit", (code, sig) => {
            exitStatus = sig ? `killed by ${sig}` : `exit code ${code}`;
            // its pid may be reused from now on: nothing may signal it any more
            if (proc.pid !== undefined) footprint.twistdPids.delete(proc.pid);
            fs.rmSync(pgidFile, { force: true });
            if (!stopping && !stoppingProcess) exited(`twistd3 exited (${exitStatus}):\n${tail(consoleLog, 10)}\n${tail(twistdLog)}`);
          });
          await new Promise<void>((resolve, reject) => {
            proc.once("spawn", resolve);
            proc.once("error", (err) => {
              exitStatus ??= `error ${err.message}`;
              reject(new Error(`cannot start ${command.command}: ${err.message}`));
            });
          });
          footprint.twistdPids.add(proc.pid!);
          fs.writeFileSync(pgidFile, String(proc.pid));
        } finally {
          fs.closeSync(fd);
          own.startMs = Date.now() - t0;
        }
      }

      async function doStopProcess(): Promise<void> {
        const pid = child?.pid;
        if (pid === undefined || exitStatus !== undefined) return;
        // a graceful stop (its log flushed) only when the logs are kept
        if (!options.logDir) signal(-pid, "SIGKILL");
        signal(-pid, "SIGTERM");
        if (!(await waitGone(pid, KILL_AFTER_MS))) signal(-pid, "SIGKILL");
        await waitGone(pid, 1000);
      }
      const stopProcess = (): Promise<void> => (stoppingProcess ??= doStopProcess());

      const component: LaunchedComponent = {
        target,
        workDir: idir,
        software: twistd.software,
        start,
        // the first instance's stop() ends them all, the database and the files; another one's, its process
        stop: n === 0 ? stop : stopProcess,
        timings: own,
        exited: exitedPromise,
        logs: () => `${tail(consoleLog, 10)}\n${tail(twistdLog)}`,
      };
      return { dir: idir, component, stopProcess };
    };

    const first = await instance(0);
    instances.push(first);
    let count = 1;
    timings.setupMs = Date.now() - began;
    return {
      ...first.component,
      another: async () => {
        const next = await instance(count++);
        instances.push(next);
        return next.component;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One twistd3 of a launch. */
interface Instance {
  dir: string;
  component: LaunchedComponent;
  stopProcess(): Promise<void>;
}

function missing(options: ComponentLaunchOptions = {}): string | undefined {
  try {
    checkInstalled(options);
    return undefined;
  } catch (err) {
    if (err instanceof LauncherMissingError) return err.message;
    throw err;
  }
}

/** The target a launched libervia-pubsub is tested as, a fresh secret each time. */
export function liberviaTarget(listenPort: number): ComponentTarget {
  return {
    role: "component",
    name: "libervia-pubsub",
    listenHost: HOST,
    listenPort,
    domain: DOMAIN,
    // the recipe: the component's JID must be <label>.<server domain>
    component: { jid: `pubsub.${DOMAIN}`, secret: randomBytes(12).toString("hex") },
    version: 2,
    delegations: { plain: { namespace: NS.pubsub } },
    // XEP-0356, what its sat_pubsub/privilege.py uses (docs/findings/libervia-pubsub.md, "XEP-0356"): roster 'get'
    // (getRoster: PEP access and auto-subscribers; it never sets one, and ignores pushes), message 'outgoing' (PEP
    // notifications as the owner's bare JID, XEP-0376 and MAM messages), presence 'roster' (contacts' presences and
    // caps decide who is notified, XEP-0163), and PubSub 'set' IQs (sendIQ: XEP-0376 subscriptions on a user's behalf)
    privileges: { roster: "get", message: "outgoing", presence: "roster", iq: { [NS.pubsub]: "set" } },
    // Twisted + PostgreSQL on loopback: answers take 1–70 ms (240 ms the slowest seen, with seven instances
    // on a loaded 2-core machine), so 1.5 s of silence is the evidence; connect covers process start (~0.5 s)
    timeouts: { step: 1500, quiet: 500, connect: 15_000 },
  };
}

/**
 * Instances a run uses: the seven scenarios that wait a whole step timeout against libervia-pubsub (five
 * client-mode probes, two replies that never come) start at once, and the other 27 (20 s of scenario time
 * in all) spread over the rest, while each twistd3 costs about 0.5 s of CPU to start. Measured on 2 cores
 * (farm-bench, paired): 9 instances 0.97 of 7's wall, 11 instances 0.956 (0.4.0: 5.67 s against 5.95 s).
 */
const INSTANCES = 11;

export const liberviaPubsubLauncher: ComponentLauncher = { name: "libervia-pubsub", instances: INSTANCES, launch, missing };
