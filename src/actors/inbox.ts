import { Element, serialize } from "../xml/element.js";
import { match, type Captures, type MatchFailure } from "../xml/matcher.js";

interface Arrival {
  stanza: Element;
  at: number;
  consumed: boolean;
}

interface Settled {
  arrival: Arrival;
  captures: Captures;
  /** Index of the alternative that matched; -1 when the arrival settles the question without matching. */
  alternative: number;
}

interface Waiter {
  patterns: Element[] | undefined;
  captures: Captures;
  /** A matching (or question-settling) arrival, or nothing when the stream closed. */
  settle: (match?: Settled) => void;
  decisive?: (stanza: Element) => boolean;
}

/**
 * The IQ answer a step waits for is the one with the id it names: once an IQ with that id
 * arrives, waiting longer cannot change the outcome (RFC 6120 §8.2.3: one answer per request).
 * Patterns with a literal id (all alternatives the same) make such arrivals decisive.
 */
function decisiveIdOf(patterns: Element[]): ((stanza: Element) => boolean) | undefined {
  const ids = new Set(patterns.map((p) => (p.name === "iq" ? p.attrs.id : undefined)));
  if (ids.size !== 1) return undefined;
  const [id] = [...ids];
  if (typeof id !== "string" || id.includes("{")) return undefined;
  return (stanza) => stanza.name === "iq" && stanza.attrs.id === id && (stanza.attrs.type === "result" || stanza.attrs.type === "error");
}

export class ExpectationTimeout extends Error {
  constructor(
    readonly received: string[],
    readonly closest: MatchFailure | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The stanza that settles the step (the answer with the id it waits for) arrived and matches none of its patterns. */
export class DecisiveMismatch extends ExpectationTimeout {}

/**
 * The stream ended before (or while) a step waited on it: no verdict can come from it. A
 * dropped connection is the suite's `error`, never a pass of a "receives nothing" check nor a
 * `fail` of the rule the step checks.
 */
export class StreamClosed extends Error {}

export class UnexpectedStanza extends Error {
  constructor(readonly stanza: string) {
    super(`received ${stanza}`);
  }
}

/**
 * Stanzas an actor received and has not consumed yet. `expect` consumes the
 * first match, whether it arrived before or during the wait; non-matching
 * stanzas stay for later steps.
 */
export class Inbox {
  private readonly arrivals: Arrival[] = [];
  private readonly waiters = new Set<Waiter>();
  private closedReason: string | undefined;
  private closedAt = 0;
  private readonly closeListeners = new Set<() => void>();

  constructor(private readonly streamNamespace: string) {}

  push(stanza: Element): void {
    const arrival: Arrival = { stanza, at: Date.now(), consumed: false };
    this.arrivals.push(arrival);
    for (const waiter of this.waiters) {
      const matched = this.tryMatchAny(waiter.patterns, stanza, waiter.captures);
      if (matched) {
        waiter.settle({ arrival, ...matched });
        return;
      }
    }
    for (const waiter of this.waiters) {
      if (waiter.decisive?.(stanza)) {
        waiter.settle({ arrival, captures: waiter.captures, alternative: -1 });
        return;
      }
    }
  }

  /** The stream ended: waiting any longer is pointless. */
  close(reason: string): void {
    if (this.closedReason === undefined) {
      this.closedReason = reason;
      this.closedAt = Date.now();
    }
    for (const waiter of this.waiters) waiter.settle();
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  }

  /** Calls `listener` once the stream is closed (at once if it is); returns how to stop listening. */
  onClose(listener: () => void): () => void {
    if (this.closedReason !== undefined) {
      listener();
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** "stream closed after 312 ms (why)" for a wait that began at `since`; "already closed" when it closed before. */
  private closedSince(since: number): string {
    const reason = this.closedReason ?? "";
    return this.closedAt < since
      ? `stream already closed ${since - this.closedAt} ms before (${reason})`
      : `stream closed after ${this.closedAt - since} ms (${reason})`;
  }

  get closed(): string | undefined {
    return this.closedReason;
  }

  async expect(pattern: Element, timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures }> {
    const { stanza, captures: result } = await this.expectAny([pattern], timeoutMs, captures);
    return { stanza, captures: result };
  }

  /**
   * Consumes the first stanza matching any of the patterns and says which one matched.
   * Fails at once (DecisiveMismatch) when the IQ answer the patterns name by id arrives and matches none.
   */
  async expectAny(patterns: Element[], timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures; alternative: number }> {
    const began = Date.now();
    const decisive = decisiveIdOf(patterns);
    for (const arrival of this.arrivals) {
      if (arrival.consumed) continue;
      const result = this.tryMatchAny(patterns, arrival.stanza, captures);
      if (result) {
        arrival.consumed = true;
        return { stanza: arrival.stanza, ...result };
      }
    }
    const early = decisive ? this.arrivals.find((a) => !a.consumed && decisive(a.stanza)) : undefined;
    const settled = early ? { arrival: early, captures, alternative: -1 } : await this.wait(patterns, timeoutMs, captures, decisive);
    if (settled && settled.alternative >= 0) {
      settled.arrival.consumed = true;
      return { stanza: settled.arrival.stanza, captures: settled.captures, alternative: settled.alternative };
    }
    if (settled) {
      settled.arrival.consumed = true;
      const answer = settled.arrival.stanza;
      const closest = this.closestFailure(patterns, [answer], captures);
      throw new DecisiveMismatch([serialize(answer)], closest, `the answer with id '${String(answer.attrs.id)}' arrived and does not match`);
    }
    if (this.closedReason !== undefined) throw new StreamClosed(this.closedSince(began));
    const candidates = this.arrivals.filter((a) => !a.consumed);
    const closest = this.closestFailure(patterns, candidates.map((a) => a.stanza), captures);
    throw new ExpectationTimeout(candidates.map((a) => serialize(a.stanza)), closest, `nothing matching within ${timeoutMs} ms`);
  }

  /**
   * Some stanza received so far — consumed by an earlier step or not — or arriving within the
   * timeout matches; nothing is consumed. For facts spread over several stanzas whose split is the
   * target's choice (one advertisement message or several, SRV-ADV-08).
   */
  async expectSeen(pattern: Element, timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures }> {
    const began = Date.now();
    for (const arrival of this.arrivals) {
      const result = this.tryMatchAny([pattern], arrival.stanza, captures);
      if (result) return { stanza: arrival.stanza, captures: result.captures };
    }
    const settled = await this.wait([pattern], timeoutMs, captures);
    if (settled) return { stanza: settled.arrival.stanza, captures: settled.captures };
    if (this.closedReason !== undefined) throw new StreamClosed(this.closedSince(began));
    const closest = this.closestFailure([pattern], this.arrivals.map((a) => a.stanza), captures);
    throw new ExpectationTimeout(this.arrivals.map((a) => serialize(a.stanza)), closest, `no stanza received so far matches, nor did one within ${timeoutMs} ms`);
  }

  /**
   * Fails if a stanza matching `pattern` (any stanza when undefined) is
   * unconsumed from `since` on, or arrives within the window. Silence proves
   * something only on a live stream: closed before or during the window, it
   * throws StreamClosed (the scenario errors) instead of passing.
   */
  async expectNothing(pattern: Element | undefined, windowMs: number, since: number, captures: Captures): Promise<void> {
    for (const arrival of this.arrivals) {
      if (arrival.consumed || arrival.at < since) continue;
      if (this.tryMatchAny(pattern && [pattern], arrival.stanza, captures)) {
        arrival.consumed = true;
        throw new UnexpectedStanza(serialize(arrival.stanza));
      }
    }
    const began = Date.now();
    const live = `"receives nothing" needs a live stream for its whole window of ${windowMs} ms`;
    if (this.closedReason !== undefined) throw new StreamClosed(`${this.closedSince(began)}: ${live}`);
    const settled = await this.wait(pattern && [pattern], windowMs, captures);
    if (settled) {
      settled.arrival.consumed = true;
      throw new UnexpectedStanza(serialize(settled.arrival.stanza));
    }
    if (this.closedReason !== undefined) throw new StreamClosed(`${this.closedSince(began)}: ${live}`);
  }

  /** Everything received, consumed or not, oldest first. */
  all(): Element[] {
    return this.arrivals.map((a) => a.stanza);
  }

  /** Unconsumed stanzas, oldest first (for failure evidence). */
  pending(): Element[] {
    return this.arrivals.filter((a) => !a.consumed).map((a) => a.stanza);
  }

  private wait(
    patterns: Element[] | undefined,
    timeoutMs: number,
    captures: Captures,
    decisive?: (stanza: Element) => boolean,
  ): Promise<Settled | undefined> {
    if (this.closedReason !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        patterns,
        captures,
        decisive,
        settle: (match) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(match);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** undefined patterns: any stanza matches. */
  private tryMatchAny(patterns: Element[] | undefined, stanza: Element, captures: Captures): { captures: Captures; alternative: number } | undefined {
    if (!patterns) return { captures: new Map(captures), alternative: 0 };
    for (const [alternative, pattern] of patterns.entries()) {
      const result = match(pattern, stanza, captures, { streamNamespace: this.streamNamespace });
      if (result.ok) return { captures: result.captures, alternative };
    }
    return undefined;
  }

  private closestFailure(patterns: Element[], stanzas: Element[], captures: Captures): MatchFailure | undefined {
    let best: MatchFailure | undefined;
    for (const pattern of patterns) {
      for (const stanza of stanzas) {
        const result = match(pattern, stanza, captures, { streamNamespace: this.streamNamespace });
        if (result.ok) continue;
        if (!best || result.path.length > best.path.length) best = result;
      }
    }
    return best;
  }
}
