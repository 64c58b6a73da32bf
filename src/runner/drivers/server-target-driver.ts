import { Transcript } from "../../actors/transcript.js";
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

/** A delegating server someone else runs (a target file) or the suite launched. Shared by all scenarios. */
export class ServerTargetDriver implements TargetDriver {
  readonly role = "server";
  private version: ProtocolVersion = 2;

  constructor(
    private readonly target: ServerTarget,
    private readonly onClose: () => Promise<void> = async () => undefined,
    /** Known software (a launched server); otherwise asked with XEP-0092. */
    private readonly software?: string,
  ) {}

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

  async open(): Promise<ScenarioEnvironment> {
    return serverEnvironment(this.target, this.version, async () => undefined);
  }

  /** One connection per component JID at a time: scenarios casting the same component run one after the other. */
  exclusiveResources(scenario: Scenario): string[] {
    return scenario.cast.filter((c) => c.kind === "component").map((c) => `component:${c.ref}`);
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
