import { Element, serialize } from "../xml/element.js";
import { match, type Captures, type MatchFailure } from "../xml/matcher.js";

interface Arrival {
  stanza: Element;
  at: number;
  consumed: boolean;
}

interface Waiter {
  pattern: Element | undefined;
  captures: Captures;
  /** A matching arrival, or nothing when the stream closed. */
  settle: (match?: { arrival: Arrival; captures: Captures }) => void;
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

  constructor(private readonly streamNamespace: string) {}

  push(stanza: Element): void {
    const arrival: Arrival = { stanza, at: Date.now(), consumed: false };
    this.arrivals.push(arrival);
    for (const waiter of this.waiters) {
      const captures = this.tryMatch(waiter.pattern, stanza, waiter.captures);
      if (captures) {
        waiter.settle({ arrival, captures });
        return;
      }
    }
  }

  /** The stream ended: waiting any longer is pointless. */
  close(reason: string): void {
    this.closedReason ??= reason;
    for (const waiter of this.waiters) waiter.settle();
  }

  get closed(): string | undefined {
    return this.closedReason;
  }

  async expect(pattern: Element, timeoutMs: number, captures: Captures): Promise<{ stanza: Element; captures: Captures }> {
    for (const arrival of this.arrivals) {
      if (arrival.consumed) continue;
      const result = this.tryMatch(pattern, arrival.stanza, captures);
      if (result) {
        arrival.consumed = true;
        return { stanza: arrival.stanza, captures: result };
      }
    }
    const settled = await this.wait(pattern, timeoutMs, captures);
    if (settled) {
      settled.arrival.consumed = true;
      return { stanza: settled.arrival.stanza, captures: settled.captures };
    }
    const candidates = this.arrivals.filter((a) => !a.consumed);
    const closest = this.closestFailure(pattern, candidates.map((a) => a.stanza), captures);
    const why = this.closedReason ? `stream closed (${this.closedReason})` : `nothing matching within ${timeoutMs} ms`;
    throw new ExpectationTimeout(candidates.map((a) => serialize(a.stanza)), closest, why);
  }

  /**
   * Fails if a stanza matching `pattern` (any stanza when undefined) is
   * unconsumed from `since` on, or arrives within the window.
   */
  async expectNothing(pattern: Element | undefined, windowMs: number, since: number, captures: Captures): Promise<void> {
    for (const arrival of this.arrivals) {
      if (arrival.consumed || arrival.at < since) continue;
      if (this.tryMatch(pattern, arrival.stanza, captures)) {
        arrival.consumed = true;
        throw new UnexpectedStanza(serialize(arrival.stanza));
      }
    }
    const settled = await this.wait(pattern, windowMs, captures, true);
    if (settled) {
      settled.arrival.consumed = true;
      throw new UnexpectedStanza(serialize(settled.arrival.stanza));
    }
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
    pattern: Element | undefined,
    timeoutMs: number,
    captures: Captures,
    ignoreClose = false,
  ): Promise<{ arrival: Arrival; captures: Captures } | undefined> {
    if (this.closedReason && !ignoreClose) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        pattern,
        captures,
        settle: (match) => {
          // A closed stream delivers nothing more: a "nothing within" window just runs out.
          if (!match && ignoreClose) return;
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

  private tryMatch(pattern: Element | undefined, stanza: Element, captures: Captures): Captures | undefined {
    if (!pattern) return new Map(captures);
    const result = match(pattern, stanza, captures, { streamNamespace: this.streamNamespace });
    return result.ok ? result.captures : undefined;
  }

  private closestFailure(pattern: Element, stanzas: Element[], captures: Captures): MatchFailure | undefined {
    let best: MatchFailure | undefined;
    for (const stanza of stanzas) {
      const result = match(pattern, stanza, captures, { streamNamespace: this.streamNamespace });
      if (result.ok) continue;
      if (!best || result.path.length > best.path.length) best = result;
    }
    return best;
  }
}
