/**
 * A mock's fault switches (mocks/server/faults.ts, mocks/component/faults.ts): the one way its code
 * asks whether a fault is on. Every behaviour a fault turns wrong sits behind a has() call.
 */
export interface FaultSwitches<F extends string> {
  has(fault: F): boolean;
}

/** What the mocks given an instrumented fault list looked up (test/helpers/fault-matrix.ts). */
export interface ConsultRecord {
  /** Every fault switch looked up, whether it was on or off. */
  readonly consulted: Set<string>;
  /** How many mocks took this record (0: the instrumentation missed the mock). */
  mocks: number;
}

const records = new WeakMap<readonly string[], ConsultRecord>();

/**
 * Instrumentation for the fault matrices: every mock built with this very list as its faults (the
 * drivers pass their list on as it is) adds each fault it looks up to the record, for its whole life.
 * A mock that never looked fault F up ran the same code as with F on, so F cannot change what it did.
 */
export function recordConsults<F extends string>(faults: readonly F[], record: ConsultRecord): readonly F[] {
  records.set(faults, record);
  return faults;
}

export function newConsultRecord(): ConsultRecord {
  return { consulted: new Set(), mocks: 0 };
}

/** The switches of one mock: `faults` on, every other off; looked-up IDs recorded when the list is instrumented. */
export function faultSwitches<F extends string>(faults: readonly F[]): FaultSwitches<F> {
  const on = new Set<string>(faults);
  const record = records.get(faults);
  if (!record) return { has: (fault) => on.has(fault) };
  record.mocks++;
  return {
    has: (fault) => {
      record.consulted.add(fault);
      return on.has(fault);
    },
  };
}
