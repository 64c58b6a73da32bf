import type { Actor } from "../../actors/actor.js";
import type { ServerActor, ServerRole } from "../../actors/server-actor.js";
import type { Transcript } from "../../actors/transcript.js";
import { VirtualUser } from "../../actors/virtual-user.js";
import { NS, bareNestingNode, delegationNamespace, nestingNode } from "../../protocol/namespaces.js";
import { privilegeNamespace } from "../../protocol/privilege.js";
import type { CastEntry, Need, Scenario } from "../../scenario/model.js";
import type { ComponentTarget, ProtocolVersion } from "../../target/types.js";
import { ScenarioError } from "../context.js";
import type { ScenarioEnvironment } from "../environment.js";

/** A domain the suite's server does not host (forged forwards and advertisements, ME-SEC-01). */
export const FOREIGN_DOMAIN = "montague.example";
/** A namespace never delegated to the component under test (ME-ROB-01). */
export const UNDELEGATED_NAMESPACE = NS.version;
/** Accounts that exist on the suite's server whatever the cast (the rest get RFC 6121 errors). */
export const DEFAULT_ACCOUNTS = ["juliet", "romeo"];

/**
 * Why a component-role scenario with these needs cannot run on a component declaring `features`
 * (TargetDriver.unsupported), or undefined. The one optional feature of a managing entity is
 * client mode (#client_usecases, catalogue section H, `features.clientMode`); the other needs are
 * a delegating server's.
 */
export function componentUnsupported(needs: Need[], features: ComponentTarget["features"], declaredBy = "target file"): string | undefined {
  const serverOnly = needs.filter((n) => n !== "clientMode");
  if (serverOnly.length) return `component-role targets have no optional server features (${serverOnly.join(", ")})`;
  if (needs.includes("clientMode") && !features?.clientMode) return `${declaredBy} does not declare features.clientMode`;
  return undefined;
}

/** What the suite, as server, advertises and answers in one scenario: the target's settings plus the cast's users. */
export function serverRoleFor(target: ComponentTarget, version: ProtocolVersion, scenario: Scenario): ServerRole {
  const users = scenario.cast.filter((c) => c.kind === "client").map((c) => c.ref);
  return {
    domain: target.domain,
    component: target.component,
    version,
    delegations: [target.delegations.plain],
    privileges: target.privileges,
    accounts: [...new Set([...DEFAULT_ACCOUNTS, ...users])],
  };
}

/**
 * Actors and variables for a component-role scenario: the suite is the
 * server (`server: server` in the cast, the given ServerActor), users are
 * virtual (addresses only), and there are no other components.
 */
export function componentEnvironment(
  target: ComponentTarget,
  version: ProtocolVersion,
  server: ServerActor,
  uid: string,
  close: () => Promise<void>,
): ScenarioEnvironment {
  const deleg = delegationNamespace(version);
  const plain = target.delegations.plain.namespace;
  const variables: Record<string, string> = {
    server: target.domain,
    domain: target.domain,
    component: target.component.jid,
    deleg,
    // XEP-0356: the revision the component speaks, and the other one (PE-ADV-01: not its advertisement).
    priv: privilegeNamespace(version),
    "priv.other": privilegeNamespace(version === 2 ? 1 : 2),
    version: String(version),
    foreign: FOREIGN_DOMAIN,
    uid,
    "ns.plain": plain,
    "ns.undelegated": UNDELEGATED_NAMESPACE,
    "node.plain": nestingNode(version, plain),
    "node.bare.plain": bareNestingNode(version, plain),
  };
  let serverCast: string | undefined;
  return {
    version,
    timeouts: target.timeouts,
    variables,
    close,
    createActor(entry: CastEntry, transcript: Transcript, actorUid: string): Actor {
      if (entry.kind === "server") {
        if (serverCast) throw new ScenarioError(`cast: '${entry.name}' and '${serverCast}' are both the server; there is one server`);
        serverCast = entry.name;
        server.attachTranscript(transcript, entry.name);
        return server;
      }
      if (entry.kind === "client") return new VirtualUser(entry.name, entry.ref, target.domain, `${entry.name}-${actorUid}`);
      throw new ScenarioError(
        `cast: '${entry.name}: component' — in the component role the component is the target itself; cast 'server: server' and virtual users`,
      );
    },
  };
}
