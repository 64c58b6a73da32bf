import { SlotPool } from "./slot-pool.js";
import { Transcript } from "../../actors/transcript.js";
import { registerTargetSecrets } from "../../record/redact.js";
import { ClientActor } from "../../actors/client-actor.js";
import { ComponentActor } from "../../actors/component-actor.js";
import { managingNestingResponder } from "../../actors/nesting-responder.js";
import { NS } from "../../protocol/namespaces.js";
import type { Need, Scenario } from "../../scenario/model.js";
import type { ProtocolVersion, ServerTarget } from "../../target/types.js";
import { parseXml, type Element } from "../../xml/element.js";
import { NotSupportedError } from "../context.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
import { privilegeUnsupported } from "./privilege-needs.js";
import { serverEnvironment } from "./server-environment.js";

export class TargetUnreachable extends Error {}

const NEED_FEATURE: Partial<Record<Need, keyof ServerTarget["features"]>> = {
  filtering: "filtering",
  bareDisco: "bareDisco",
  remainingDiscoInfo: "remainingDiscoInfo",
  remainingDiscoItems: "remainingDiscoItems",
  clientMode: "clientMode",
  keptGrants: "keptGrants",
};

/**
 * A delegating server someone else runs (a target file) or the suite launched. Shared by all scenarios.
 *
 * A server allows one connection per component JID, so scenarios casting a component cannot share one.
 * With one delegating domain they take turns (exclusiveResources). A target with lanes (ServerTarget.lanes:
 * further delegating domains, each with its own managing component, as the launchers configure) gives
 * each such scenario a lane of its own for its whole run, so they run side by side; scenarios casting
 * only users run on the first lane without holding it, as they always did.
 */
export class ServerTargetDriver implements TargetDriver {
  readonly role = "server";
  private version: ProtocolVersion = 2;
  /** XEP-0356 revision the server speaks (its privilege advertisement), independent of the delegation one. */
  private privilegeVersion: ProtocolVersion = 2;
  /** One target per lane, the target itself first: its domain, its components. */
  private readonly lanes: ServerTarget[];
  private readonly lanePool = new SlotPool();

  constructor(
    private readonly target: ServerTarget,
    private readonly onClose: () => Promise<void> = async () => undefined,
    /** Known software (a launched server); otherwise asked with XEP-0092. */
    private readonly software?: string,
  ) {
    registerTargetSecrets(target);
    this.lanes = [
      target,
      ...(target.lanes ?? []).map((lane) => ({
        ...target,
        domain: lane.domain,
        // reader and messenger (PRV-ROS-01) are the target's, shared by the lanes like a shared `other`
        components: { ...target.components, managing: lane.components.managing, other: lane.components.other ?? target.components.other },
        lanes: undefined,
      })),
    ];
    this.lanePool.fill(this.lanes.length);
  }

  async prepare(): Promise<TargetDescription> {
    const probe = new ClientActor("probe", new Transcript(), this.endpoint(), this.target.accounts.juliet, `probe-${process.pid}`);
    try {
      await probe.connect();
    } catch (err) {
      await probe.dispose();
      const where = `${this.target.accounts.juliet.username} on ${this.target.host}:${this.target.c2sPort}`;
      // A refused login is a set-up mistake in the target file, not an unreachable server: say which credential.
      if (err instanceof Error && err.name === "SASLError") {
        throw new TargetUnreachable(`set-up error: the target refused the login of ${where} (${(err as Error & { condition?: string }).condition ?? err.message}): check accounts.juliet (username, password) in the target file`);
      }
      throw new TargetUnreachable(`cannot log in as ${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const info = await this.query(probe, `<iq type='get' id='probe-disco' to='${this.target.domain}'><query xmlns='${NS.discoInfo}'/></iq>`, "probe-disco");
      const features = info?.getChild("query", NS.discoInfo)?.getChildren("feature").map((f) => String(f.attrs.var)) ?? [];
      const version = await this.query(probe, `<iq type='get' id='probe-version' to='${this.target.domain}'><query xmlns='${NS.version}'/></iq>`, "probe-version");
      const query = version?.getChild("query", NS.version);
      const software = this.software ?? (query ? `${query.getChildText("name") ?? "?"} ${query.getChildText("version") ?? ""}`.trim() : undefined);
      // One connection as the managing component reads both advertisements, when either is needed from the wire.
      const wantDelegation = this.target.version === "auto" && !versionIn(features);
      const advertised = wantDelegation || this.target.privileges ? await this.advertisements() : {};
      let detected = "";
      if (this.target.version === "auto") {
        const fromDisco = versionIn(features);
        const fromAdvertisement = fromDisco ? undefined : advertised.delegation;
        this.version = fromDisco ?? fromAdvertisement ?? 2;
        detected = fromDisco
          ? ` (version detected from disco#info)`
          : fromAdvertisement
            ? ` (version detected from the delegation advertisement; disco#info lists none)`
            : ` (version not detectable: no disco#info feature, no advertisement; assumed urn:xmpp:delegation:2)`;
      } else {
        this.version = this.target.version;
      }
      const specs: TargetDescription["specs"] = { "0355": this.version };
      if (this.target.privileges) {
        const privilege = privilegeRevision(advertised.privilege, features, this.target.components.managing.jid);
        this.privilegeVersion = privilege.version;
        specs["0356"] = privilege.version;
        // printed with the target, as the delegation revision's detection is
        detected += ` (${privilege.how})`;
      }
      return { role: "server", name: this.target.name + detected, software, protocolVersion: this.version, specs };
    } finally {
      await probe.dispose();
    }
  }

  unsupported(needs: Need[]): string | undefined {
    for (const need of needs) {
      const feature = NEED_FEATURE[need];
      if (feature && !this.target.features[feature]) return `target file does not declare features.${feature}`;
      if (need === "filtering" && !this.target.delegations.filtered) return "target file has no filtered delegation";
      if (need === "otherComponent" && !this.target.components.other) return "target file has no second component (components.other)";
      if (need === "undelegatedDomain" && !this.target.undelegatedDomain) return "target file has no second, undelegated hosted domain (undelegatedDomain)";
    }
    return undefined;
  }

  async open(scenario: Scenario): Promise<ScenarioEnvironment> {
    // XEP-0356: a PRV-* scenario whose rows rely on a grant the target's configuration does not give
    const lacking = privilegeUnsupported(scenario, this.target, this.privilegeVersion);
    if (lacking) throw new NotSupportedError(lacking);
    if (!this.laned(scenario)) return serverEnvironment(this.target, this.version, async () => undefined, undefined, this.privilegeVersion);
    const lane = await this.lanePool.take();
    // given back once the scenario's actors are gone (run-scenario disposes them before closing the environment)
    return serverEnvironment(this.lanes[lane], this.version, async () => this.lanePool.giveBack(lane), undefined, this.privilegeVersion);
  }

  /**
   * One connection per component JID at a time: scenarios casting the same component run one after the
   * other. With lanes, a scenario casting a component needs the lane open() will hand it: the lowest free
   * one (the runner starts a scenario right after asking, and open() takes that lane before anything else
   * can), or, when all are taken, one held by a running scenario, so that the runner waits for a lane to
   * come free instead of starting a scenario that would wait in open(). A component the lanes share (the
   * target's `other`, when a lane has none of its own; `reader`, `messenger`) is still taken in turns, by its JID.
   */
  exclusiveResources(scenario: Scenario): string[] {
    const components = scenario.cast.filter((c) => c.kind === "component");
    if (this.lanes.length === 1) return components.map((c) => `component:${c.ref}`);
    if (!this.laned(scenario)) return [];
    const lane = this.lanePool.next();
    const shared = components
      .filter((c) => c.ref !== "managing")
      .map((c) => `component:${this.lanes[lane].components[c.ref as keyof ServerTarget["components"]]?.jid ?? c.ref}`);
    return [`lane:${lane}`, ...new Set(shared)];
  }

  private laned(scenario: Scenario): boolean {
    return this.lanes.length > 1 && scenario.cast.some((c) => c.kind === "component");
  }

  close(): Promise<void> {
    return this.onClose();
  }

  /**
   * Connects the managing component once and reads the namespaces of the advertisements it gets: the
   * delegation one (XEP-0355) and the privilege one (XEP-0356 #advertise_roster), each of its own revision.
   * It answers the nesting queries of both revisions as the run's managing entity will: Prosody asks
   * them only on the first connection of its process and keeps the answer (SRV-DSC-02/05/06), and
   * ejabberd advertises nothing until they are answered.
   */
  private async advertisements(): Promise<{ delegation?: ProtocolVersion; privilege?: ProtocolVersion }> {
    const managing = this.target.components.managing;
    const me = new ComponentActor("probe-me", new Transcript(), {
      host: this.target.host,
      port: managing.port ?? this.target.componentPort,
      connectTimeoutMs: this.target.timeouts.connect,
      settleMs: this.target.timeouts.quiet * 3,
    }, managing, managingNestingResponder("auto"));
    try {
      await me.connect();
      // the privilege advertisement may follow the delegation one: wait for it a little (not at all once it is in)
      if (this.target.privileges) await until(() => advertisedIn(me.received, "privilege") !== undefined, this.target.timeouts.quiet * 3);
      return { delegation: advertisedIn(me.received, "delegation"), privilege: advertisedIn(me.received, "privilege") };
    } catch {
      return {};
    } finally {
      await me.dispose();
    }
  }

  private endpoint() {
    return { host: this.target.host, port: this.target.c2sPort, domain: this.target.domain, connectTimeoutMs: this.target.timeouts.connect };
  }

  private async query(actor: ClientActor, xml: string, id: string) {
    await actor.send(parseXml(xml));
    try {
      return (await actor.expect(parseXml(`<iq id='${id}'/>`), this.target.timeouts.step, new Map())).stanza;
    } catch {
      return undefined;
    }
  }
}

/** Resolves once `done()` holds or after `ms`, whichever is first. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The revision of the first `<delegation/>` or `<privilege/>` advertisement among the stanzas (urn:xmpp:NAME:N). */
function advertisedIn(stanzas: readonly Element[], name: "delegation" | "privilege"): ProtocolVersion | undefined {
  const namespaces = stanzas.filter((el) => el.name === "message").flatMap((el) => el.getChildren(name).map((c) => String(c.attrs.xmlns)));
  for (const ns of namespaces) {
    if (ns === `urn:xmpp:${name}:2`) return 2;
    if (ns === `urn:xmpp:${name}:1`) return 1;
  }
  return undefined;
}

/**
 * XEP-0356's revision, independent of XEP-0355's (ejabberd 23.01 speaks delegation :1 and privilege :1,
 * ejabberd 24.12 delegation :1 and privilege :2): the namespace of the advertisement the managing
 * component got (#advertise_roster), else a privilege feature of the server's disco#info, else assumed :2.
 */
export function privilegeRevision(advertised: ProtocolVersion | undefined, features: readonly string[], managing: string): { version: ProtocolVersion; how: string } {
  if (advertised) return { version: advertised, how: `XEP-0356 urn:xmpp:privilege:${advertised} detected from the privilege advertisement to ${managing}` };
  const fromDisco = features.includes("urn:xmpp:privilege:2") ? 2 : features.includes("urn:xmpp:privilege:1") ? 1 : undefined;
  if (fromDisco) return { version: fromDisco, how: `XEP-0356 urn:xmpp:privilege:${fromDisco} detected from disco#info; no privilege advertisement to ${managing}` };
  return { version: 2, how: `XEP-0356 revision not detectable: no privilege advertisement to ${managing}, no disco#info feature; assumed urn:xmpp:privilege:2` };
}

function versionIn(features: string[]): ProtocolVersion | undefined {
  if (features.includes("urn:xmpp:delegation:2")) return 2;
  if (features.includes("urn:xmpp:delegation:1")) return 1;
  return undefined;
}
