import type { Socket } from "node:net";
import type { MockClock, MockTimer } from "./clock.js";

/** How a wait ended: nothing more can happen before the deadline, something reached the suite, or the deadline passed. */
export type SettleOutcome = "quiet" | "arrival" | "deadline";

/** One end of a TCP connection between the suite's actors and an embedded mock, in one process. */
interface Meter {
  side: "suite" | "mock";
  localPort?: number;
  remotePort?: number;
  /** Bytes handed to the socket, and bytes its 'data' listeners were given. */
  written: number;
  read: number;
  /** This end called end() or destroy(); the peer saw this end's FIN (or its own close). */
  finSent: boolean;
  finSeen: boolean;
  closed: boolean;
}

interface PendingTimer {
  /** On the mocks' clock (wall clock + time skipped). */
  due: number;
  handle: NodeJS.Timeout;
  fire(): void;
}

interface Waiter {
  deadline: number;
  wakeOnArrival: boolean;
  arrivalsAtStart: number;
  done(outcome: SettleOutcome): void;
}

/**
 * Tells when a scenario against the embedded mocks can no longer see anything happen: no byte in
 * flight on any of its connections (every byte one end wrote has been handed to the other end's
 * listeners, every close seen), and no mock timer due before the deadline. The mocks are
 * deterministic state machines in this process that act only on input or on their timers
 * (mocks/clock.ts), so from such a state nothing can arrive before the deadline without a new
 * stimulus: a "receives nothing" window, a `wait` or a step timeout can end there instead of
 * sleeping it out. Its verdict is the one the full window would give, and independent of how
 * busy the machine is (a loaded event loop delays arrivals; it cannot make the mock quiet early).
 *
 * The time skipped moves the mocks' clock forward (skipTo), so their timers keep their place
 * relative to the scenario's steps: a give-up due 2 s after a forward still comes after the
 * same steps as when every window is waited out.
 *
 * Real targets have no such signal: their scenarios wait out every window (ScenarioEnvironment.quiescence unset).
 */
export class WireQuiescence implements MockClock {
  private readonly meters = new Set<Meter>();
  private readonly timers = new Set<PendingTimer>();
  private readonly waiters = new Set<Waiter>();
  private skipped = 0;
  private arrivals = 0;
  private checkScheduled = false;

  /** The mocks' clock. */
  private now(): number {
    return Date.now() + this.skipped;
  }

  after(ms: number, action: () => void): MockTimer {
    const timer: PendingTimer = {
      due: this.now() + ms,
      handle: undefined as unknown as NodeJS.Timeout,
      fire: () => {
        if (!this.timers.delete(timer)) return;
        try {
          action();
        } finally {
          this.changed();
        }
      },
    };
    timer.handle = setTimeout(timer.fire, ms);
    this.timers.add(timer);
    return {
      cancel: () => {
        clearTimeout(timer.handle);
        if (this.timers.delete(timer)) this.changed();
      },
    };
  }

  /**
   * Counts what goes through `socket`: call it before the socket carries anything (for a
   * connecting socket, at its 'connect'). `side` "suite" is an actor's end, where data is an arrival.
   */
  watch(socket: Socket, side: Meter["side"]): void {
    const meter: Meter = { side, written: 0, read: 0, finSent: false, finSeen: false, closed: false };
    const ports = () => {
      meter.localPort ??= socket.localPort;
      meter.remotePort ??= socket.remotePort;
    };
    ports();
    if (meter.localPort === undefined) socket.once("connect", () => (ports(), this.changed()));
    this.meters.add(meter);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (!socket.destroyed && socket.writable) meter.written += byteLength(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as Socket["write"];
    const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
    socket.end = ((...args: unknown[]) => {
      meter.finSent = true;
      return end(...args);
    }) as Socket["end"];
    const destroy = socket.destroy.bind(socket);
    socket.destroy = ((error?: Error) => {
      meter.finSent = true;
      return destroy(error);
    }) as Socket["destroy"];
    socket.prependListener("data", (data: Buffer | string) => {
      meter.read += byteLength(data, undefined);
      if (side === "suite") this.arrivals++;
      this.changed();
    });
    socket.on("end", () => {
      meter.finSeen = true;
      this.changed();
    });
    socket.on("close", () => {
      meter.finSeen = true;
      meter.closed = true;
      this.changed();
    });
  }

  /**
   * Resolves "quiet" once nothing can reach the suite before `deadline` without a new stimulus,
   * "arrival" (when asked) as soon as something reached one of the suite's ends, else "deadline".
   */
  settle(deadline: number, wakeOnArrival: boolean): Promise<SettleOutcome> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        deadline,
        wakeOnArrival,
        arrivalsAtStart: this.arrivals,
        done: (outcome) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => waiter.done("deadline"), Math.max(0, deadline - Date.now()));
      this.waiters.add(waiter);
      this.scheduleCheck();
    });
  }

  /** A wait up to `deadline` (wall clock) was decided early: the mocks' clock moves on by what was not waited. */
  skipTo(deadline: number): void {
    const ahead = deadline - Date.now();
    if (ahead <= 0) return;
    this.skipped += ahead;
    for (const timer of this.timers) {
      clearTimeout(timer.handle);
      timer.handle = setTimeout(timer.fire, Math.max(0, timer.due - this.now()));
    }
  }

  private changed(): void {
    if (this.waiters.size > 0) this.scheduleCheck();
  }

  /** After the current I/O callbacks and their microtasks: the handlers of what just arrived have run. */
  private scheduleCheck(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.forgetClosed();
      for (const waiter of [...this.waiters]) {
        if (waiter.wakeOnArrival && this.arrivals !== waiter.arrivalsAtStart) waiter.done("arrival");
        else if (this.quietUntil(waiter.deadline)) waiter.done("quiet");
      }
    });
  }

  private quietUntil(deadline: number): boolean {
    for (const timer of this.timers) if (timer.due - this.skipped <= deadline) return false;
    for (const meter of this.meters) {
      if (meter.localPort === undefined) {
        if (meter.closed) continue;
        return false; // still connecting
      }
      const peer = this.peerOf(meter);
      if (!peer) {
        if (meter.closed) continue;
        return false; // accepted on one side, not yet seen on the other
      }
      if (!peer.closed && meter.written !== peer.read) return false;
      if (meter.finSent && !peer.finSeen) return false;
    }
    return true;
  }

  private peerOf(meter: Meter): Meter | undefined {
    for (const other of this.meters) {
      if (other !== meter && other.localPort === meter.remotePort && other.remotePort === meter.localPort) return other;
    }
    return undefined;
  }

  /** Connections closed at both ends can carry nothing more. */
  private forgetClosed(): void {
    for (const meter of this.meters) {
      if (!meter.closed) continue;
      const peer = meter.localPort === undefined ? undefined : this.peerOf(meter);
      if (peer && !peer.closed) continue;
      this.meters.delete(meter);
      if (peer) this.meters.delete(peer);
    }
  }
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === "string") return Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
