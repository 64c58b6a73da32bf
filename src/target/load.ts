import { readFile } from "node:fs/promises";
import type { ComponentTarget, ServerTarget, Target } from "./types.js";

/** A target file is unusable; the message names the file and the field. */
export class TargetFileError extends Error {}

type Json = Record<string, unknown>;

/** Reads and validates a target file (JSON; see docs/target-file.md). */
export async function loadTargetFile(path: string): Promise<Target> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new TargetFileError(`target file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TargetFileError(`target file ${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseTarget(data, path);
}

export function parseTarget(data: unknown, file: string): Target {
  const f = new Fields(file);
  const root = f.object(data, "");
  const role = f.oneOf(root, "role", ["server", "component"]);
  return role === "server" ? parseServer(root, f) : parseComponent(root, f);
}

/** SRV-FWD-11: the undelegated domain must be a second hosted domain, neither the delegating one nor the foreign one. */
function undelegatedDomain(root: Json, f: Fields, domain: string, foreign: string): { undelegatedDomain?: string } {
  if (root.undelegatedDomain === undefined) return {};
  const value = f.string(root.undelegatedDomain, "undelegatedDomain");
  if (value === domain) throw f.error("undelegatedDomain", "must be a second hosted domain, not 'domain' itself");
  if (value === foreign) throw f.error("undelegatedDomain", "must be a domain the server hosts, not 'foreignDomain'");
  return { undelegatedDomain: value };
}

function parseServer(root: Json, f: Fields): ServerTarget {
  const accounts = f.object(root.accounts, "accounts");
  const components = f.object(root.components, "components");
  const delegations = f.object(root.delegations, "delegations");
  const features = root.features === undefined ? {} : f.object(root.features, "features");
  const flag = (name: string) => (features[name] === undefined ? false : f.boolean(features[name], `features.${name}`));
  const version = root.version === undefined ? "auto" : f.oneOf(root, "version", ["auto", 1, 2]);
  const domain = f.string(root.domain, "domain");
  const foreignDomain = root.foreignDomain === undefined ? "montague.example" : f.string(root.foreignDomain, "foreignDomain");
  return {
    role: "server",
    name: root.name === undefined ? "server under test" : f.string(root.name, "name"),
    host: root.host === undefined ? "127.0.0.1" : f.string(root.host, "host"),
    domain,
    c2sPort: f.port(root.c2sPort, "c2sPort"),
    componentPort: f.port(root.componentPort, "componentPort"),
    version: version as ServerTarget["version"],
    accounts: { juliet: account(f, accounts.juliet, "accounts.juliet"), romeo: account(f, accounts.romeo, "accounts.romeo") },
    components: {
      managing: credentials(f, components.managing, "components.managing"),
      other: components.other === undefined ? undefined : credentials(f, components.other, "components.other"),
    },
    delegations: {
      plain: delegation(f, delegations.plain, "delegations.plain"),
      filtered: delegations.filtered === undefined ? undefined : delegation(f, delegations.filtered, "delegations.filtered", true),
      // Client mode (#client_delegation, #security 2): what the suite's ME asks users for.
      client: delegations.client === undefined ? undefined : delegation(f, delegations.client, "delegations.client"),
      clientFiltered: delegations.clientFiltered === undefined ? undefined : delegation(f, delegations.clientFiltered, "delegations.clientFiltered"),
    },
    undelegatedNamespace: root.undelegatedNamespace === undefined ? "jabber:iq:version" : f.string(root.undelegatedNamespace, "undelegatedNamespace"),
    foreignDomain,
    ...undelegatedDomain(root, f, domain, foreignDomain),
    features: {
      filtering: flag("filtering"),
      bareDisco: flag("bareDisco"),
      remainingDiscoInfo: flag("remainingDiscoInfo"),
      remainingDiscoItems: flag("remainingDiscoItems"),
      clientMode: flag("clientMode"),
      keptGrants: flag("keptGrants"),
    },
    timeouts: timeouts(f, root.timeouts),
  };
}

function parseComponent(root: Json, f: Fields): ComponentTarget {
  const delegations = f.object(root.delegations, "delegations");
  const version = root.version === undefined ? 2 : f.oneOf(root, "version", [1, 2]);
  return {
    role: "component",
    name: root.name === undefined ? "component under test" : f.string(root.name, "name"),
    listenHost: root.listenHost === undefined ? "127.0.0.1" : f.string(root.listenHost, "listenHost"),
    listenPort: f.port(root.listenPort, "listenPort"),
    domain: f.string(root.domain, "domain"),
    component: credentials(f, root.component, "component"),
    version: version as 1 | 2,
    delegations: { plain: delegation(f, delegations.plain, "delegations.plain") },
    privileges: root.privileges === undefined ? undefined : (f.object(root.privileges, "privileges") as ComponentTarget["privileges"]),
    ...componentFeatures(root, f),
    timeouts: timeouts(f, root.timeouts),
  };
}

/** A component's optional features: only `clientMode` (#client_usecases, catalogue section H) for now. */
function componentFeatures(root: Json, f: Fields): { features?: ComponentTarget["features"] } {
  if (root.features === undefined) return {};
  const features = f.object(root.features, "features");
  for (const name of Object.keys(features)) {
    if (name !== "clientMode") throw f.error(`features.${name}`, "is not a component feature (known: clientMode)");
  }
  return { features: features.clientMode === undefined ? {} : { clientMode: f.boolean(features.clientMode, "features.clientMode") } };
}

function account(f: Fields, value: unknown, path: string) {
  const o = f.object(value, path);
  return { username: f.string(o.username, `${path}.username`), password: f.string(o.password, `${path}.password`) };
}

function credentials(f: Fields, value: unknown, path: string) {
  const o = f.object(value, path);
  return {
    jid: f.string(o.jid, `${path}.jid`),
    secret: f.string(o.secret, `${path}.secret`),
    port: o.port === undefined ? undefined : f.port(o.port, `${path}.port`),
  };
}

function delegation(f: Fields, value: unknown, path: string, needsAttributes = false) {
  const o = f.object(value, path);
  const attributes = o.attributes === undefined ? undefined : f.stringList(o.attributes, `${path}.attributes`);
  if (needsAttributes && !attributes?.length) throw f.error(`${path}.attributes`, "must list at least one filtering attribute");
  return { namespace: f.string(o.namespace, `${path}.namespace`), attributes };
}

function timeouts(f: Fields, value: unknown) {
  const o = value === undefined ? {} : f.object(value, "timeouts");
  const ms = (name: string, fallback: number) => (o[name] === undefined ? fallback : f.positive(o[name], `timeouts.${name}`));
  return { step: ms("step", 3000), quiet: ms("quiet", 600), connect: ms("connect", 5000), giveUp: ms("giveUp", 40_000) };
}

class Fields {
  constructor(private readonly file: string) {}

  error(path: string, message: string): TargetFileError {
    return new TargetFileError(`target file ${this.file}: field '${path || "(top level)"}' ${message}`);
  }

  object(value: unknown, path: string): Json {
    if (value === undefined) throw this.error(path, "is missing");
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw this.error(path, "must be an object");
    return value as Json;
  }

  string(value: unknown, path: string): string {
    if (value === undefined) throw this.error(path, "is missing");
    if (typeof value !== "string" || value === "") throw this.error(path, "must be a non-empty string");
    return value;
  }

  stringList(value: unknown, path: string): string[] {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw this.error(path, "must be a list of strings");
    return value as string[];
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== "boolean") throw this.error(path, "must be true or false");
    return value;
  }

  port(value: unknown, path: string): number {
    if (value === undefined) throw this.error(path, "is missing");
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) throw this.error(path, "must be a port number (0-65535)");
    return value as number;
  }

  positive(value: unknown, path: string): number {
    if (typeof value !== "number" || !(value > 0)) throw this.error(path, "must be a positive number of milliseconds");
    return value;
  }

  oneOf<T extends string | number>(o: Json, key: string, allowed: T[]): T {
    const value = o[key];
    if (value === undefined) throw this.error(key, `is missing (one of: ${allowed.join(", ")})`);
    if (!allowed.includes(value as T)) throw this.error(key, `must be one of: ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
    return value as T;
  }
}
