/** What one phase of the bench measured, as the JSON output names it. */
export interface PhaseResult {
  iqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const BUCKET_MS = 0.01;
const BUCKETS = 1_000_000; // 10 µs resolution up to 10 s; slower answers land in the last bucket

/**
 * Latencies in fixed 10 µs buckets: constant memory whatever the count, and percentiles exact to
 * the bucket, which is far below loopback jitter.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  record(ms: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.counts[bucket]++;
    this.count++;
  }

  /** p in [0, 1]; 0 when nothing was recorded. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return (i + 0.5) * BUCKET_MS;
    }
    return BUCKETS * BUCKET_MS;
  }
}

/** Why an answer did not count: the human table lists them, the JSON only sums them. */
export type ErrorKind = "wrong-id" | "error-answer" | "wrong-type" | "unwrapped" | "wrong-payload" | "timeout" | "disconnected";

/** One phase's counters, shared by every user of that phase. */
export class PhaseStats {
  readonly latency = new LatencyHistogram();
  readonly errorsByKind = new Map<ErrorKind, number>();
  /** correct answers inside the measurement window */
  ok = 0;
  /** every IQ sent, warm-up included */
  sent = 0;
  errors = 0;
  windowStart = 0;
  windowEnd = 0;

  error(kind: ErrorKind, n = 1): void {
    this.errors += n;
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + n);
  }

  result(): PhaseResult {
    const seconds = (this.windowEnd - this.windowStart) / 1000;
    return {
      iqPerSec: seconds > 0 ? Math.round(this.ok / seconds) : 0,
      p50Ms: round(this.latency.percentile(0.5), 3),
      p99Ms: round(this.latency.percentile(0.99), 3),
      errors: this.errors,
    };
  }
}

/** The delegation tax: what a delegated IQ costs against a plain one (throughput is 1 / cost). */
export function taxRatio(delegated: PhaseResult, plain: PhaseResult): number | null {
  if (delegated.iqPerSec === 0 || plain.iqPerSec === 0) return null;
  return round(plain.iqPerSec / delegated.iqPerSec, 2);
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
