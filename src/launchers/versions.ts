/**
 * The targets `xep0355 run --launch NAME[@VERSION]` can start, one entry per name and version.
 *
 * Plain `NAME` is the Debian 12 package installed on the system (`apt-get install -y …`); the newer
 * versions come from a pinned root of their own (src/launchers/roots/NAME@VERSION.json, prepared into
 * a cache on first use, docs/versions.md), so every version can run on the same machine and in the
 * same CI run without touching the system's packages.
 */
import { UsageError } from "../cli/errors.js";
import { packageVersion } from "./common.js";
import { prepareRoot, type RootInfo } from "./roots/package-root.js";

export type LaunchName = LaunchableVersion["name"];

interface LaunchableCommon {
  /** upstream version, as written after the @ */
  version: string;
  /** "system": the Debian 12 package installed on this machine; "root": a pinned root in the cache */
  source: "system" | "root";
  /** the Debian suite the packages come from */
  suite: "bookworm" | "bookworm-backports" | "trixie";
  /** the Debian package whose version names the target */
  mainPackage: string;
}

export type LaunchableVersion = LaunchableCommon & ({ role: "server"; name: "prosody" | "ejabberd" } | { role: "component"; name: "libervia-pubsub" });

export const LAUNCHABLE: readonly LaunchableVersion[] = [
  { name: "prosody", version: "0.12.3", role: "server", source: "system", suite: "bookworm", mainPackage: "prosody" },
  { name: "prosody", version: "13.0.1", role: "server", source: "root", suite: "bookworm-backports", mainPackage: "prosody" },
  { name: "ejabberd", version: "23.01", role: "server", source: "system", suite: "bookworm", mainPackage: "ejabberd" },
  { name: "ejabberd", version: "24.12", role: "server", source: "root", suite: "bookworm-backports", mainPackage: "ejabberd" },
  { name: "libervia-pubsub", version: "0.4.0", role: "component", source: "system", suite: "bookworm", mainPackage: "libervia-pubsub" },
  { name: "libervia-pubsub", version: "0.5.0", role: "component", source: "root", suite: "trixie", mainPackage: "libervia-pubsub" },
];

export const launchNames = (): LaunchName[] => [...new Set(LAUNCHABLE.map((v) => v.name))];

export const launchLabel = (v: { name: string; version: string }): string => `${v.name}@${v.version}`;

/** `--launch` text → the version it means; plain NAME is the system's. Unknown names and versions are one-line usage errors. */
export function resolveLaunch(text: string): LaunchableVersion {
  const at = text.indexOf("@");
  const name = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? undefined : text.slice(at + 1);
  const versions = LAUNCHABLE.filter((v) => v.name === name);
  if (versions.length === 0) {
    throw new UsageError(`--launch: unknown target '${text}' (known: ${launchNames().join(", ")}, or with a version: ${LAUNCHABLE.map(launchLabel).join(", ")})`);
  }
  const found = version === undefined ? versions.find((v) => v.source === "system") : versions.find((v) => v.version === version);
  if (!found) {
    const system = versions.find((v) => v.source === "system");
    throw new UsageError(
      `--launch: unknown version '${text}' (known: ${versions.map(launchLabel).join(", ")}${system ? `; plain '${name}' is ${launchLabel(system)}, Debian 12's` : ""})`,
    );
  }
  return found;
}

/** The lines of `run --help` that list what --launch accepts, one per name. */
export function launchHelpLines(indent: string): string[] {
  return launchNames().map((name) => {
    const versions = LAUNCHABLE.filter((v) => v.name === name).map((v) => `${launchLabel(v)} (${v.source === "system" ? "Debian 12, the default" : v.suite})`);
    return `${indent}${name}: ${versions.join(", ")}`;
  });
}

export interface PrepareLaunchOptions {
  /** progress while a root is built; default: oneProgressLine(process.stderr) */
  log?: (line: string) => void;
}

/**
 * A root's preparation as one progress line: "preparing NAME@VERSION root (first launch)…", completed
 * with "ready in N s: ROOT (SIZE)" on the same line when done. On a terminal the current stage shows on
 * the line meanwhile; in a log (CI) the stages are left out.
 */
export function oneProgressLine(stream: NodeJS.WriteStream = process.stderr): (line: string) => void {
  let head: string | undefined;
  return (line) => {
    const text = line.trim();
    const ready = text.match(/\bready in\b.*$/)?.[0];
    if (head === undefined) {
      head = text;
      stream.write(text);
    } else if (ready) {
      stream.write(`${stream.isTTY ? `\r\x1b[K${head}` : ""} ${ready}\n`);
    } else if (stream.isTTY) {
      stream.write(`\r\x1b[K${head} ${text}`);
    }
  };
}

/**
 * For a root version, its root: built on first use (one progress line), reused afterwards. Done before
 * the run starts, so a cold preparation (minutes for a chroot) never counts against the run's deadlines.
 * A root that cannot be prepared (no network, a pinned version gone from its suite) is a usage error.
 */
export async function prepareLaunch(wanted: LaunchableVersion, options: PrepareLaunchOptions = {}): Promise<RootInfo | undefined> {
  if (wanted.source !== "root") return undefined;
  const progress = options.log ?? oneProgressLine();
  let started = false;
  try {
    return await prepareRoot(wanted.name, wanted.version, { log: (line) => ((started = true), progress(line)) });
  } catch (err) {
    if (started && !options.log) process.stderr.write("\n"); // end the progress line before the error
    throw new UsageError(`--launch ${launchLabel(wanted)}: cannot prepare its root: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * For NAME@VERSION of a system package: an error message if the installed package is another version,
 * so that NAME@VERSION's pinned verdicts are never checked against another one (undefined when it
 * matches, or when the package is not installed: the launcher then says what to install).
 */
export async function systemVersionMismatch(wanted: LaunchableVersion): Promise<string | undefined> {
  if (wanted.source !== "system") return undefined;
  const installed = await packageVersion(wanted.mainPackage);
  // Debian versions: "0.12.3-1+deb12u1", "23.01-1", "0.4.0+hg473-1"
  if (installed === undefined || new RegExp(`^${wanted.version.replace(/\./g, "\\.")}([-+~]|$)`).test(installed)) return undefined;
  return `--launch ${launchLabel(wanted)}: the system's ${wanted.mainPackage} is ${installed}, not ${wanted.version}; use --launch ${wanted.name}`;
}
