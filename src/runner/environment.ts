import type { Actor } from "../actors/actor.js";
import type { Transcript } from "../actors/transcript.js";
import type { CastEntry, Need, Scenario } from "../scenario/model.js";
import type { ProtocolVersion } from "../target/types.js";
import type { SpecId } from "../catalogue/specs.js";

export interface Timeouts {
  /** Waiting for an expected stanza. */
  step: number;
  /** Default window of "receives nothing". */
  quiet: number;
  connect: number;
  /** How long a server may take to give up on a silent or vanished managing entity (SRV-UNA-02); default 40 s. */
  giveUp?: number;
}

/**
 * What only an embedded mock can tell (mocks/quiescence.ts): when nothing more can reach the
 * scenario's actors before a deadline without a new stimulus. Windows, waits and timeouts then
 * end there instead of being slept out; a real target has none, and its scenarios wait them out.
 */
export interface Quiescence {
  /** "quiet": nothing can arrive before `deadline`; "arrival": something reached an actor (when asked); else "deadline". */
  settle(deadline: number, wakeOnArrival: boolean): Promise<"quiet" | "arrival" | "deadline">;
  /** The wait up to `deadline` was decided early: the mocks' clock moves on by what was not waited. */
  skipTo(deadline: number): void;
}

/** Everything one scenario run needs from the target: its actors, variables and limits. */
export interface ScenarioEnvironment {
  version: ProtocolVersion;
  timeouts: Timeouts;
  /** ${name} substitutions: addresses, namespaces. Actor addresses are added by the context. */
  variables: Record<string, string>;
  createActor(entry: CastEntry, transcript: Transcript, uid: string): Actor;
  /** Set for the embedded mocks only. */
  quiescence?: Quiescence;
  /** What the scenario's report should say about the conditions the target gave it (e.g. a component not fresh). */
  notes?: string[];
  /** Releases what open() set up for this scenario (e.g. a fresh mock server). */
  close(): Promise<void>;
}

export interface TargetDescription {
  role: "server" | "component";
  name: string;
  software?: string;
  protocolVersion: ProtocolVersion;
  /**
   * The specifications the target declares, each with the revision it speaks (XEP-0356's is seen from
   * its advertisement); unset: XEP-0355 only, in `protocolVersion`.
   */
  specs?: Partial<Record<SpecId, ProtocolVersion>>;
}

/** Connects the runner to one target: the embedded mocks, a configured server, or a launched one. */
export interface TargetDriver {
  readonly role: "server" | "component";
  /** Called once before any scenario: launch, detect the protocol version, read the software version. */
  prepare(): Promise<TargetDescription>;
  /** Why a scenario cannot run here (an undeclared optional feature), or undefined. */
  unsupported(needs: Need[]): string | undefined;
  open(scenario: Scenario, uid: string): Promise<ScenarioEnvironment>;
  /** Names of shared resources the scenario needs alone (e.g. a component JID on a real server). */
  exclusiveResources(scenario: Scenario): string[];
  close(): Promise<void>;
}
