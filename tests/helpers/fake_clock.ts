/**
 * A fake clock and timer for code that takes an injected clock (expiry):
 * time moves only when a test advances it, and the timers due on the way run
 * in order, each at its own time. No sleeps, no wall-clock assertions.
 *
 * @module
 */

import type { ExpiryClock } from "@lib/store/expiry.ts";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Lets pending promise callbacks run: a few microtask turns, or a macrotask turn when `full`. */
async function flush(full = false): Promise<void> {
  if (full) return await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

/** A manually advanced {@linkcode ExpiryClock}. */
export class FakeClock implements ExpiryClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();
  /** How many timers were set so far. */
  timersSet = 0;
  /** The most timers that were pending at once. */
  maxPending = 0;

  /** Starts the clock at `startMs` (Unix epoch milliseconds). */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  /** The current fake time. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at now + `delayMs`. */
  setTimer(callback: () => void, delayMs: number): number {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), seq: id, callback });
    this.timersSet++;
    this.maxPending = Math.max(this.maxPending, this.#timers.size);
    return id;
  }

  /** Cancels a timer. */
  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers that have not fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, running every timer due on the way at its own
   * time (in order of time, then of setting), and letting the promises they
   * start settle after each (a few microtask turns; a full turn at the end).
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers.values()) {
        if (
          t.at <= end &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        ) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await flush();
    }
    this.#now = end;
    await flush(true);
  }
}
