import { ComponentListener, ServerActor } from "../../actors/server-actor.js";
import { Transcript } from "../../actors/transcript.js";
import { registerTargetSecrets } from "../../record/redact.js";
import { NS } from "../../protocol/namespaces.js";
import type { Need, Scenario } from "../../scenario/model.js";
import type { ComponentTarget } from "../../target/types.js";
import { parseXml } from "../../xml/element.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
import { componentEnvironment, componentUnsupported, serverRoleFor } from "./component-environment.js";

export class ComponentUnreachable extends Error {}

/**
 * A real managing entity (e.g. libervia-pubsub) that someone else starts and
 * that connects to the suite as to its server (XEP-0114).
 *
 * Connection policy: one listener on target.listenHost:listenPort for the
 * whole run. A real component connects once and keeps its stream, so every
 * scenario needs that one connection alone (exclusiveResources → "listener":
 * scenarios run one after the other). Each scenario's `server connects` reuses
 * the component's stream when it is still open (and sends the delegation
 * advertisement again, which replaces the previous one), or waits — up to the
 * connect timeout — for the component to reconnect when a previous scenario
 * closed it (`server disconnects`) or the component dropped it. Stanzas that
 * arrive between scenarios are handed to the next scenario's server actor.
 */
export class ComponentTargetDriver implements TargetDriver {
  readonly role = "component";
  private listener: ComponentListener | undefined;

  constructor(
    private readonly target: ComponentTarget,
    private readonly onClose: () => Promise<void> = async () => undefined,
    /**
     * Whether the start-up probe advertises. A component someone else runs is told its
     * delegations at once (scenarios can then never meet it "fresh", see Scenario.fresh); a
     * launched one is not, so that a fresh instance stays fresh for ME-SEC-03.
     */
    private readonly probeAdvertises = true,
    /** Who declares the target's features, for not-supported reasons ("target file", or a launcher). */
    private readonly declaredBy = "target file",
  ) {
    registerTargetSecrets(target);
  }

  /** The port the suite listens on (useful when target.listenPort is 0), 0 before prepare(). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** Listens, waits for the component's first handshake, and asks its software version (XEP-0092). */
  async prepare(): Promise<TargetDescription> {
    const listener = new ComponentListener({
      domain: this.target.domain,
      component: this.target.component,
      version: this.target.version,
      delegations: [this.target.delegations.plain],
      privileges: this.target.privileges,
      accounts: ["juliet", "romeo"],
    });
    await listener.listen(this.target.listenHost, this.target.listenPort);
    this.listener = listener;
    const probe = ServerActor.onListener("probe", listener, this.target.timeouts.connect);
    probe.attachTranscript(new Transcript());
    try {
      await (this.probeAdvertises ? probe.connect() : probe.adoptStream());
    } catch (err) {
      throw new ComponentUnreachable(
        `listening on ${this.target.listenHost}:${listener.port}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    let software: string | undefined;
    try {
      await probe.send(parseXml(`<iq type='get' id='probe-version' from='${this.target.domain}' to='${this.target.component.jid}'><query xmlns='${NS.version}'/></iq>`));
      const { stanza } = await probe.expect(parseXml(`<iq id='probe-version'/>`), this.target.timeouts.step, new Map());
      const query = stanza.getChild("query", NS.version);
      if (query) software = `${query.getChildText("name") ?? "?"} ${query.getChildText("version") ?? ""}`.trim();
    } catch {
      // no version: not a conformance matter
    } finally {
      await probe.dispose();
    }
    const version = this.target.version;
    // XEP-0356 is declared by granting privileges (ComponentTarget.privileges), in the revision of `version`.
    const specs = this.target.privileges ? { specs: { "0355": version, "0356": version } } : {};
    return { role: "component", name: this.target.name, software, protocolVersion: version, ...specs };
  }

  /** Client mode only when the target declares it (features.clientMode, catalogue section H). */
  unsupported(needs: Need[]): string | undefined {
    return componentUnsupported(needs, this.target.features, this.declaredBy);
  }

  async open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    const listener = this.listener;
    if (!listener) throw new Error("ComponentTargetDriver.open() before prepare()");
    listener.setRole(serverRoleFor(this.target, this.target.version, scenario));
    const server = ServerActor.onListener("server", listener, this.target.timeouts.connect);
    const env = componentEnvironment(this.target, this.target.version, server, uid, () => server.dispose());
    if (scenario.fresh && this.probeAdvertises) {
      env.notes = [
        "this component was already told its delegations (by the start-up probe or an earlier scenario): the hostile ordering before its server's first advertisement cannot be shown on a component the suite did not start",
      ];
    }
    return env;
  }

  /** The component's one connection: scenarios take turns. */
  exclusiveResources(_scenario: Scenario): string[] {
    return ["listener"];
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
    await this.onClose();
  }
}
