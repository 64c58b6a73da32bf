import type { Need, Scenario } from "../../scenario/model.js";
import type { ComponentLauncher, ComponentLaunchOptions, LaunchedComponent } from "../../launchers/component-launcher.js";
import type { ScenarioEnvironment, TargetDescription, TargetDriver } from "../environment.js";
import { componentUnsupported } from "./component-environment.js";
import { ComponentTargetDriver } from "./component-target-driver.js";

/** Where the time of a launched run went, ms. */
export interface LaunchedRunTimings {
  /** launch(): database, config */
  setupMs?: number;
  setupPhases?: Record<string, number>;
  /** from starting the component to its handshake and version answer */
  connectMs?: number;
  /** prepare() as a whole: setupMs + listening + connectMs */
  prepareMs?: number;
  /** from the end of prepare() to close(): the scenarios */
  suiteMs?: number;
  /** close(): the listener, the component, the database, the files */
  teardownMs?: number;
}

/**
 * A component under test that the suite launches itself (e.g. libervia-pubsub
 * with its PostgreSQL), wrapped around the ComponentTargetDriver that plays its
 * server: prepare() launches, listens, starts the component and waits for its
 * handshake; close() closes the listener and stops everything, also after a
 * failed prepare().
 *
 * No scenario of the component suite closes the component's stream, so the one
 * connection serves the whole run; should the component's process die, the
 * scenarios that follow fail at once with its exit status and log (instead of
 * each waiting the connect timeout for a reconnection that cannot come).
 */
export class LaunchedComponentDriver implements TargetDriver {
  readonly role = "component";
  readonly timings: LaunchedRunTimings = {};
  private launched: LaunchedComponent | undefined;
  private inner: ComponentTargetDriver | undefined;
  private died: string | undefined;
  private preparedAt = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly launcher: ComponentLauncher,
    private readonly options: ComponentLaunchOptions = {},
  ) {}

  /** The launched component (its target: ports, JID), once prepare() has launched it. */
  get component(): LaunchedComponent | undefined {
    return this.launched;
  }

  /**
   * The launcher picks the listen port before the suite binds it: another
   * program may take it meanwhile (seen with tests running in parallel), so
   * a port conflict relaunches on fresh ports.
   */
  async prepare(): Promise<TargetDescription> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.prepareOnce();
      } catch (err) {
        const conflict = /EADDRINUSE/.test(err instanceof Error ? err.message : String(err));
        if (!conflict || attempt >= 3 || this.closing) throw err;
        await this.launched?.stop();
        this.launched = undefined;
        this.inner = undefined;
      }
    }
  }

  private async prepareOnce(): Promise<TargetDescription> {
    const began = Date.now();
    const launched = await this.launcher.launch(this.options);
    this.launched = launched;
    this.timings.setupMs = launched.timings.setupMs;
    this.timings.setupPhases = launched.timings.setupPhases;
    void launched.exited.then((why) => (this.died = why));
    if (this.closing) {
      await launched.stop();
      throw new Error(`${this.launcher.name}: closed while launching`);
    }

    const inner = new ComponentTargetDriver(launched.target, async () => undefined, false, this.declaredBy);
    this.inner = inner;
    // ComponentTargetDriver.prepare() listens, then waits for the handshake: start the component as soon as
    // its listener is up (the component's reconnect back-off grows when nothing listens: 2 s, 7 s, 20 s).
    let settled = false;
    const ready = inner.prepare().finally(() => (settled = true));
    ready.catch(() => undefined); // awaited below; not "unhandled" meanwhile
    await waitUntil(() => inner.port !== 0 || settled);
    if (inner.port === 0) await ready; // could not listen: rethrows why
    const connecting = Date.now();
    await launched.start();
    const description = await Promise.race([
      ready,
      launched.exited.then((why): never => {
        throw new Error(`${this.launcher.name} stopped before connecting: ${why}`);
      }),
    ]).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(this.died || /stopped before connecting/.test(message) ? message : `${message}\n${launched.logs()}`);
    });
    this.timings.connectMs = Date.now() - connecting;
    this.preparedAt = Date.now();
    this.timings.prepareMs = this.preparedAt - began;
    // the installed package, not the component's XEP-0092 answer ("Libervia Pubsub 0.5.0D" for 0.4.0+hg473)
    return { ...description, software: launched.software };
  }

  /** Client mode only when the launcher's target declares it (features.clientMode, catalogue section H). */
  unsupported(needs: Need[]): string | undefined {
    return componentUnsupported(needs, this.launched?.target.features, this.declaredBy);
  }

  private get declaredBy(): string {
    return `the ${this.launcher.name} launcher's target`;
  }

  async open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    if (!this.inner) throw new Error("LaunchedComponentDriver.open() before prepare()");
    if (this.died) throw new Error(`${this.launcher.name} is no longer running: ${this.died}`);
    if (scenario.fresh) return this.openFresh(scenario, uid);
    return this.inner.open(scenario, uid);
  }

  /**
   * A scenario that needs a component no server has advertised to (Scenario.fresh) gets an
   * instance of its own, launched for it and stopped after it: what it does to that instance
   * (a component that takes the first advertiser for its server) cannot leak into the others.
   */
  private async openFresh(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    const fresh = new LaunchedComponentDriver(this.launcher, this.options);
    try {
      await fresh.prepare();
      const env = await fresh.open({ ...scenario, fresh: false }, uid);
      const closeScenario = env.close;
      return {
        ...env,
        notes: [...(env.notes ?? []), `ran on an instance of ${this.launcher.name} launched for this scenario alone (no server had advertised to it)`],
        close: async () => {
          await closeScenario().catch(() => undefined);
          await fresh.close();
        },
      };
    } catch (err) {
      await fresh.close();
      throw err;
    }
  }

  exclusiveResources(scenario: Scenario): string[] {
    if (scenario.fresh) return [`fresh:${scenario.id}`];
    return this.inner?.exclusiveResources(scenario) ?? ["listener"];
  }

  /** Listener, component, database, files; idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const began = Date.now();
    if (this.preparedAt) this.timings.suiteMs = began - this.preparedAt;
    try {
      await this.inner?.close();
    } catch {
      // the component and its database must go all the same
    }
    await this.launched?.stop();
    this.timings.teardownMs = Date.now() - began;
  }
}

async function waitUntil(condition: () => boolean, stepMs = 5): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, stepMs));
}
