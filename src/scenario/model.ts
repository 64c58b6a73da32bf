/** A scenario as parsed from a `.scenario` file or exported by a `.scenario.ts` module. */
export type Role = "server" | "component";

/** Optional target features a scenario may need (ServerFeatures keys, plus "other-component"). */
export type Need = "filtering" | "bareDisco" | "remainingDiscoInfo" | "remainingDiscoItems" | "clientMode" | "keptGrants" | "otherComponent" | "undelegatedDomain";
export const NEEDS: readonly Need[] = ["filtering", "bareDisco", "remainingDiscoInfo", "remainingDiscoItems", "clientMode", "keptGrants", "otherComponent", "undelegatedDomain"];

export interface CastEntry {
  /** Name used in steps and variables, e.g. juliet, me. */
  name: string;
  kind: "client" | "component" | "server";
  /** Account key for clients (juliet, romeo), component key for components (managing, other, reader, messenger). */
  ref: string;
}

export interface ScenarioHeader {
  id: string;
  title: string;
  role: Role;
  requirements: string[];
  needs: Need[];
  /** Protocol versions the scenario applies to; not-applicable for others. */
  versions: (1 | 2)[];
  cast: CastEntry[];
  /** Waits for a server-side timeout: the runner starts it before the others so the wait overlaps them. */
  startFirst?: boolean;
  /**
   * Component role: needs a component that no server has advertised to yet in its process
   * (ME-SEC-03's hostile ordering). A launched component gets an instance of its own for it;
   * a component someone else runs has been advertised to before, which the scenario notes.
   */
  fresh?: boolean;
  /** Source file, for messages. */
  file: string;
  /**
   * Has a `receives, otherwise not supported` step: runs even when the target does not declare
   * its needs, so that the report can show what the target answered instead.
   */
  probesSupport?: boolean;
}

/** `reading NAME:` and its stanza, inside a `… one of:` block. */
export interface ReadingAlternative {
  reading: string;
  xml: string;
}

interface StepBase {
  line: number;
  /** The requirement this step checks, when it differs from the scenario's first. */
  requirement?: string;
  /** The step as written, for evidence. */
  text: string;
}

export type Step =
  | (StepBase & { kind: "connect"; actor: string; withoutAdvertising?: boolean })
  | (StepBase & { kind: "disconnect"; actor: string })
  | (StepBase & { kind: "send"; actor: string; xml: string; raw: boolean })
  /**
   * `otherwiseNotSupported`: the stanza shows the target implements an optional feature; when it does
   * not come on a target that does not declare that feature, the scenario ends not-supported (with
   * the target's answer as evidence), and on one that declares it, the step fails.
   */
  | (StepBase & { kind: "receive"; actor: string; xml: string; withinMs?: number; otherwiseNotSupported?: boolean })
  /** Some stanza the actor received in this scenario (consumed or not), or one arriving within the timeout, matches. */
  | (StepBase & { kind: "has-received"; actor: string; xml: string; withinMs?: number })
  | (StepBase & { kind: "receive-nothing"; actor: string; xml?: string; withinMs?: number })
  | (StepBase & { kind: "asked-at-most"; actor: string; times: number; xml: string })
  /** Waits for a stanza matching one of the alternatives, each naming the reading of an ambiguous rule it shows. */
  | (StepBase & { kind: "receive-one-of"; actor: string; alternatives: ReadingAlternative[]; withinMs?: number })
  /** The stanza the previous `receives` consumed matches one of the alternatives (its reading is recorded). */
  | (StepBase & { kind: "it-matches-one-of"; alternatives: ReadingAlternative[] })
  /** Checks the stanza consumed by the previous `receives` step against a further pattern. */
  | (StepBase & { kind: "it-matches"; xml: string })
  | (StepBase & { kind: "wait"; ms: number });

export interface TextScenario extends ScenarioHeader {
  kind: "text";
  steps: Step[];
  /**
   * The steps after `finally:`: they run whatever the steps before found, so that a scenario that
   * changes a target's state (a roster item, a subscription) leaves it as it found it even when a check
   * fails first. Their own failures are noted in the transcript, never a verdict.
   */
  cleanup?: Step[];
}

export interface CodeScenario extends ScenarioHeader {
  kind: "code";
  run(ctx: import("../runner/context.js").ScenarioContext): Promise<void>;
}

export type Scenario = TextScenario | CodeScenario;
