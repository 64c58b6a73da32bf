import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ComponentCredentials, ServerLane, ServerTarget } from "../target/types.js";

export const HOST = "127.0.0.1";
export const DOMAIN = "capulet.test";
export const FOREIGN_DOMAIN = "montague.example";
/** SRV-FWD-11: a second domain both launchers host, with juliet and romeo, where delegation is not activated. */
export const UNDELEGATED_DOMAIN = `undelegated.${DOMAIN}`;

export function secret(): string {
  return randomBytes(12).toString("hex");
}

export function missingPaths(paths: string[]): string[] {
  return paths.filter((p) => !fs.existsSync(p));
}

export function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Debian package version, or undefined if dpkg does not know it. */
export async function packageVersion(pkg: string): Promise<string | undefined> {
  try {
    const v = (await run("dpkg-query", ["-W", "-f", "${Version}", pkg])).trim();
    return v || undefined;
  } catch {
    return undefined;
  }
}

/** Where the server's own logs go: a directory named like the temp dir inside the caller's logDir (kept), or the temp dir. */
export async function logDirFor(runDir: string, logDir: string | undefined): Promise<string> {
  if (!logDir) return runDir;
  // absolute: the servers' own tools resolve paths against other directories
  const dir = path.join(path.resolve(logDir), path.basename(runDir));
  await fs.promises.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * How many delegating domains ("lanes") a launched server gets: scenarios that cast the managing
 * component each take one for themselves, so as many run at once as the runner allows (its default
 * concurrency is 16).
 */
export const DEFAULT_LANES = 16;

/**
 * Lane n ≥ 2: its own delegating domain under DOMAIN with its own managing component. The component
 * with no delegation (`other`) stays the first lane's, shared: few scenarios cast it, and every
 * component is one more host for the server to start (Prosody 13: tens of ms each).
 */
function extraLanes(count: number): ServerLane[] {
  return Array.from({ length: Math.max(0, count - 1) }, (_, i) => {
    const domain = `l${i + 2}.${DOMAIN}`;
    return { domain, components: { managing: { jid: `pubsub.${domain}`, secret: secret() } } };
  });
}

/** Every lane of a target, its own domain and components first. */
export function allLanes(target: ServerTarget): ServerLane[] {
  return [{ domain: target.domain, components: target.components }, ...(target.lanes ?? [])];
}

/** Every component of every lane: what a server's configuration must let in. */
export function allComponents(target: ServerTarget): ComponentCredentials[] {
  return allLanes(target).flatMap((l) => [l.components.managing, l.components.other].filter((c) => c !== undefined));
}

/** The domains where accounts juliet and romeo exist: each lane's, and the undelegated one (SRV-FWD-11). */
export function accountDomains(target: ServerTarget): string[] {
  return [...allLanes(target).map((l) => l.domain), ...(target.undelegatedDomain ? [target.undelegatedDomain] : [])];
}

/** Accounts, component secrets and ports that both launchers fill in the same way. */
export function baseTarget(
  name: string,
  ports: { c2s: number; component: number },
  rest: Pick<ServerTarget, "version" | "delegations" | "features" | "timeouts">,
  lanes = 1,
): ServerTarget {
  return {
    role: "server",
    name,
    host: HOST,
    domain: DOMAIN,
    c2sPort: ports.c2s,
    componentPort: ports.component,
    accounts: {
      juliet: { username: "juliet", password: secret() },
      romeo: { username: "romeo", password: secret() },
    },
    components: {
      managing: { jid: `pubsub.${DOMAIN}`, secret: secret() },
      other: { jid: `other.${DOMAIN}`, secret: secret() },
    },
    undelegatedNamespace: "jabber:iq:version",
    foreignDomain: FOREIGN_DOMAIN,
    undelegatedDomain: UNDELEGATED_DOMAIN,
    ...(lanes > 1 ? { lanes: extraLanes(lanes) } : {}),
    ...rest,
  };
}

/** Namespaces a target delegates to its managing component, with their filtering attributes. */
export function delegatedNamespaces(target: ServerTarget): { namespace: string; attributes: string[] }[] {
  const list = [target.delegations.plain, target.delegations.filtered]
    .filter((d) => d !== undefined)
    .map((d) => ({ namespace: d.namespace, attributes: d.attributes ?? [] }));
  if (target.features.remainingDiscoInfo) list.push({ namespace: "urn:xmpp:delegation:2:bare:disco#info:*", attributes: [] });
  if (target.features.remainingDiscoItems) list.push({ namespace: "urn:xmpp:delegation:2:bare:disco#items:*", attributes: [] });
  return list;
}

/**
 * SRV-ADV-05: the namespaces of XEP-0355 itself, which a careless administrator delegates too and which
 * a server must neither advertise nor forward "whatever the configuration says" (#rules 5). The launchers
 * configure them on purpose, so the rule is provoked rather than trivially met.
 */
export function selfDelegationNamespaces(version: ServerTarget["version"]): string[] {
  if (version === "auto") return ["urn:xmpp:delegation:2", "urn:xmpp:delegation:1"];
  return [`urn:xmpp:delegation:${version}`];
}
