import { performance } from "node:perf_hooks";
import { seedRequest, type IqKind } from "./iq-kinds.js";
import { LoadClient } from "./load-client.js";
import { Phase, type PhaseBound } from "./phase.js";
import { taxRatio, type ErrorKind, type PhaseResult } from "./stats.js";
import type { BenchEndpoint } from "./bench-target.js";

export interface BenchOptions {
  users: number;
  /** requests in flight per user: users × inFlight in total */
  inFlight: number;
  bound: PhaseBound;
  /** one request unanswered this long is an error (timeout) */
  iqTimeoutMs: number;
  loginTimeoutMs: number;
  signal?: AbortSignal;
  /** the delegated publish that seeds the node failed: the delegated phase will count errors */
  onWarning?: (line: string) => void;
  onProgress?: (progress: BenchProgress) => void;
}

export interface BenchProgress {
  kind: IqKind;
  fraction: number;
  ok: number;
  errors: number;
  /** of the measurement window so far (0 during the warm-up) */
  elapsedMs: number;
}

/** The JSON output, exactly. */
export interface BenchResult {
  delegated: PhaseResult;
  plain: PhaseResult;
  ratio: number | null;
}

export interface BenchReport {
  result: BenchResult;
  /** per phase, why answers did not count */
  errorKinds: Record<IqKind, Partial<Record<ErrorKind, number>>>;
  interrupted: boolean;
}

/** The target refused the bench's logins or does not delegate: no figure would mean anything. */
export class BenchSetupError extends Error {}

const PHASES: IqKind[] = ["plain", "delegated"];
const TICK_MS = 50;
/** A count-bound phase stops here whatever is left (each IQ also has its own timeout). */
const MAX_PHASE_MS = 120_000;

/** Logs the users in, seeds the pubsub node, then runs the plain and the delegated phase through the same sessions. */
export async function runBench(endpoint: BenchEndpoint, o: BenchOptions): Promise<BenchReport> {
  const clients = await login(endpoint, o);
  try {
    const problem = await seed(endpoint, clients, o.iqTimeoutMs);
    if (problem) o.onWarning?.(problem);
    const results = {} as Record<IqKind, PhaseResult>;
    const errorKinds = {} as BenchReport["errorKinds"];
    for (const kind of PHASES) {
      const phase = await runPhase(kind, endpoint.domain, clients, o);
      results[kind] = phase.stats.result();
      errorKinds[kind] = Object.fromEntries(phase.stats.errorsByKind);
    }
    return { result: { delegated: results.delegated, plain: results.plain, ratio: taxRatio(results.delegated, results.plain) }, errorKinds, interrupted: Boolean(o.signal?.aborted) };
  } finally {
    for (const client of clients) client.close();
  }
}

async function login(endpoint: BenchEndpoint, o: BenchOptions): Promise<LoadClient[]> {
  const attempts = Array.from({ length: o.users }, (_, i) => {
    const account = endpoint.accounts[i % endpoint.accounts.length];
    const options = { host: endpoint.host, port: endpoint.port, domain: endpoint.domain, ...account, resource: `bench-${i}`, timeoutMs: o.loginTimeoutMs };
    return LoadClient.login(options, `u${i}`);
  });
  const settled = await Promise.allSettled(attempts);
  const clients = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    for (const client of clients) client.close();
    throw new BenchSetupError(`${endpoint.label}: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
  }
  return clients;
}

/**
 * One publish per account, through the delegation, so that the mock component has items to answer
 * with. When it fails, the reason is returned: the bench still runs and the delegated phase shows
 * the errors (a broken managing entity is measured, not refused).
 */
async function seed(endpoint: BenchEndpoint, clients: LoadClient[], timeoutMs: number): Promise<string | undefined> {
  const firsts = clients.slice(0, endpoint.accounts.length);
  const problems = await Promise.all(
    firsts.map(async (client) => {
      let answer;
      try {
        answer = await client.request((id) => seedRequest(id, endpoint.domain), timeoutMs);
      } catch {
        return `the delegated publish of ${client.jid} got no answer within ${timeoutMs} ms (is the namespace delegated?)`;
      }
      if (answer.attrs.type === "result") return undefined;
      const condition = answer.getChild("error")?.children.find((c) => typeof c !== "string");
      return `the delegated publish of ${client.jid} was answered '${answer.attrs.type}' (${condition && typeof condition !== "string" ? condition.name : "no condition"})`;
    }),
  );
  return problems.find((p) => p !== undefined);
}

async function runPhase(kind: IqKind, domain: string, clients: LoadClient[], o: BenchOptions): Promise<Phase> {
  const started = performance.now();
  const phase = new Phase(kind, domain, o.bound, started);
  if (o.signal?.aborted) return phase;
  const onAbort = () => {
    phase.stopped = phase.interrupted = true;
    phase.stats.windowEnd = Math.min(phase.stats.windowEnd, performance.now());
  };
  o.signal?.addEventListener("abort", onAbort, { once: true });
  for (const client of clients) client.start(phase, o.inFlight);
  const issuingEnds = "durationMs" in o.bound ? started + o.bound.warmupMs + o.bound.durationMs : started + MAX_PHASE_MS;
  for (;;) {
    await new Promise((r) => setTimeout(r, TICK_MS));
    const now = performance.now();
    for (const client of clients) client.sweep(now, o.iqTimeoutMs);
    const pending = clients.reduce((n, c) => n + c.pending, 0);
    o.onProgress?.({ kind, fraction: phase.progress(now), ok: phase.stats.ok, errors: phase.stats.errors, elapsedMs: Math.max(0, now - phase.stats.windowStart) });
    // Nothing in flight means every slot is done: free slots send again at once while the phase issues.
    if (pending === 0 || o.signal?.aborted || now >= issuingEnds + o.iqTimeoutMs) break;
    if (now >= issuingEnds) phase.stopped = true;
  }
  phase.stopped = true;
  o.signal?.removeEventListener("abort", onAbort);
  for (const client of clients) client.abandon(Boolean(o.signal?.aborted));
  return phase;
}
