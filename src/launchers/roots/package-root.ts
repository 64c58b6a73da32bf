/**
 * Private roots for server versions newer than Debian 12's, side by side with the system's packages
 * and never replacing them. Each NAME@VERSION is described by a pin file beside this module
 * (`<name>@<version>.json`: exact Debian package versions with their sha256); `prepareRoot()`
 * downloads those exact files into a cache, verifies them and unpacks them into a root of their own:
 *
 *  - kind "extract" (prosody@13.0.1, ejabberd@24.12, from bookworm-backports): `dpkg -x` of the pinned
 *    packages into ROOT; everything else they need (Lua 5.4 and its libraries, Erlang/OTP 25 and the
 *    erlang-* libraries backports did not update) comes from the system's Debian 12 packages, which the
 *    Debian 12 versions of the same servers pull in (`apt-get install -y prosody prosody-modules ejabberd`).
 *  - kind "chroot" (libervia-pubsub@0.5.0, trixie only): a complete trixie system built by mmdebstrap
 *    from the pinned package files alone (a local repository made of the cache), run with `chroot`.
 *
 * Cache: `$XEP0355_ROOTS_CACHE`, else `$XDG_CACHE_HOME/xep0355/roots`, else `~/.cache/xep0355/roots`:
 *   debs/<suite>/<package>_<version>_<arch>.deb   the pinned files, verified (sha256) on every preparation
 *   apt/<suite>/                                  a private apt state (sources list, lists, cache) used
 *                                                 only by `apt-get download`; the system's apt is untouched
 *   <name>@<version>/                             the root; `.xep0355-root.json` in it marks it complete
 * A root is built next to its final place and renamed into it, so an interrupted or concurrent
 * preparation never leaves a half root behind; a root whose stamp does not match its pin file is rebuilt.
 *
 * Debian keeps only the newest version of a package in a suite: once a pinned version has left it,
 * only a cache that already holds the file can prepare the root (the error says so). Full recipe,
 * sizes and timings: docs/versions.md.
 */
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STAMP = ".xep0355-root.json";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** bumped when what a root holds besides the pinned files changes (patches, extra dirs): such roots are rebuilt */
const LAYOUT = 1;

export interface PinnedPackage {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  size: number;
}

export interface PinFile {
  name: string;
  version: string;
  kind: "extract" | "chroot";
  /** the Debian suite the packages come from (they are downloaded from it, then cached) */
  suite: string;
  /** what the root needs from the system (kind "extract") or the host (kind "chroot") */
  requires: string[];
  /** kind "chroot": the packages asked for; `packages` is their whole closure as resolved when pinned */
  include?: string[];
  packages: PinnedPackage[];
}

export interface RootInfo {
  name: string;
  version: string;
  kind: "extract" | "chroot";
  /** the root directory (kind "chroot": the chroot directory) */
  root: string;
  /** the Debian package versions the root is made of, name → version */
  packages: Record<string, string>;
  /** true when this call built the root; false when an existing one was reused */
  prepared: boolean;
  /** how long this call took, ms (download + verify + unpack when prepared; a stat when reused) */
  ms: number;
  /** disk use of the root, bytes (measured when prepared; read from the stamp when reused) */
  bytes: number;
  prosody?: {
    /** patched launcher scripts: CFG_SOURCEDIR, CFG_PLUGINDIR, CFG_CONFIGDIR, CFG_DATADIR point into ROOT */
    prosody: string;
    prosodyctl: string;
    /** ROOT/usr/lib/prosody (core, util, net) */
    sourceDir: string;
    /** ROOT/usr/lib/prosody/modules: core modules and the prosody-modules snapshot (mod_delegation/) */
    modulesDir: string;
    modDelegation: string;
    /** ROOT/usr/lib/prosody/prosody.version ("13.0.1") */
    versionFile: string;
  };
  ejabberd?: {
    /** the system's Erlang/OTP (the backports are built for it) */
    erl: string;
    /** ERL_LIBS for the VM: the root's ejabberd, then the root's erlang-p1-* (before the system's OTP libs) */
    erlLibs: string;
    /** ROOT/usr/lib/<triplet>/ejabberd-<full version> */
    appDir: string;
    /** vsn of ejabberd.app, e.g. "24.12-3~bpo12+1" */
    appVersion: string;
    /** ROOT/usr/share/ejabberd (sql/, img/) */
    shareDir: string;
  };
  libervia?: {
    /** the chroot directory (same as root) */
    chroot: string;
    /** inside the chroot */
    twistd: string;
    /** inside the chroot: PYTHONPATH and the plugin/sat_pubsub tree */
    liberviaDir: string;
    /** on the host: ROOT + the schema's path inside the chroot; loads into the system's PostgreSQL 15 */
    schema: string;
    /** the chroot's /usr/lib/python3/dist-packages, on the host (for checks) */
    pythonDir: string;
  };
}

export interface PrepareOptions {
  /** default: rootsCacheDir() */
  cacheDir?: string;
  /** one line per stage; default: stderr, only when a root is (re)built */
  log?: (line: string) => void;
}

// ---------------------------------------------------------------- pin files and paths

export function rootsCacheDir(): string {
  if (process.env.XEP0355_ROOTS_CACHE) return path.resolve(process.env.XEP0355_ROOTS_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "xep0355", "roots");
}

/** The NAME@VERSION pins beside this module. */
export function pinnedVersions(): { name: string; version: string }[] {
  return fs
    .readdirSync(HERE)
    .filter((f) => /^[a-z0-9-]+@[^/]+\.json$/.test(f))
    .map((f) => {
      const [name, version] = f.slice(0, -".json".length).split("@");
      return { name, version };
    });
}

export function readPin(name: string, version: string): PinFile {
  const file = path.join(HERE, `${name}@${version}.json`);
  if (!fs.existsSync(file)) {
    const known = pinnedVersions().map((p) => `${p.name}@${p.version}`).join(", ");
    throw new Error(`no pinned root for ${name}@${version} (known: ${known})`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as PinFile;
}

export function debFileName(p: PinnedPackage): string {
  // as apt-get download names it: the epoch's ':' becomes "%3a"
  return `${p.name}_${p.version.replace(/:/g, "%3a")}_${p.arch}.deb`;
}

function pinDigest(pin: PinFile): string {
  return createHash("sha256").update(JSON.stringify({ LAYOUT, pin })).digest("hex");
}

export function rootDir(name: string, version: string, cacheDir = rootsCacheDir()): string {
  return path.join(cacheDir, `${name}@${version}`);
}

// ---------------------------------------------------------------- processes

function exec(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive" } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(" ")}: ${err.message}\n${String(stdout).slice(-2000)}${String(stderr).slice(-4000)}`));
        else resolve(String(stdout));
      },
    );
  });
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    fs.createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

async function duBytes(dir: string): Promise<number> {
  // -x: one file system (a chroot's /proc or /dev, if ever mounted, is not counted)
  const out = await exec("du", ["-sxB1", dir]);
  return Number(out.split(/\s/)[0]) || 0;
}

// ---------------------------------------------------------------- downloading

/**
 * The Debian mirror the system's apt uses (so no host is written down here): the first URIs of
 * /etc/apt/sources.list.d/*.sources or deb line of /etc/apt/sources.list whose suites are Debian's
 * main archive (not -security). XEP0355_DEBIAN_MIRROR overrides it.
 */
export function debianMirror(): string {
  if (process.env.XEP0355_DEBIAN_MIRROR) return process.env.XEP0355_DEBIAN_MIRROR.replace(/\/+$/, "");
  const candidates: string[] = [];
  const dir = "/etc/apt/sources.list.d";
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".sources")) : []) {
    for (const stanza of fs.readFileSync(path.join(dir, f), "utf8").split(/\n\s*\n/)) {
      const uris = stanza.match(/^URIs:\s*(.+)$/m)?.[1]?.trim().split(/\s+/) ?? [];
      const suites = stanza.match(/^Suites:\s*(.+)$/m)?.[1] ?? "";
      if (/^(bookworm|trixie|stable|oldstable)(\s|$)/.test(suites.trim()) || /\bbookworm(-updates)?\b/.test(suites)) candidates.push(...uris.filter((u) => !/security/.test(u)));
    }
  }
  if (fs.existsSync("/etc/apt/sources.list")) {
    for (const line of fs.readFileSync("/etc/apt/sources.list", "utf8").split("\n")) {
      const m = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(bookworm|trixie)(\s|$)/);
      if (m && !/security/.test(m[1])) candidates.push(m[1]);
    }
  }
  const mirror = candidates.find((u) => /^https?:\/\//.test(u));
  if (!mirror) throw new Error("no Debian mirror found in the system's apt sources; set XEP0355_DEBIAN_MIRROR");
  return mirror.replace(/\/+$/, "");
}

function aptOptions(cacheDir: string, suite: string): { opts: string[]; state: string; list: string } {
  const state = path.join(cacheDir, "apt", suite);
  const list = path.join(state, "sources.list");
  return {
    state,
    list,
    opts: [
      "-o", `Dir::Etc::SourceList=${list}`,
      "-o", "Dir::Etc::SourceParts=/dev/null",
      "-o", `Dir::State=${path.join(state, "state")}`,
      "-o", `Dir::State::Lists=${path.join(state, "lists")}`,
      "-o", "Dir::State::status=/var/lib/dpkg/status",
      "-o", `Dir::Cache=${path.join(state, "cache")}`,
      // the files land in our cache, which the unprivileged _apt user may not be able to write
      "-o", "APT::Sandbox::User=root",
      "-o", "Acquire::Languages=none",
    ],
  };
}

/** `apt-get update` of a private apt state holding only SUITE (main), then `apt-get download` of the pins. */
async function download(cacheDir: string, suite: string, missing: PinnedPackage[], into: string, log: (l: string) => void): Promise<void> {
  const { opts, state, list } = aptOptions(cacheDir, suite);
  for (const d of ["state", "lists/partial", "cache/archives/partial"]) await fs.promises.mkdir(path.join(state, d), { recursive: true });
  await fs.promises.writeFile(list, `deb [signed-by=${KEYRING}] ${debianMirror()} ${suite} main\n`);
  log(`  apt-get update (${suite}, private lists in ${state})`);
  await exec("apt-get", [...opts, "-q", "update"]);
  const tmp = await fs.promises.mkdtemp(path.join(into, ".download-"));
  try {
    log(`  apt-get download ${missing.length} package(s) from ${suite}`);
    try {
      await exec("apt-get", [...opts, "-q", "download", ...missing.map((p) => `${p.name}=${p.version}`)], { cwd: tmp });
    } catch (err) {
      throw new Error(
        `cannot download the pinned packages from ${suite} (a pinned version that left the suite can only come from a filled cache: ` +
          `copy ${into} from a machine that has it, or pin the suite's current versions, see docs/versions.md): ${(err as Error).message}`,
      );
    }
    for (const p of missing) {
      const file = path.join(tmp, debFileName(p));
      if (!fs.existsSync(file)) throw new Error(`apt-get download did not produce ${debFileName(p)}`);
      const sum = await sha256File(file);
      if (sum !== p.sha256) throw new Error(`${debFileName(p)}: sha256 ${sum}, pinned ${p.sha256}`);
      await fs.promises.rename(file, path.join(into, debFileName(p)));
    }
  } finally {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  }
}

/** Every pinned file in DEBS, verified; downloads the missing ones (a file failing its sha256 is fetched anew). */
export async function fillCache(pin: PinFile, cacheDir = rootsCacheDir(), log: (l: string) => void = () => {}): Promise<string> {
  const debs = path.join(cacheDir, "debs", pin.suite);
  await fs.promises.mkdir(debs, { recursive: true });
  const missing: PinnedPackage[] = [];
  for (const p of pin.packages) {
    const file = path.join(debs, debFileName(p));
    if (fs.existsSync(file) && (await sha256File(file)) === p.sha256) continue;
    await fs.promises.rm(file, { force: true });
    missing.push(p);
  }
  if (missing.length) await download(cacheDir, pin.suite, missing, debs, log);
  return debs;
}

// ---------------------------------------------------------------- unpacking

/** The shebang'd Lua scripts hard-code CFG_* = /usr/lib/prosody…: without this they load the SYSTEM's Prosody. */
export function patchProsodyScript(text: string, root: string): string {
  const set = (key: string, value: string) => {
    const re = new RegExp(`^${key}='[^']*';`, "m");
    if (!re.test(text)) throw new Error(`prosody launcher script has no ${key} line to patch`);
    text = text.replace(re, `${key}='${value}';`);
  };
  set("CFG_SOURCEDIR", `${root}/usr/lib/prosody`);
  set("CFG_CONFIGDIR", `${root}/etc/prosody`);
  set("CFG_PLUGINDIR", `${root}/usr/lib/prosody/modules/`);
  set("CFG_DATADIR", `${root}/var/lib/prosody`);
  return text;
}

async function extractRoot(pin: PinFile, debs: string, build: string, root: string): Promise<void> {
  for (const p of pin.packages) await exec("dpkg-deb", ["-x", path.join(debs, debFileName(p)), build]);
  if (pin.name === "prosody") {
    for (const script of ["prosody", "prosodyctl"]) {
      const file = path.join(build, "usr/bin", script);
      await fs.promises.writeFile(file, patchProsodyScript(await fs.promises.readFile(file, "utf8"), root));
    }
    // dpkg -x creates no empty directories that maintainer scripts would
    for (const d of ["etc/prosody/conf.d", "etc/prosody/certs", "var/lib/prosody/custom_plugins"]) await fs.promises.mkdir(path.join(build, d), { recursive: true });
  }
}

/**
 * A trixie system from the cached files only: a flat local repository (apt-ftparchive) holding exactly
 * the pinned files, then `mmdebstrap --variant=custom --include=<every pinned name=version>`.
 */
async function chrootRoot(pin: PinFile, debs: string, build: string, log: (l: string) => void): Promise<void> {
  for (const tool of ["/usr/bin/mmdebstrap", "/usr/bin/apt-ftparchive"]) {
    if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: apt-get install -y mmdebstrap apt-utils`);
  }
  const repo = await fs.promises.mkdtemp(path.join(path.dirname(build), ".repo-"));
  try {
    for (const p of pin.packages) await fs.promises.link(path.join(debs, debFileName(p)), path.join(repo, debFileName(p)));
    await fs.promises.writeFile(path.join(repo, "Packages"), await exec("apt-ftparchive", ["packages", "."], { cwd: repo }));
    await fs.promises.rmdir(build);
    log(`  mmdebstrap ${pin.suite} (${pin.packages.length} pinned packages, no network)`);
    // mmdebstrap mounts /proc, /sys and /dev into the build while it runs: in a private mount namespace, a
    // build that is killed leaves no mount behind on the host (and no rm -rf can reach the host's /dev)
    await exec("unshare", [
      "--mount",
      "--propagation",
      "private",
      "--",
      "mmdebstrap",
      "--mode=root",
      "--variant=custom",
      "--quiet",
      `--include=${pin.packages.map((p) => `${p.name}=${p.version}`).join(",")}`,
      "--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
      // the apt cache and lists of the build are not wanted in the root
      "--aptopt=Acquire::Languages \"none\"",
      pin.suite,
      build,
      `deb [trusted=yes] file://${repo} ./`,
    ], { timeoutMs: 1_800_000 });
    // the build's sources pointed at the temporary repository: leave the suite itself, for apt inside the chroot
    await fs.promises.writeFile(path.join(build, "etc/apt/sources.list"), `deb [signed-by=${KEYRING}] ${debianMirror()} ${pin.suite} main\n`);
  } finally {
    await fs.promises.rm(repo, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the API

function describe(pin: PinFile, root: string): Omit<RootInfo, "prepared" | "ms" | "bytes"> {
  const info: Omit<RootInfo, "prepared" | "ms" | "bytes"> = {
    name: pin.name,
    version: pin.version,
    kind: pin.kind,
    root,
    packages: Object.fromEntries(pin.packages.map((p) => [p.name, p.version])),
  };
  if (pin.name === "prosody") {
    const sourceDir = path.join(root, "usr/lib/prosody");
    const modulesDir = path.join(sourceDir, "modules");
    info.prosody = {
      prosody: path.join(root, "usr/bin/prosody"),
      prosodyctl: path.join(root, "usr/bin/prosodyctl"),
      sourceDir,
      modulesDir,
      modDelegation: path.join(modulesDir, "mod_delegation/mod_delegation.lua"),
      versionFile: path.join(sourceDir, "prosody.version"),
    };
  }
  if (pin.name === "ejabberd") {
    const libs = fs.readdirSync(path.join(root, "usr/lib")).find((d) => d.includes("-linux-")) ?? "x86_64-linux-gnu";
    const libDir = path.join(root, "usr/lib", libs);
    const full = pin.packages.find((p) => p.name === "ejabberd")!.version;
    const appDir = path.join(libDir, `ejabberd-${full}`);
    const app = fs.existsSync(path.join(appDir, "ebin/ejabberd.app")) ? fs.readFileSync(path.join(appDir, "ebin/ejabberd.app"), "utf8") : "";
    info.ejabberd = {
      erl: "/usr/bin/erl",
      erlLibs: [libDir, path.join(root, "usr/lib/erlang/lib")].join(":"),
      appDir,
      appVersion: app.match(/\{vsn,\s*"([^"]+)"\}/)?.[1] ?? full,
      shareDir: path.join(root, "usr/share/ejabberd"),
    };
  }
  if (pin.name === "libervia-pubsub") {
    const liberviaDir = "/usr/share/libervia";
    info.libervia = {
      chroot: root,
      twistd: "/usr/bin/twistd3",
      liberviaDir,
      schema: path.join(root, liberviaDir, "sat_pubsub/db/pubsub.sql"),
      pythonDir: path.join(root, "usr/lib/python3/dist-packages"),
    };
  }
  return info;
}

interface Stamp {
  name: string;
  version: string;
  pin: string;
  preparedAt: string;
  prepareMs: number;
  bytes: number;
}

function readStamp(root: string): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, STAMP), "utf8")) as Stamp;
  } catch {
    return undefined;
  }
}

/**
 * The root of NAME@VERSION, built on first use (one progress line "preparing NAME@VERSION root (first
 * launch)…" and one per stage) and reused afterwards. Idempotent and safe to call concurrently: the
 * root is built beside its place and renamed into it; the loser of a race discards its copy.
 */
export async function prepareRoot(name: string, version: string, options: PrepareOptions = {}): Promise<RootInfo> {
  const started = Date.now();
  const cacheDir = options.cacheDir ?? rootsCacheDir();
  const pin = readPin(name, version);
  const digest = pinDigest(pin);
  const root = rootDir(name, version, cacheDir);
  const existing = readStamp(root);
  if (existing?.pin === digest) return { ...describe(pin, root), prepared: false, ms: Date.now() - started, bytes: existing.bytes };

  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  log(`preparing ${name}@${version} root (first launch)…`);
  const debs = await fillCache(pin, cacheDir, log);
  await fs.promises.mkdir(cacheDir, { recursive: true });
  const build = `${root}.partial-${process.pid}-${randomBytes(3).toString("hex")}`;
  await fs.promises.mkdir(build);
  try {
    if (pin.kind === "extract") await extractRoot(pin, debs, build, root);
    else await chrootRoot(pin, debs, build, log);
    const bytes = await duBytes(build);
    const stamp: Stamp = { name, version, pin: digest, preparedAt: new Date().toISOString(), prepareMs: Date.now() - started, bytes };
    await fs.promises.writeFile(path.join(build, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
    if (fs.existsSync(root)) {
      // someone else finished first with the same pins: theirs is as good; a stale root goes
      if (readStamp(root)?.pin === digest) {
        await fs.promises.rm(build, { recursive: true, force: true });
        return { ...describe(pin, root), prepared: false, ms: Date.now() - started, bytes };
      }
      await fs.promises.rm(root, { recursive: true, force: true });
    }
    await fs.promises.rename(build, root);
    log(`  ${name}@${version} root ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${root} (${(bytes / 1048576).toFixed(0)} MiB)`);
    return { ...describe(pin, root), prepared: true, ms: Date.now() - started, bytes };
  } catch (err) {
    await fs.promises.rm(build, { recursive: true, force: true });
    throw err;
  }
}

/** The root if it is already prepared, else undefined; never downloads (for a launcher's missing()). */
export function preparedRoot(name: string, version: string, cacheDir = rootsCacheDir()): RootInfo | undefined {
  const pin = readPin(name, version);
  const root = rootDir(name, version, cacheDir);
  const stamp = readStamp(root);
  if (stamp?.pin !== pinDigest(pin)) return undefined;
  return { ...describe(pin, root), prepared: false, ms: 0, bytes: stamp.bytes };
}

// ---------------------------------------------------------------- re-pinning a chroot

/**
 * Kind "chroot" only: resolves the closure of the pin's `include` against the suite as it is today
 * (an online mmdebstrap build in the cache, discarded after), caches every package file and rewrites the
 * pin file beside this module. For when a point release has moved packages of the closure out of the
 * suite and a cold cache can no longer be filled; the `include` versions themselves stay as pinned (a
 * suite that no longer has them fails here: then the pin file's `include` must be changed by hand).
 */
export async function repinChroot(name: string, version: string, options: PrepareOptions = {}): Promise<PinFile> {
  const cacheDir = options.cacheDir ?? rootsCacheDir();
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const old = readPin(name, version);
  if (old.kind !== "chroot" || !old.include?.length) throw new Error(`${name}@${version} is not a chroot pin`);
  const debs = path.join(cacheDir, "debs", old.suite);
  await fs.promises.mkdir(debs, { recursive: true });
  const work = await fs.promises.mkdtemp(path.join(cacheDir, ".repin-"));
  try {
    const list = path.join(work, "dpkg.list");
    const got = path.join(work, "debs");
    await fs.promises.mkdir(got);
    log(`re-pinning ${name}@${version}: resolving ${old.include.join(" ")} in ${old.suite} (online mmdebstrap)…`);
    await exec("unshare", [
      "--mount", "--propagation", "private", "--",
      "mmdebstrap", "--mode=root", "--variant=apt", "--quiet",
      "--skip=essential/unlink", "--skip=cleanup/apt/cache",
      `--include=${old.include.join(",")}`,
      `--customize-hook=sync-out /var/cache/apt/archives ${got}`,
      `--customize-hook=chroot "$1" dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Architecture}\\n' > ${list}`,
      old.suite,
      path.join(work, "root"),
      `deb [signed-by=${KEYRING}] ${debianMirror()} ${old.suite} main`,
    ], { timeoutMs: 1_800_000 });
    const packages: PinnedPackage[] = [];
    for (const line of (await fs.promises.readFile(list, "utf8")).trim().split("\n")) {
      const [pkg, ver, arch] = line.split("\t");
      const p: PinnedPackage = { name: pkg, version: ver, arch, sha256: "", size: 0 };
      const file = path.join(got, debFileName(p));
      p.sha256 = await sha256File(file);
      p.size = (await fs.promises.stat(file)).size;
      await fs.promises.rename(file, path.join(debs, debFileName(p)));
      packages.push(p);
    }
    packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const pin: PinFile = { ...old, packages };
    await fs.promises.writeFile(path.join(HERE, `${name}@${version}.json`), formatPin(pin));
    log(`  ${packages.length} packages pinned in ${name}@${version}.json`);
    return pin;
  } finally {
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

/** The pin files' layout: the head indented, one package a line (diffs show what moved). */
export function formatPin(pin: PinFile): string {
  const { packages, ...head } = pin;
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, "");
  return `${top},\n  "packages": [\n${packages.map((p) => `    ${JSON.stringify(p)}`).join(",\n")}\n  ]\n}\n`;
}

// ---------------------------------------------------------------- running inside a chroot

export interface ChrootCommand {
  command: string;
  args: string[];
}

/**
 * argv that runs COMMAND ARGS inside the chroot with cwd CWD, for spawn(): a private mount namespace
 * (`unshare --mount`, no fork, so the spawned pid IS the final program and its process group is the
 * spawn's) where the chroot gets /proc, /dev (rbind) and the host directories BINDS (default: the
 * host's temp dir, so a launcher's temp dir has the same path inside and out). The mounts vanish with
 * the process; nothing is left mounted on the host.
 */
export function chrootCommand(info: RootInfo, command: string, args: string[], options: { cwd?: string; binds?: string[]; env?: Record<string, string> } = {}): ChrootCommand {
  if (info.kind !== "chroot") throw new Error(`${info.name}@${info.version} is not a chroot root`);
  const binds = options.binds ?? [os.tmpdir()];
  const script = [
    'set -e; R="$1"; shift; C="$1"; shift; n="$1"; shift',
    'mount -t proc proc "$R/proc"',
    'mount --rbind /dev "$R/dev"',
    'i=0; while [ "$i" -lt "$n" ]; do d="$1"; shift; mkdir -p "$R$d"; mount --rbind "$d" "$R$d"; i=$((i+1)); done',
    // env -i: nothing from the host's environment (PATH, PYTHONPATH, LIBERVIA_PUBSUB_*) leaks in but what is given
    'exec chroot "$R" /usr/bin/env -C "$C" "$@"',
  ].join("\n");
  const env = Object.entries({ PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C.UTF-8", HOME: options.cwd ?? "/root", ...(options.env ?? {}) }).map(([k, v]) => `${k}=${v}`);
  return {
    command: "/usr/bin/unshare",
    args: ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", info.root, options.cwd ?? "/", String(binds.length), ...binds, "-i", ...env, command, ...args],
  };
}

/** Runs a short command inside the chroot (as chrootCommand), resolving its stdout. */
export function runInChroot(info: RootInfo, command: string, args: string[], options: { cwd?: string; binds?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<string> {
  const c = chrootCommand(info, command, args, options);
  return new Promise((resolve, reject) => {
    const child = spawn(c.command, c.args, { stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 60_000 });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code, sig) => (code === 0 ? resolve(out) : reject(new Error(`chroot ${command} ${args.join(" ")}: ${sig ?? `exit ${code}`}\n${err}`))));
  });
}
