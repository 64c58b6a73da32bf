import { NS } from "../../protocol/namespaces.js";
import { allowsType, hasRosterRead, privilegeNamespace, rosterPushes, type GetSetAccess, type PrivilegeGrant } from "../../protocol/privilege.js";
import type { Scenario } from "../../scenario/model.js";
import type { ServerTarget } from "../../target/types.js";

/**
 * What the PRV-* scenarios assume of a server target's XEP-0356 grants (docs/scenario-format.md: the
 * reference grants, mocks/server/options.ts `defaultPrivileges`), row by row: a scenario runs only on a
 * target whose `privileges` give each component it casts what its rows rely on; otherwise it is
 * not-supported, and the reason names the grant. A row not listed relies on nothing beyond a grant.
 */
type Check = (grant: PrivilegeGrant, ctx: { plain: string; priv: string }) => string | undefined;

const roster = (...types: GetSetAccess[]): Check => (g) => (types.includes(g.roster ?? "none") ? undefined : `roster ${types.map((t) => `'${t}'`).join(" or ")} (it has '${g.roster ?? "none"}')`);
const iq = (namespace: (ctx: { plain: string; priv: string }) => string, type: GetSetAccess, exactly = false): Check => (g, ctx) => {
  const ns = namespace(ctx);
  const has = g.iq?.[ns];
  // `type` both: both types granted; get or set: that type granted (allowsType: 'both' grants either)
  const ok = exactly ? has === type : type === "both" ? has === "both" : allowsType(has, type);
  return ok ? undefined : `IQ namespace ${ns} '${type}'${exactly ? " exactly" : ""} (it has ${has ? `'${has}'` : "none"})`;
};
const message: Check = (g) => (g.message === "outgoing" ? undefined : `message 'outgoing' (it has '${g.message ?? "none"}')`);
const presence = (...types: NonNullable<PrivilegeGrant["presence"]>[]): Check => (g) =>
  types.includes(g.presence ?? "none") ? undefined : `presence ${types.map((t) => `'${t}'`).join(" or ")} (it has '${g.presence ?? "none"}')`;
const pushes: Check = (g) => (rosterPushes(g) ? undefined : "roster pushes (roster 'get' or 'both', push not false)");
const noPushes: Check = (g) => (rosterPushes(g) ? `no roster pushes (roster 'none' or 'set', or push false; it has roster '${g.roster}')` : undefined);
const noMessage: Check = (g) => (g.message === "outgoing" ? "no message permission (it has 'outgoing')" : undefined);
const notIq = (ns: string): Check => (g) => (g.iq?.[ns] && g.iq[ns] !== "none" ? `no IQ namespace ${ns} (it has '${g.iq[ns]}')` : undefined);

const plain = (ctx: { plain: string }) => ctx.plain;
const version = () => NS.version;
const ping = () => NS.ping;

/** What each row needs of the managing component's grant (the privileged entity of most scenarios). */
const MANAGING: Readonly<Record<string, Check[]>> = {
  "PRV-ADV-02": [roster("both"), message, presence("roster")],
  "PRV-ADV-03": [roster("get", "both"), pushes],
  "PRV-ADV-04": [iq(plain, "both", true), iq(version, "get", true)],
  "PRV-ADV-06": [roster("get", "set", "both"), message, presence("managed_entity", "roster")],
  // the configuration must list the privilege namespace itself, for the server to refuse it
  "PRV-ADV-07": [iq((ctx) => ctx.priv, "both")],
  "PRV-GEN-01": [roster("both")],
  "PRV-GEN-02": [roster("both")],
  "PRV-ROS-02": [roster("both")],
  "PRV-ROS-03": [pushes],
  // the inner IQs are jabber:iq:version gets: refused for the row's reason, not for want of a grant
  "PRV-IQ-01": [iq(version, "get")],
  "PRV-IQ-02": [iq(version, "get"), notIq(NS.discoInfo)],
  "PRV-IQ-03": [iq(version, "get", true), iq(ping, "none", true)],
  "PRV-IQ-04": [iq(version, "get")],
  "PRV-IQ-05": [iq(version, "get")],
  "PRV-IQ-06": [iq(version, "get")],
  "PRV-IQ-07": [iq(version, "get")],
  "PRV-IQ-08": [iq(version, "get")],
  "PRV-IQ-09": [iq(plain, "set")],
  "PRV-MSG-01": [message],
  "PRV-MSG-02": [message],
  "PRV-MSG-03": [message],
  "PRV-MSG-04": [message],
  "PRV-PRE-01": [presence("managed_entity", "roster")],
  "PRV-PRE-02": [presence("managed_entity", "roster")],
  "PRV-PRE-03": [presence("roster")],
  "PRV-PRE-04": [presence("managed_entity", "roster")],
  "PRV-PRE-05": [presence("roster")],
};

/** What each row needs of the other component's grant, when the scenario casts it. */
const OTHER: Readonly<Record<string, Check[]>> = {
  "PRV-ROS-01": [roster("set")],
  "PRV-ROS-04": [noPushes],
  // presence 'roster' configured without roster read access, for the server to refuse it
  "PRV-ADV-05": [presence("roster"), (g) => (hasRosterRead(g) ? `no roster read access (it has '${g.roster}')` : undefined)],
  "PRV-MSG-03": [noMessage],
};

/** PRV-ROS-01: the reader's roster set is refused; it must hold roster 'get' and nothing more of the roster. */
const READER: Readonly<Record<string, Check[]>> = {
  "PRV-ROS-01": [roster("get")],
};

/**
 * PRV-ROS-01: the messenger's roster get and set are refused; it holds no roster permission ('none' or none
 * at all), but something the server advertises it (the scenario waits for the advertisement, as ejabberd
 * registers a component's permissions only as it sends it).
 */
const MESSENGER: Readonly<Record<string, Check[]>> = {
  "PRV-ROS-01": [roster("none"), (g) => (g.message === "outgoing" || (g.presence ?? "none") !== "none" || Object.keys(g.iq ?? {}).length ? undefined : "some permission other than roster, for the server to advertise (it has none)")],
};

/** The components a PRV-* scenario may cast, each with what its rows need of its grant, and what it is for when the target lacks it. */
const COMPONENTS = [
  ["managing", MANAGING, "the managing component"],
  ["other", OTHER, "a second component with no delegation"],
  ["reader", READER, "a component granted roster 'get' only"],
  ["messenger", MESSENGER, "a component granted no roster permission"],
] as const;

const PRV = /^PRV-/;

/**
 * Why this PRV-* scenario cannot run on the target's components and grants (`privileges.managing`, `.other`, `.reader`, `.messenger`), or
 * undefined. A scenario of another specification, or a target without `privileges`, is not this
 * function's business (execute.ts does not run PRV-* scenarios on a target that does not declare XEP-0356).
 */
export function privilegeUnsupported(scenario: Pick<Scenario, "requirements" | "cast">, target: Pick<ServerTarget, "privileges" | "delegations"> & { components?: ServerTarget["components"] }, revision: 1 | 2): string | undefined {
  const grants = target.privileges;
  if (!grants || !scenario.requirements.some((r) => PRV.test(r))) return undefined;
  const ctx = { plain: target.delegations.plain.namespace, priv: privilegeNamespace(revision) };
  const cast = new Set(scenario.cast.filter((c) => c.kind === "component").map((c) => c.ref));
  for (const [ref, table, what] of COMPONENTS) {
    if (!cast.has(ref)) continue;
    // PRV-ROS-01's further components are optional: a target without one cannot run the scenario casting it
    if (target.components && !target.components[ref]) return `target file has no components.${ref} (${what}), which ${scenario.requirements.find((r) => PRV.test(r))} needs`;
    const grant = grants[ref];
    const checks = scenario.requirements.flatMap((r) => (table[r] ?? []).map((check) => [r, check] as const));
    if (!checks.length) continue;
    if (!grant) return `target file grants components.${ref} no privileges (privileges.${ref}), which ${checks[0][0]} needs`;
    for (const [row, check] of checks) {
      const lacking = check(grant, ctx);
      if (lacking) return `${row} needs privileges.${ref} to grant ${lacking}`;
    }
  }
  return undefined;
}
