import type { IqKind } from "./iq-kinds.js";
import { PhaseStats } from "./stats.js";

export type PhaseBound = { durationMs: number; warmupMs: number } | { count: number };

/**
 * One phase of the bench (delegated or plain): when users may send again, and which answers count.
 * Time-bound: a warm-up whose answers are not counted, then the window; count-bound: exactly `count`
 * IQs are sent, and the window runs from the first send to the last answer.
 */
export class Phase {
  readonly stats = new PhaseStats();
  /** no more sends (the phase is over, or draining) */
  stopped = false;
  /** Ctrl-C: what is left unanswered is not counted as wrong */
  interrupted = false;
  private issued = 0;
  private readonly startedAt: number;
  private readonly endsAt: number;

  constructor(
    readonly kind: IqKind,
    readonly domain: string,
    private readonly bound: PhaseBound,
    now: number,
  ) {
    this.startedAt = now;
    if ("durationMs" in bound) {
      this.stats.windowStart = now + bound.warmupMs;
      this.endsAt = this.stats.windowStart + bound.durationMs;
      this.stats.windowEnd = this.endsAt;
    } else {
      this.stats.windowStart = now;
      this.endsAt = Infinity;
    }
  }

  /** Whether a free slot sends another IQ now (a count-bound phase hands out its count once). */
  takeTicket(now: number): boolean {
    if (this.stopped) return false;
    if ("count" in this.bound) {
      if (this.issued >= this.bound.count) return false;
    } else if (now >= this.endsAt) return false;
    this.issued++;
    this.stats.sent++;
    return true;
  }

  /** A right answer received at `now`, `latencyMs` after its request. */
  answered(now: number, latencyMs: number): void {
    if ("count" in this.bound) this.stats.windowEnd = now;
    else if (now < this.stats.windowStart || now >= this.endsAt) return;
    this.stats.ok++;
    this.stats.latency.record(latencyMs);
  }

  /** 0..1 for the progress line. */
  progress(now: number): number {
    if ("count" in this.bound) return Math.min(1, this.issued / this.bound.count);
    return Math.min(1, Math.max(0, (now - this.startedAt) / (this.endsAt - this.startedAt)));
  }
}
