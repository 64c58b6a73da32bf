import { SlotPool } from "./slot-pool.js";
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
  /** from starting the component(s) to the handshake and version answer of the last */
  connectMs?: number;
  /** prepare() as a whole: setupMs + listening + connectMs */
  prepareMs?: number;
  /** from the end of prepare() to close(): the scenarios */
  suiteMs?: number;
  /** close(): the listeners, the components, the database, the files */
  teardownMs?: number;
}

/** One running instance of the component and the driver playing its server. */
interface Instance {
  launched: LaunchedComponent;
  inner: ComponentTargetDriver;
  /** why its process ended before close(), once it has */
  died?: string;
}

/**
 * A component under test that the suite launches itself (e.g. libervia-pubsub
 * with its PostgreSQL), wrapped around ComponentTargetDrivers that play its
 * server: prepare() launches, listens, starts the component and waits for its
 * handshake; close() closes the listeners and stops everything, also after a
 * failed prepare().
 *
 * A component has one connection to its server, so the scenarios using it take
 * turns; to run them side by side, a launcher that can start further instances
 * (LaunchedComponent.another: own process and connection, the same database
 * server) gets several, and each scenario runs on one of its own.
 *
 * No scenario of the component suite closes the component's stream, so each
 * connection serves the whole run; should a component's process die, the
 * scenarios that follow on it fail at once with its exit status and log (instead
 * of each waiting the connect timeout for a reconnection that cannot come).
 */
export class LaunchedComponentDriver implements TargetDriver {
  readonly role = "component";
  readonly timings: LaunchedRunTimings = {};
  private readonly instances: Instance[] = [];
  private readonly slots = new SlotPool();
  private preparedAt = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly launcher: ComponentLauncher,
    private readonly options: ComponentLaunchOptions = {},
  ) {}

  /** The launched component (its target: ports, JID), once prepare() has launched it: the first instance. */
  get component(): LaunchedComponent | undefined {
    return this.instances[0]?.launched;
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
        await this.stopAll();
      }
    }
  }

  private async prepareOnce(): Promise<TargetDescription> {
    const began = Date.now();
    const first = await this.launcher.launch(this.options);
    this.instances.push({ launched: first, inner: this.innerDriver(first) });
    this.timings.setupMs = first.timings.setupMs;
    this.timings.setupPhases = first.timings.setupPhases;
    if (this.closing) {
      await first.stop(); // close() may have run before it was in the list
      throw new Error(`${this.launcher.name}: closed while launching`);
    }
    const count = Math.max(1, this.options.instances ?? this.launcher.instances ?? 1);
    const another = first.another;
    const more = another ? await Promise.all(Array.from({ length: count - 1 }, () => another())) : [];
    for (const launched of more) this.instances.push({ launched, inner: this.innerDriver(launched) });
    const connecting = Date.now();
    // all at once: each one's start-up (about 0.5 s of CPU for libervia-pubsub) overlaps the others'
    const [description] = await Promise.all(this.instances.map((instance) => this.connect(instance)));
    this.slots.fill(this.instances.length);
    this.timings.connectMs = Date.now() - connecting;
    this.preparedAt = Date.now();
    this.timings.prepareMs = this.preparedAt - began;
    // the installed package, not the component's XEP-0092 answer ("Libervia Pubsub 0.5.0D" for 0.4.0+hg473)
    return { ...description, software: first.software };
  }

  private innerDriver(launched: LaunchedComponent): ComponentTargetDriver {
    return new ComponentTargetDriver(launched.target, async () => undefined, false, this.declaredBy);
  }

  /**
   * ComponentTargetDriver.prepare() listens, then waits for the handshake: start the component as soon as
   * its listener is up (the component's reconnect back-off grows when nothing listens: 2 s, 7 s, 20 s).
   */
  private async connect(instance: Instance): Promise<TargetDescription> {
    const { launched, inner } = instance;
    void launched.exited.then((why) => (instance.died = why));
    let settled = false;
    const ready = inner.prepare().finally(() => (settled = true));
    ready.catch(() => undefined); // awaited below; not "unhandled" meanwhile
    await waitUntil(() => inner.port !== 0 || settled);
    if (inner.port === 0) await ready; // could not listen: rethrows why
    await launched.start();
    return Promise.race([
      ready,
      launched.exited.then((why): never => {
        throw new Error(`${this.launcher.name} stopped before connecting: ${why}`);
      }),
    ]).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(instance.died || /stopped before connecting/.test(message) ? message : `${message}\n${launched.logs()}`);
    });
  }

  /** Client mode only when the launcher's target declares it (features.clientMode, catalogue section H). */
  unsupported(needs: Need[]): string | undefined {
    return componentUnsupported(needs, this.instances[0]?.launched.target.features, this.declaredBy);
  }

  private get declaredBy(): string {
    return `the ${this.launcher.name} launcher's target`;
  }

  async open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    if (this.instances.length === 0) throw new Error("LaunchedComponentDriver.open() before prepare()");
    if (scenario.fresh) return this.openFresh(scenario, uid);
    const index = await this.slots.take();
    const instance = this.instances[index];
    try {
      if (instance.died) throw new Error(`${this.launcher.name} is no longer running: ${instance.died}`);
      const env = await instance.inner.open(scenario, uid);
      const closeScenario = env.close;
      return { ...env, close: async () => closeScenario().finally(() => this.slots.giveBack(index)) };
    } catch (err) {
      this.slots.giveBack(index);
      throw err;
    }
  }

  /**
   * A scenario that needs a component no server has advertised to (Scenario.fresh) gets an
   * instance of its own, launched for it and stopped after it: what it does to that instance
   * (a component that takes the first advertiser for its server) cannot leak into the others.
   */
  private async openFresh(scenario: Scenario, uid: string): Promise<ScenarioEnvironment> {
    const fresh = new LaunchedComponentDriver(this.launcher, { ...this.options, instances: 1 });
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

  /**
   * Each instance has one connection: a scenario needs the instance open() will hand it, the lowest
   * free one (the runner starts a scenario right after asking, and open() takes that instance before
   * anything else can), or, when all are taken, one held by a running scenario, so that the runner
   * waits for an instance to come free instead of starting a scenario that would wait in open().
   */
  exclusiveResources(scenario: Scenario): string[] {
    if (scenario.fresh) return [`fresh:${scenario.id}`];
    return [`instance:${this.slots.next()}`];
  }

  /** Listeners, components, database, files; idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const began = Date.now();
    if (this.preparedAt) this.timings.suiteMs = began - this.preparedAt;
    await this.stopAll();
    this.timings.teardownMs = Date.now() - began;
  }

  private async stopAll(): Promise<void> {
    const instances = this.instances.splice(0);
    this.slots.clear();
    await Promise.all(
      instances.map((i) =>
        i.inner.close().catch(() => {
          // the components and the database must go all the same
        }),
      ),
    );
    // the first instance's stop() ends the others, the database and the files
    await Promise.all(instances.map((i) => i.launched.stop()));
  }
}

async function waitUntil(condition: () => boolean, stepMs = 5): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, stepMs));
}
