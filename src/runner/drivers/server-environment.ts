import type { Socket } from "node:net";
import type { Actor } from "../../actors/actor.js";
import { ClientActor } from "../../actors/client-actor.js";
import { ComponentActor } from "../../actors/component-actor.js";
import { PROBE_FORM_TYPE, nestingResponder, probeBareFeature, probeFeature } from "../../actors/nesting-responder.js";
import type { Transcript } from "../../actors/transcript.js";
import { delegationNamespace } from "../../protocol/namespaces.js";
import { privilegeNamespace } from "../../protocol/privilege.js";
import type { CastEntry } from "../../scenario/model.js";
import type { ProtocolVersion, ServerTarget } from "../../target/types.js";
import { ScenarioError } from "../context.js";
import type { Quiescence, ScenarioEnvironment } from "../environment.js";

/** Actors and variables for a server-role scenario against `target` (the mock or a real server). */
/** An embedded mock's quiescence and what counts the actors' sockets for it (MockServerDriver). */
export interface MockWire {
  quiescence: Quiescence;
  watch(socket: Socket): void;
}

/**
 * `version` is the XEP-0355 revision the target speaks; `privilege` the XEP-0356 one, detected on its own
 * (ServerTargetDriver: the privilege advertisement), the same by default (the embedded mock speaks both alike).
 */
export function serverEnvironment(target: ServerTarget, version: ProtocolVersion, close: () => Promise<void>, mock?: MockWire, privilege: ProtocolVersion = version): ScenarioEnvironment {
  const deleg = delegationNamespace(version);
  const plain = target.delegations.plain.namespace;
  const filtered = target.delegations.filtered;
  const variables: Record<string, string> = {
    server: target.domain,
    domain: target.domain,
    deleg,
    // XEP-0356 (PRV-*): the privilege namespace of the revision the target speaks (not necessarily the delegation one's).
    priv: privilegeNamespace(privilege),
    version: String(version),
    foreign: target.foreignDomain,
    "ns.plain": plain,
    "ns.undelegated": target.undelegatedNamespace,
    // Client mode (SRV-CLI-*): a namespace users may delegate, and one the server filters out (#security 2).
    "ns.client": target.delegations.client?.namespace ?? "jabber:iq:private",
    "ns.client.filtered": target.delegations.clientFiltered?.namespace ?? "jabber:iq:roster",
    "probe.plain": probeFeature(plain),
    "probe.bare.plain": probeBareFeature(plain),
    "probe.form": PROBE_FORM_TYPE,
  };
  if (target.undelegatedDomain) variables.undelegated = target.undelegatedDomain;
  if (filtered) {
    variables["ns.filtered"] = filtered.namespace;
    variables["attr.filtered"] = filtered.attributes?.[0] ?? "";
  }
  return {
    version,
    timeouts: target.timeouts,
    variables,
    close,
    quiescence: mock?.quiescence,
    createActor(entry: CastEntry, transcript: Transcript, uid: string): Actor {
      if (entry.kind === "client") {
        const account = target.accounts[entry.ref as keyof ServerTarget["accounts"]];
        if (!account) throw new ScenarioError(`cast: no account '${entry.ref}' in the target (juliet, romeo)`);
        return new ClientActor(
          entry.name,
          transcript,
          { host: target.host, port: target.c2sPort, domain: target.domain, connectTimeoutMs: target.timeouts.connect, onSocket: mock?.watch },
          account,
          `${entry.name}-${uid}`,
        );
      }
      if (entry.kind === "component") {
        const credentials = target.components[entry.ref as keyof ServerTarget["components"]];
        if (!credentials) throw new ScenarioError(`cast: no component '${entry.ref}' in the target (managing, other, reader, messenger)`);
        return new ComponentActor(
          entry.name,
          transcript,
          {
            host: target.host,
            port: credentials.port ?? target.componentPort,
            connectTimeoutMs: target.timeouts.connect,
            settleMs: entry.ref === "managing" ? target.timeouts.quiet : undefined,
            onSocket: mock?.watch,
            untilQuiet: mock && (async (deadline, waiting) => {
              if ((await mock.quiescence.settle(deadline, false)) !== "quiet" || !waiting()) return false;
              mock.quiescence.skipTo(deadline);
              return true;
            }),
          },
          credentials,
          entry.ref === "managing" ? nestingResponder(deleg) : undefined,
        );
      }
      throw new ScenarioError(`cast: '${entry.kind}' actors exist only in component-role scenarios`);
    },
  };
}
