/**
 * Delta debugging, ddmin (Zeller & Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", TSE 2002): finds a 1-minimal sub-list of `items`
 * for which `test` still holds ("still fails the same way"), trying subsets
 * and complements at growing granularity.
 *
 * `close` repairs a candidate before it is tested (e.g. adds the steps that
 * kept steps depend on); a candidate that repairs back to the current size is
 * no reduction and is not tested. Results are cached by item set, so a
 * candidate reached twice costs one test.
 */
export interface DdminOptions<T> {
  /** Adds what a candidate needs; must return items of the original list (any order, duplicates ignored). */
  close?: (candidate: T[]) => T[];
  /** Called after each (uncached) test. */
  onTest?: (candidate: T[], holds: boolean, tests: number) => void;
  /** Stop after this many tests, keeping the smallest configuration found so far. */
  maxTests?: number;
}

export interface DdminResult<T> {
  items: T[];
  /** Tests actually run (cache hits excluded). */
  tests: number;
  cacheHits: number;
  /** maxTests was reached before the result was 1-minimal. */
  exhausted: boolean;
}

export async function ddmin<T>(items: T[], test: (candidate: T[]) => boolean | Promise<boolean>, options: DdminOptions<T> = {}): Promise<DdminResult<T>> {
  const index = new Map<T, number>();
  items.forEach((item, i) => {
    if (!index.has(item)) index.set(item, i);
  });
  const normalize = (candidate: T[]): T[] => {
    const closed = options.close ? options.close(candidate) : candidate;
    const seen = new Set<number>();
    for (const item of closed) {
      const i = index.get(item);
      if (i === undefined) throw new Error("ddmin: close() returned an item that is not in the original list");
      seen.add(i);
    }
    return [...seen].sort((a, b) => a - b).map((i) => items[i]);
  };
  const key = (candidate: T[]) => candidate.map((item) => index.get(item)).join(",");
  const cache = new Map<string, boolean>();
  let tests = 0;
  let cacheHits = 0;
  let exhausted = false;
  const maxTests = options.maxTests ?? Infinity;

  const holds = async (candidate: T[]): Promise<boolean> => {
    const k = key(candidate);
    const cached = cache.get(k);
    if (cached !== undefined) {
      cacheHits++;
      return cached;
    }
    if (tests >= maxTests) {
      exhausted = true;
      return false;
    }
    tests++;
    const result = await test(candidate);
    cache.set(k, result);
    options.onTest?.(candidate, result, tests);
    return result;
  };

  let current = normalize(items);
  cache.set(key(current), true);
  let n = 2;
  while (current.length >= 2 && !exhausted) {
    const chunks = split(current, n);
    let reduced = false;
    // 1. Reduce to a subset.
    for (const chunk of chunks) {
      const candidate = normalize(chunk);
      if (candidate.length < current.length && (await holds(candidate))) {
        current = candidate;
        n = 2;
        reduced = true;
        break;
      }
    }
    // 2. Reduce to a complement.
    if (!reduced && n > 2) {
      for (const chunk of chunks) {
        const drop = new Set(chunk);
        const candidate = normalize(current.filter((item) => !drop.has(item)));
        if (candidate.length < current.length && (await holds(candidate))) {
          current = candidate;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    // 3. Increase granularity.
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, 2 * n);
    }
  }
  // A single item left: maybe nothing at all is needed.
  if (current.length === 1 && !exhausted) {
    const candidate = normalize([]);
    if (candidate.length < current.length && (await holds(candidate))) current = candidate;
  }
  return { items: current, tests, cacheHits, exhausted };
}

/** `n` nearly equal consecutive chunks (fewer when the list is shorter). */
export function split<T>(list: T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n && start < list.length; i++) {
    const size = Math.ceil((list.length - start) / (n - i));
    chunks.push(list.slice(start, start + size));
    start += size;
  }
  return chunks;
}
