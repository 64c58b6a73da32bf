import type { Actor } from "../actors/actor.js";
import type { ComponentActor } from "../actors/component-actor.js";
import type { ServerActor } from "../actors/server-actor.js";
import { DecisiveMismatch, ExpectationTimeout, StreamClosed, UnexpectedStanza } from "../actors/inbox.js";
import type { Transcript } from "../actors/transcript.js";
import { requirementById } from "../catalogue/catalogue.js";
import type { Scenario } from "../scenario/model.js";
import { Element, escapeXML, parseXml, pretty, withoutIndentation, XmlSyntaxError } from "../xml/element.js";
import { describeFailure, match, substituteCaptures, type Captures, type MatchFailure } from "../xml/matcher.js";
import type { ScenarioEnvironment } from "./environment.js";

/** A check did not hold: the scenario fails, attributed to `requirement`. */
export class StepFailure extends Error {
  constructor(
    readonly requirement: string,
    message: string,
    readonly expected = "",
    readonly received: string[] = [],
  ) {
    super(message);
  }
}

/** The tool, the script or the connection failed, not the target's conformance. */
export class ScenarioError extends Error {}

/** The target showed it lacks an optional feature it does not declare: the scenario is not-supported, with that evidence. */
export class NotSupportedError extends Error {}

/**
 * The target refused a credential of the target file (wrong component secret or JID, refused
 * login): a mistake in the set-up, never non-compliance. The run ends with exit 3 naming it.
 */
export class SetupError extends ScenarioError {}

/** Conditions by which a server refuses a credential (RFC 6120 §6.5 SASL failures; XEP-0114 handshake stream errors). */
const REFUSED_CREDENTIAL = new Set(["not-authorized", "host-unknown", "invalid-namespace", "improper-addressing", "account-disabled", "credentials-expired", "invalid-authzid", "invalid-mechanism", "mechanism-too-weak", "encryption-required"]);

/** One acceptable outcome of a step; `reading` names it when the step decides an ambiguous requirement. */
export interface Alternative {
  reading: string;
  xml: string;
}

export interface StepOptions {
  requirement?: string;
  withinMs?: number;
}

/** What a scenario (text or TypeScript) can do; one per scenario run. */
export class ScenarioContext {
  readonly captures: Captures = new Map();
  readonly notes: string[] = [];
  readonly readings: Record<string, string> = {};
  /** Requirements whose checks held in this run of the scenario (so a later failure of another does not taint them). */
  readonly checked = new Set<string>();
  private readonly actors = new Map<string, Actor>();
  private lastReceived: { actor: string; stanza: Element } | undefined;
  /** When the last stimulus was sent: "receives nothing" looks at stanzas from then on. */
  private lastSendAt = 0;
  /**
   * When the current run of back-to-back "receives nothing" steps began (undefined once any other step
   * ran). Such steps share one window: nothing happens between them, so each one's "nothing within W ms
   * after the previous step" is decided by the same stretch of time; waiting it out once per step would
   * only repeat it.
   */
  private quietSince: number | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly env: ScenarioEnvironment,
    readonly transcript: Transcript,
    readonly uid: string,
    private readonly releaseResource: (resource: string) => void = () => undefined,
    /** Why the target does not declare the scenario's needs, when it runs in probe mode (Scenario.probesSupport). */
    readonly undeclared?: string,
  ) {
    for (const entry of scenario.cast) this.actors.set(entry.name, env.createActor(entry, transcript, uid));
    for (const note of env.notes ?? []) this.note(note);
  }

  get defaultRequirement(): string {
    return this.scenario.requirements[0];
  }

  actor(name: string): Actor {
    const actor = this.actors.get(name);
    if (!actor) throw new ScenarioError(`actor '${name}' is not in the cast`);
    return actor;
  }

  component(name: string): ComponentActor {
    const actor = this.actor(name);
    if (actor.kind !== "component") throw new ScenarioError(`actor '${name}' is not a component`);
    return actor as ComponentActor;
  }

  /** ${name} variables: the environment's, plus each actor's address (${juliet}, ${juliet.full}, ${juliet.bare}). */
  variable(name: string): string {
    const [actorName, part] = name.split(".", 2);
    const actor = this.actors.get(actorName);
    if (actor) {
      const address = actor.address;
      if (!part || part === "full" || part === "jid") return address;
      if (part === "bare") return address.split("/")[0];
      if (part === "resource") return address.split("/")[1] ?? "";
    }
    // ${uid}: unique to this run of the scenario (e.g. roster items a shared server keeps, PRV-ROS-*).
    const value = this.env.variables[name] ?? (name === "uid" ? this.uid : undefined);
    if (value === undefined) throw new ScenarioError(`unknown variable \${${name}}`);
    return value;
  }

  expandVariables(text: string): string {
    return text.replace(/\$\{([\w.-]+)\}/g, (_w, name: string) => escapeXML(this.variable(name)));
  }

  pattern(xml: string): Element {
    try {
      return parseXml(this.expandVariables(xml));
    } catch (err) {
      if (err instanceof XmlSyntaxError) throw new ScenarioError(`stanza in scenario is not well-formed XML: ${err.message}`);
      throw err;
    }
  }

  async connect(name: string): Promise<void> {
    this.quietSince = undefined;
    try {
      await this.actor(name).connect();
    } catch (err) {
      const refused = refusedCredential(err);
      const entry = this.scenario.cast.find((c) => c.name === name);
      if (refused && entry && entry.kind !== "server") {
        const field =
          entry.kind === "client"
            ? `accounts.${entry.ref} (username, password)`
            : refused === "host-unknown"
              ? `components.${entry.ref}.jid`
              : `components.${entry.ref}.secret`;
        const what = entry.kind === "client" ? `the login of ${this.actor(name).address.split("/")[0]}` : `the handshake of component ${this.actor(name).address}`;
        throw new SetupError(`the target refused ${what} (${refused}): check ${field} in the target file`);
      }
      throw new ScenarioError(`${name} could not connect: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * A receive that also tells whether the target implements an optional feature. If the stanza does
   * not come and the target does not declare the feature, the scenario is not-supported, with what
   * the target did answer as evidence; if the target declares it, the step fails as any other.
   */
  async receiveOrNotSupported(name: string, xml: string, options: StepOptions = {}): Promise<Element> {
    try {
      const stanza = await this.receive(name, xml, options);
      if (this.undeclared) this.note(`the target shows support for what this scenario needs, although ${this.undeclared}`);
      return stanza;
    } catch (err) {
      if (!(err instanceof StepFailure) || !this.undeclared) throw err;
      const answer = err.received.length > 0 ? `; what ${name} received instead: ${err.received.slice(-3).join(" ")}` : "";
      throw new NotSupportedError(`${this.undeclared}, and the target did not show support: ${err.message}${answer}`);
    }
  }

  /** `server connects without advertising` (component role): the stream, and no advertisement yet. */
  async connectWithoutAdvertising(name: string): Promise<void> {
    this.quietSince = undefined;
    const actor = this.actor(name);
    if (actor.kind !== "server") throw new ScenarioError(`'${name} connects without advertising': only the suite's server advertises`);
    try {
      await (actor as ServerActor).adoptStream();
    } catch (err) {
      throw new ScenarioError(`${name} could not connect: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async disconnect(name: string): Promise<void> {
    this.quietSince = undefined;
    await this.actor(name).disconnect();
  }

  /**
   * The scenario will not use this (disconnected) component again: on a shared
   * target another scenario may connect it now. For waits on a server-side
   * timeout (SRV-UNA-02) that would otherwise hold everyone else up.
   */
  release(name: string): void {
    const entry = this.scenario.cast.find((c) => c.name === name);
    if (entry?.kind === "component") this.releaseResource(`component:${entry.ref}`);
  }

  async send(name: string, xml: string, raw = false): Promise<void> {
    this.quietSince = undefined;
    const text = substituteCaptures(this.expandVariables(xml), this.captures);
    const actor = this.actor(name);
    this.lastSendAt = Date.now();
    try {
      if (raw) await actor.sendRaw(text);
      else await actor.send(withoutIndentation(parseXml(text)));
    } catch (err) {
      throw new ScenarioError(`${name} could not send: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async receive(name: string, xml: string, options: StepOptions = {}): Promise<Element> {
    return (await this.receiveOneOf(name, [{ reading: "", xml }], options)).stanza;
  }

  /**
   * Waits for a stanza matching any alternative; for an ambiguous requirement each alternative
   * names a reading, and the one that matched is recorded (ScenarioContext.reading).
   */
  async receiveOneOf(name: string, alternatives: Alternative[], options: StepOptions = {}): Promise<{ stanza: Element; reading: string }> {
    this.quietSince = undefined;
    const patterns = alternatives.map((a) => this.pattern(a.xml));
    const timeout = options.withinMs ?? this.env.timeouts.step;
    const requirement = options.requirement ?? this.defaultRequirement;
    try {
      const { stanza, captures, alternative } = await this.untilArrival(timeout, (ms) => this.actor(name).expectAny(patterns, ms, this.captures));
      for (const [k, v] of captures) this.captures.set(k, v);
      this.lastReceived = { actor: name, stanza };
      const reading = alternatives[alternative].reading;
      if (reading) this.reading(requirement, reading, `${name} received ${summarizeStanza(stanza)}`);
      this.checked.add(requirement);
      return { stanza, reading };
    } catch (err) {
      const expected = patterns.length === 1 ? summarize(patterns[0]) : `one of ${patterns.map(summarize).join(" | ")}`;
      if (err instanceof StreamClosed) throw new ScenarioError(`${name} expected ${expected}, but its ${err.message}: no verdict`);
      if (!(err instanceof ExpectationTimeout)) throw err;
      const closest = err.closest ? `; closest: ${describeFailure(err.closest)}` : "";
      throw new StepFailure(
        requirement,
        `${name} expected ${expected}: ${err.message}${closest}`,
        patterns.map((p, i) => (alternatives[i].reading ? `<!-- reading ${alternatives[i].reading} -->\n` : "") + pretty(p)).join("\n"),
        err.received,
      );
    }
  }

  async receiveNothing(name: string, xml?: string, options: StepOptions = {}): Promise<void> {
    const pattern = xml ? this.pattern(xml) : undefined;
    const window = options.withinMs ?? this.env.timeouts.quiet;
    this.quietSince ??= Date.now();
    try {
      const remaining = Math.max(0, this.quietSince + window - Date.now());
      // Against the embedded mocks, once nothing more can arrive the window is decided: only what came is looked at.
      if (this.env.quiescence) await this.quietUntil(Date.now() + remaining);
      await this.actor(name).expectNothing(pattern, this.env.quiescence ? 0 : remaining, this.lastSendAt, this.captures);
      this.checked.add(options.requirement ?? this.defaultRequirement);
    } catch (err) {
      // A closed stream receives nothing: that proves nothing (SRV-FWD-05/06/10 passed on a dead stream).
      if (err instanceof StreamClosed) throw new ScenarioError(`${name} should receive ${pattern ? `nothing matching ${summarize(pattern)}` : "nothing"}, but its ${err.message}: no verdict`);
      if (!(err instanceof UnexpectedStanza)) throw err;
      throw new StepFailure(
        options.requirement ?? this.defaultRequirement,
        `${name} should receive ${pattern ? `nothing matching ${summarize(pattern)}` : "nothing"} within ${window} ms, but ${err.message}`,
        pattern ? `no ${pretty(pattern)}` : "nothing",
        [err.stanza],
      );
    }
  }

  /** `A has received:` some stanza A received in this scenario, consumed or not (or one arriving within the timeout), matches. */
  async hasReceived(name: string, xml: string, options: StepOptions = {}): Promise<Element> {
    this.quietSince = undefined;
    const pattern = this.pattern(xml);
    const requirement = options.requirement ?? this.defaultRequirement;
    try {
      const { stanza, captures } = await this.untilArrival(options.withinMs ?? this.env.timeouts.step, (ms) => this.actor(name).expectSeen(pattern, ms, this.captures));
      for (const [k, v] of captures) this.captures.set(k, v);
      this.lastReceived = { actor: name, stanza };
      this.checked.add(requirement);
      return stanza;
    } catch (err) {
      if (err instanceof StreamClosed) throw new ScenarioError(`${name} should have received ${summarize(pattern)}, but its ${err.message}: no verdict`);
      if (!(err instanceof ExpectationTimeout)) throw err;
      const closest = err.closest ? `; closest: ${describeFailure(err.closest)}` : "";
      throw new StepFailure(requirement, `${name} should have received ${summarize(pattern)}: ${err.message}${closest}`, pretty(pattern), err.received);
    }
  }

  /** A second, separately attributed look at the stanza the previous `receives` consumed. */
  checkLastReceived(xml: string, requirement: string): void {
    this.checkLastReceivedOneOf([{ reading: "", xml }], requirement);
  }

  /** As checkLastReceived, with alternatives; the reading of the first that matches is recorded. */
  checkLastReceivedOneOf(alternatives: Alternative[], requirement: string): string {
    if (!this.lastReceived) throw new ScenarioError("'it matches' needs a previous 'receives' step");
    const patterns = alternatives.map((a) => this.pattern(a.xml));
    let closest: MatchFailure | undefined;
    for (const [i, pattern] of patterns.entries()) {
      const result = match(pattern, this.lastReceived.stanza, this.captures);
      if (result.ok) {
        for (const [k, v] of result.captures) this.captures.set(k, v);
        const reading = alternatives[i].reading;
        if (reading) this.reading(requirement, reading, `${this.lastReceived.actor} received ${summarizeStanza(this.lastReceived.stanza)}`);
        this.checked.add(requirement);
        return reading;
      }
      if (!closest || result.path.length > closest.path.length) closest = result;
    }
    throw new StepFailure(
      requirement,
      `the stanza ${this.lastReceived.actor} received does not match${patterns.length > 1 ? " any alternative" : ""}: ${closest ? describeFailure(closest) : ""}`,
      patterns.map((p) => pretty(p)).join("\n"),
      [this.lastReceived.stanza.toString()],
    );
  }

  /** Counts the stanzas an actor answered by itself (nesting queries, a server's disco/roster answers) that match. */
  askedCount(name: string, xml: string): number {
    const pattern = this.pattern(xml);
    const actor = this.actor(name) as Actor & { autoAnswered?: { stanza: Element }[] };
    if (!actor.autoAnswered) throw new ScenarioError(`'${name}' answers nothing by itself, so 'was asked' cannot count for it`);
    return actor.autoAnswered.filter((a) => match(pattern, a.stanza, this.captures).ok).length;
  }

  check(condition: boolean, requirement: string, message: string, expected = "", received: string[] = []): void {
    if (!condition) throw new StepFailure(requirement, message, expected, received);
    this.checked.add(requirement);
  }

  /**
   * Records which reading of an ambiguous requirement the target follows (catalogue level
   * "ambiguous": reported, never failed), with a note saying what showed it.
   */
  reading(requirement: string, name: string, detail: string): void {
    const level = requirementById(requirement)?.level;
    // Only an ambiguous (or MAY) row has readings to report; elsewhere the alternative is merely what happened.
    if (level !== "ambiguous" && level !== "MAY") {
      this.note(`${requirement}: outcome '${name}' (${detail}).`);
      return;
    }
    const previous = this.readings[requirement];
    this.readings[requirement] = previous && previous !== name ? `${previous} + ${name}` : name;
    this.note(`${requirement}: the target follows the ${name} reading (${detail}).`);
  }

  note(text: string): void {
    this.notes.push(text);
    this.transcript.note("suite", text);
  }

  wait(ms: number): Promise<void> {
    this.quietSince = undefined;
    if (this.env.quiescence) return this.quietUntil(Date.now() + ms);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Until `deadline`, or until nothing more can happen before it (the embedded mocks: ScenarioEnvironment.quiescence). */
  private async quietUntil(deadline: number): Promise<void> {
    const quiescence = this.env.quiescence!;
    if ((await quiescence.settle(deadline, false)) === "quiet") quiescence.skipTo(deadline);
  }

  /**
   * `look(timeoutMs)` (an inbox expectation) as one wait of `timeoutMs`. Against the embedded mocks
   * it looks again after each arrival and gives up as soon as nothing more can arrive before the
   * timeout: the same outcome as waiting it out, without the wait.
   */
  private async untilArrival<T>(timeoutMs: number, look: (ms: number) => Promise<T>): Promise<T> {
    const quiescence = this.env.quiescence;
    if (!quiescence) return look(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Look after each arrival, and once more when nothing more can come: a miss is only ever looked at twice.
      const outcome = await quiescence.settle(deadline, true);
      try {
        return await look(0);
      } catch (err) {
        if (!(err instanceof ExpectationTimeout) || err instanceof DecisiveMismatch) throw err;
        if (outcome === "arrival") continue;
        // The whole timeout would have passed without it: the mocks' clock moves on by it, as the step fails.
        if (outcome === "quiet") quiescence.skipTo(deadline);
        throw new ExpectationTimeout(err.received, err.closest, err.message.replace("within 0 ms", `within ${timeoutMs} ms`));
      }
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.actors.values()].map((a) => a.dispose()));
  }
}

function summarize(pattern: Element): string {
  const attrs = ["type", "id", "from", "to"]
    .filter((k) => pattern.attrs[k] !== undefined)
    .map((k) => ` ${k}='${pattern.attrs[k]}'`)
    .join("");
  const child = pattern.children.find((c): c is Element => typeof c !== "string");
  return `<${pattern.name}${attrs}>${child ? `<${child.name}…>` : ""}`;
}

/** A received stanza in one line for notes: its name and addressing attributes. */
function summarizeStanza(stanza: Element): string {
  const attrs = ["type", "id", "from", "to"]
    .filter((k) => stanza.attrs[k] !== undefined)
    .map((k) => ` ${k}='${stanza.attrs[k]}'`)
    .join("");
  return `<${stanza.name}${attrs}>`;
}

/** The condition of a SASL failure or a handshake stream error that refuses a credential, if that is what `err` is. */
function refusedCredential(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const condition = (err as Error & { condition?: unknown }).condition;
  if (typeof condition !== "string") return undefined;
  if (err.name === "SASLError") return condition;
  return REFUSED_CREDENTIAL.has(condition) ? condition : undefined;
}
