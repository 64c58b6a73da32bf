/**
 * The timers of the embedded mocks. Everything a mock does on its own, without a stanza
 * arriving (give-ups, a fault's delayed consent, a delayed answer), goes through one of these,
 * so that a WireQuiescence (mocks/quiescence.ts) can tell when the mock has nothing left to do.
 */
export interface MockTimer {
  cancel(): void;
}

export interface MockClock {
  /** Runs `action` after `ms`; the returned timer may be cancelled. */
  after(ms: number, action: () => void): MockTimer;
}

/** A Node.js timer as a MockTimer: no closure per timer (the mock server arms one per forward). */
class NodeTimer implements MockTimer {
  private readonly handle: NodeJS.Timeout;

  constructor(ms: number, action: () => void) {
    this.handle = setTimeout(action, ms);
  }

  cancel(): void {
    clearTimeout(this.handle);
  }
}

/** Plain Node.js timers: the mocks run alone (serve, bench) or nobody asks when they are quiet. */
export const realClock: MockClock = {
  after(ms, action) {
    return new NodeTimer(ms, action);
  },
};
