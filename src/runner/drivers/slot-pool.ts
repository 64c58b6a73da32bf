/**
 * Numbered slots that scenarios take in turns (a server target's lanes, a launched component's
 * instances): the lowest free one, or, when all are taken, the first one given back.
 */
export class SlotPool {
  private readonly free: number[] = [];
  private readonly waiting: ((slot: number) => void)[] = [];

  /** Slots 0 … count−1 are free (once, before anything is taken). */
  fill(count: number): void {
    for (let slot = 0; slot < count; slot++) this.free.push(slot);
  }

  /** The slot take() would hand out now: the lowest free one, else 0 (held by a running scenario). */
  next(): number {
    return this.free.length ? Math.min(...this.free) : 0;
  }

  take(): Promise<number> {
    if (this.free.length) {
      const slot = Math.min(...this.free);
      this.free.splice(this.free.indexOf(slot), 1);
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  giveBack(slot: number): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  /** No slot is free any more (the instances are gone). */
  clear(): void {
    this.free.length = 0;
  }
}
