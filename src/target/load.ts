import { readFile } from "node:fs/promises";
import type { PrivilegeGrant } from "../protocol/privilege.js";
import type { Account, ComponentCredentials, ComponentTarget, Delegation, ServerFeatures, ServerLane, ServerTarget, Target } from "./types.js";
import { schemaProblems } from "./schema.js";

/** A target file is unusable; the message names the file and the field. */
export class TargetFileError extends Error {}

/** Problems listed in one error line; the rest are counted. */
const LISTED = 3;

/** Reads and validates a target file (JSON; see docs/target-file.md and src/target/target-file.schema.json). */
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

/** What a target file holds once the schema has accepted it: the types' fields, most of them optional. */
type Timeouts = Partial<ServerTarget["timeouts"]>;
interface ServerFile extends Partial<Omit<ServerTarget, "features" | "timeouts">> {
  role: "server";
  domain: string;
  c2sPort: number;
  componentPort: number;
  accounts: ServerTarget["accounts"];
  components: ServerTarget["components"];
  delegations: ServerTarget["delegations"];
  features?: Partial<ServerFeatures>;
  timeouts?: Timeouts;
}
interface ComponentFile extends Partial<Omit<ComponentTarget, "timeouts">> {
  role: "component";
  listenPort: number;
  domain: string;
  component: ComponentCredentials;
  delegations: ComponentTarget["delegations"];
  timeouts?: Timeouts;
}

/** Validates parsed JSON against the schema, then fills in the defaults (docs/target-file.md). */
export function parseTarget(data: unknown, file: string): Target {
  const problems = schemaProblems(data);
  if (problems.length) {
    const listed = problems.slice(0, LISTED).map((p) => `field '${p.field || "(top level)"}' ${p.message}`);
    const more = problems.length > LISTED ? ` (and ${problems.length - LISTED} more)` : "";
    throw new TargetFileError(`target file ${file}: ${listed.join("; ")}${more}`);
  }
  const valid = data as ServerFile | ComponentFile;
  return valid.role === "server" ? server(valid, file) : component(valid);
}

function server(f: ServerFile, file: string): ServerTarget {
  const foreignDomain = f.foreignDomain ?? "montague.example";
  const flag = (name: keyof ServerFeatures) => f.features?.[name] ?? false;
  return {
    role: "server",
    name: f.name ?? "server under test",
    host: f.host ?? "127.0.0.1",
    domain: f.domain,
    c2sPort: f.c2sPort,
    componentPort: f.componentPort,
    version: f.version ?? "auto",
    accounts: { juliet: account(f.accounts.juliet), romeo: account(f.accounts.romeo) },
    components: { ...components(f.components), ...privilegedComponents(f.components) },
    delegations: {
      plain: delegation(f.delegations.plain),
      filtered: f.delegations.filtered && delegation(f.delegations.filtered),
      // Client mode (#client_delegation, #security 2): what the suite's ME asks users for.
      client: f.delegations.client && delegation(f.delegations.client),
      clientFiltered: f.delegations.clientFiltered && delegation(f.delegations.clientFiltered),
    },
    undelegatedNamespace: f.undelegatedNamespace ?? "jabber:iq:version",
    foreignDomain,
    ...undelegatedDomain(f, foreignDomain, file),
    features: {
      filtering: flag("filtering"),
      bareDisco: flag("bareDisco"),
      remainingDiscoInfo: flag("remainingDiscoInfo"),
      remainingDiscoItems: flag("remainingDiscoItems"),
      clientMode: flag("clientMode"),
      keptGrants: flag("keptGrants"),
    },
    ...lanes(f, file),
    // XEP-0356: present, the target declares it (ServerTarget.privileges)
    ...(f.privileges ? { privileges: grants(f.privileges) } : {}),
    timeouts: timeouts(f.timeouts),
  };
}

/** SRV-FWD-11: the undelegated domain must be a second hosted domain, neither the delegating one nor the foreign one. */
function undelegatedDomain(f: ServerFile, foreign: string, file: string): { undelegatedDomain?: string } {
  const value = f.undelegatedDomain;
  if (value === undefined) return {};
  const wrong = (message: string) => new TargetFileError(`target file ${file}: field 'undelegatedDomain' ${message}`);
  if (value === f.domain) throw wrong("must be a second hosted domain, not 'domain' itself");
  if (value === foreign) throw wrong("must be a domain the server hosts, not 'foreignDomain'");
  return { undelegatedDomain: value };
}

/** Each lane is a delegating domain of its own: not `domain`, not the undelegated one, not another lane's. */
function lanes(f: ServerFile, file: string): { lanes?: ServerLane[] } {
  if (!f.lanes?.length) return {};
  const taken = new Set([f.domain, f.undelegatedDomain]);
  f.lanes.forEach((lane, i) => {
    if (taken.has(lane.domain)) throw new TargetFileError(`target file ${file}: field 'lanes.${i}.domain' must be a delegating domain of its own ('${lane.domain}' is taken)`);
    taken.add(lane.domain);
  });
  return { lanes: f.lanes.map((l) => ({ domain: l.domain, components: components(l.components) })) };
}

function component(f: ComponentFile): ComponentTarget {
  return {
    role: "component",
    name: f.name ?? "component under test",
    listenHost: f.listenHost ?? "127.0.0.1",
    listenPort: f.listenPort,
    domain: f.domain,
    component: credentials(f.component),
    version: f.version ?? 2,
    delegations: { plain: delegation(f.delegations.plain) },
    privileges: f.privileges && grant(f.privileges),
    // A component's optional features: only `clientMode` (#client_usecases, catalogue section H) for now.
    ...(f.features === undefined ? {} : { features: f.features.clientMode === undefined ? {} : { clientMode: f.features.clientMode } }),
    timeouts: timeouts(f.timeouts),
  };
}

// Copies, so that a run adjusting its target (e.g. --timeout) never writes into the caller's data.
function account(a: Account): Account {
  return { username: a.username, password: a.password };
}

function components(c: ServerLane["components"]): ServerLane["components"] {
  return { managing: credentials(c.managing), other: c.other && credentials(c.other) };
}

/** XEP-0356 (PRV-ROS-01): the target's further components, roster 'get' only and no roster permission; only the keys the file sets. */
function privilegedComponents(c: ServerTarget["components"]): Pick<ServerTarget["components"], "reader" | "messenger"> {
  return { ...(c.reader ? { reader: credentials(c.reader) } : {}), ...(c.messenger ? { messenger: credentials(c.messenger) } : {}) };
}

function grants(p: NonNullable<ServerTarget["privileges"]>): NonNullable<ServerTarget["privileges"]> {
  const optional = (["other", "reader", "messenger"] as const).flatMap((key) => (p[key] ? [[key, grant(p[key])] as const] : []));
  return { managing: grant(p.managing), ...Object.fromEntries(optional) };
}

function credentials(c: ComponentCredentials): ComponentCredentials {
  return { jid: c.jid, secret: c.secret, port: c.port };
}

/** A copy with only the keys the file sets (#server_roster, #auth_mess, #managed_ent_presence, #iq_stanzas). */
function grant(g: PrivilegeGrant): PrivilegeGrant {
  return {
    ...(g.roster !== undefined ? { roster: g.roster } : {}),
    ...(g.push !== undefined ? { push: g.push } : {}),
    ...(g.message !== undefined ? { message: g.message } : {}),
    ...(g.presence !== undefined ? { presence: g.presence } : {}),
    ...(g.iq !== undefined ? { iq: { ...g.iq } } : {}),
  };
}

function delegation(d: Delegation): Delegation {
  return { namespace: d.namespace, attributes: d.attributes && [...d.attributes] };
}

function timeouts(t: Timeouts = {}) {
  return { step: t.step ?? 3000, quiet: t.quiet ?? 600, connect: t.connect ?? 5000, giveUp: t.giveUp ?? 40_000 };
}
