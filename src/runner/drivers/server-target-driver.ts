import { Transcript } from "../../actors/transcript.js";
import { registerTargetSecrets } from "../../record/redact.js";
import { ClientActor } from "../../actors/client-actor.js";
import { ComponentActor } from "../../actors/component-actor.js";
import { managingNestingResponder } from "../../actors/nesting-responder.js";
import { NS } from "../../protocol/namespaces.js";
import type { Need, Scenario } from "../../scenario/model.js";
import type { ProtocolVersion, ServerTarget } from "../../target/types.js";
import { parseXml } from "../../xml/element.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
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
  /** One target per lane, the target itself first: its domain, its components. */
  private readonly lanes: ServerTarget[];
  private readonly freeLanes: number[];
  private readonly laneWaiters: ((lane: number) => void)[] = [];

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
        components: { managing: lane.components.managing, other: lane.components.other ?? target.components.other },
        lanes: undefined,
      })),
    ];
    this.freeLanes = this.lanes.map((_, i) => i);
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
      let detected = "";
      if (this.target.version === "auto") {
        const fromDisco = versionIn(features);
        const fromAdvertisement = fromDisco ? undefined : await this.advertisedVersion();
        this.version = fromDisco ?? fromAdvertisement ?? 2;
        detected = fromDisco
          ? ` (version detected from disco#info)`
          : fromAdvertisement
            ? ` (version detected from the delegation advertisement; disco#info lists none)`
            : ` (version not detectable: no disco#info feature, no advertisement; assumed urn:xmpp:delegation:2)`;
      } else {
        this.version = this.target.version;
      }
      return { role: "server", name: this.target.name + detected, software, protocolVersion: this.version };
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
    if (!this.laned(scenario)) return serverEnvironment(this.target, this.version, async () => undefined);
    const lane = await this.takeLane();
    // given back once the scenario's actors are gone (run-scenario disposes them before closing the environment)
    return serverEnvironment(this.lanes[lane], this.version, async () => this.giveBackLane(lane));
  }

  /**
   * One connection per component JID at a time: scenarios casting the same component run one after the
   * other. With lanes, a scenario casting a component needs the lane open() will hand it: the lowest free
   * one (the runner starts a scenario right after asking, and open() takes that lane before anything else
   * can), or, when all are taken, one held by a running scenario, so that the runner waits for a lane to
   * come free instead of starting a scenario that would wait in open(). A component the lanes share (the
   * target's `other`, when a lane has none of its own) is still taken in turns, by its JID.
   */
  exclusiveResources(scenario: Scenario): string[] {
    const components = scenario.cast.filter((c) => c.kind === "component");
    if (this.lanes.length === 1) return components.map((c) => `component:${c.ref}`);
    if (!this.laned(scenario)) return [];
    const lane = this.freeLanes.length ? Math.min(...this.freeLanes) : 0;
    const shared = components
      .filter((c) => c.ref !== "managing")
      .map((c) => `component:${this.lanes[lane].components[c.ref as keyof ServerTarget["components"]]?.jid ?? c.ref}`);
    return [`lane:${lane}`, ...new Set(shared)];
  }

  private laned(scenario: Scenario): boolean {
    return this.lanes.length > 1 && scenario.cast.some((c) => c.kind === "component");
  }

  /** The lowest free lane, or the first one given back (more scenarios at once than lanes). */
  private takeLane(): Promise<number> {
    if (this.freeLanes.length) {
      const lane = Math.min(...this.freeLanes);
      this.freeLanes.splice(this.freeLanes.indexOf(lane), 1);
      return Promise.resolve(lane);
    }
    return new Promise((resolve) => this.laneWaiters.push(resolve));
  }

  private giveBackLane(lane: number): void {
    const waiter = this.laneWaiters.shift();
    if (waiter) waiter(lane);
    else this.freeLanes.push(lane);
  }

  close(): Promise<void> {
    return this.onClose();
  }

  /**
   * Connects the managing component once and reads the namespace of the advertisement it gets.
   * It answers the nesting queries of both revisions as the run's managing entity will: Prosody asks
   * them only on the first connection of its process and keeps the answer (SRV-DSC-02/05/06), and
   * ejabberd advertises nothing until they are answered.
   */
  private async advertisedVersion(): Promise<ProtocolVersion | undefined> {
    const managing = this.target.components.managing;
    const me = new ComponentActor("probe-me", new Transcript(), {
      host: this.target.host,
      port: managing.port ?? this.target.componentPort,
      connectTimeoutMs: this.target.timeouts.connect,
      settleMs: this.target.timeouts.quiet * 3,
    }, managing, managingNestingResponder("auto"));
    try {
      await me.connect();
      const ns = me.received.find((el) => el.name === "message")?.getChildren("delegation").map((d) => String(d.attrs.xmlns))[0];
      return ns === "urn:xmpp:delegation:2" ? 2 : ns === "urn:xmpp:delegation:1" ? 1 : undefined;
    } catch {
      return undefined;
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

function versionIn(features: string[]): ProtocolVersion | undefined {
  if (features.includes("urn:xmpp:delegation:2")) return 2;
  if (features.includes("urn:xmpp:delegation:1")) return 1;
  return undefined;
}
