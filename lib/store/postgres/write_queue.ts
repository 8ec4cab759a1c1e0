/**
 * The writes submitted to one replica and not yet in a transaction: taken
 * in batches (encoded for the log on the way), refused when they waited too
 * long or the store stops.
 *
 * @module
 */

import { encodeWrite, type WriteColumns } from "@lib/store/postgres/codec.ts";
import type { WriteRequest, WriteResult } from "@lib/store/store.ts";

/** A submitted write and its caller's promise. */
export interface Pending {
  readonly write: WriteRequest;
  /** When it was submitted (epoch ms). */
  readonly since: number;
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

/** A write of a batch, encoded. */
export interface Encoded {
  readonly pending: Pending;
  readonly columns: WriteColumns;
  /** The decoded copy, applied locally (every replica applies exactly what the log holds). */
  readonly write: WriteRequest;
}

/** Bytes of families per batch, at most (a larger single write still goes alone). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** The queue of submitted writes, in submission order. */
export class WriteQueue {
  #pending: Pending[] = [];

  /** Writes waiting. */
  get size(): number {
    return this.#pending.length;
  }

  /** Queues a write. */
  push(p: Pending): void {
    this.#pending.push(p);
  }

  /** Takes the next batch: up to `max` writes, encoded. */
  take(max: number): Encoded[] {
    const batch: Encoded[] = [];
    let bytes = 0;
    while (this.#pending.length > 0 && batch.length < max) {
      const next = this.#pending[0]!;
      const { columns, write } = encodeWrite(next.write);
      const size = columns.families?.length ?? 0;
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      this.#pending.shift();
      bytes += size;
      batch.push({ pending: next, columns, write });
    }
    return batch;
  }

  /** Refuses the writes submitted before `limit` (epoch ms) with `error()`. */
  expire(limit: number, error: () => Error): void {
    if (this.#pending.length === 0 || this.#pending[0]!.since > limit) return;
    const keep: Pending[] = [];
    for (const p of this.#pending) {
      if (p.since > limit) keep.push(p);
      else p.reject(error());
    }
    this.#pending = keep;
  }

  /** Refuses every waiting write with `error()`. */
  rejectAll(error: () => Error): void {
    for (const p of this.#pending.splice(0)) p.reject(error());
  }
}

/** A batch waits this long for more writes when writers are busy (see {@linkcode CommitPacer}). */
const LINGER_MS = 2;
const BUSY_MS = 20;

/** What {@linkcode CommitPacer} reads the time from and waits with (tests give their own). */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Group commit's pacing: while several writers keep writing, a batch lingers
 * a moment so that it takes the writes arriving meanwhile (fewer, larger
 * transactions: less CPU per write in PostgreSQL and in the replicas).
 *
 * "Several writers" means the last transaction carried more than one write
 * and ended less than `BUSY_MS` ago. The writers busy then were the ones it
 * carried plus those whose writes arrived while it was in flight; the linger
 * ends as soon as that many writes wait (every writer is back: waiting longer
 * only delays them), or after `LINGER_MS`. A lone writer, whose next write
 * only comes after the answer to the last, never waits: lingering could gain
 * it nothing and would add to every push.
 *
 * {@linkcode after} must be told the writes that wait once the transaction
 * ended and *before* its writers are answered: a writer answered may queue its
 * next write at once, and counting it again would have every batch wait for
 * writers that do not exist, until the timer.
 */
export class CommitPacer {
  readonly #clock: PacerClock;
  #lastCommit = -Infinity;
  #lastBatch = 0;
  /** Writers busy at the last commit: its writes, and those queued meanwhile. */
  #writers = 0;
  /** While lingering: the queue length that ends the linger, and how to end it. */
  #until: { readonly size: number; readonly release: () => void } | undefined;
  #timedOut = 0;

  /** A pacer on the real clock, or on `clock`. */
  constructor(clock: PacerClock = REAL_CLOCK) {
    this.#clock = clock;
  }

  /** Before taking a batch of `queued` writes (at most `max`): lingers when writers are busy. */
  async before(queued: number, max: number): Promise<void> {
    const busy = this.#clock.now() - this.#lastCommit < BUSY_MS && this.#lastBatch > 1;
    const size = Math.min(max, this.#writers);
    if (!busy || queued >= size) return;
    const released = new Promise<void>((release) => this.#until = { size, release });
    try {
      const timedOut = await Promise.race([
        this.#clock.sleep(LINGER_MS).then(() => true),
        released.then(() => false),
      ]);
      if (timedOut) this.#timedOut++;
    } finally {
      this.#until = undefined;
    }
  }

  /** Lingers that lasted until the timer (the writers awaited did not all come back). */
  get timedOut(): number {
    return this.#timedOut;
  }

  /** A write was queued, `queued` wait now: ends a linger once every busy writer is back. */
  queued(queued: number): void {
    if (this.#until !== undefined && queued >= this.#until.size) this.#until.release();
  }

  /**
   * After a transaction of `writes` writes ended (committed or not), with
   * `waiting` writes queued meanwhile; before its writes are answered.
   */
  after(writes: number, waiting = 0): void {
    this.#lastCommit = this.#clock.now();
    this.#lastBatch = writes;
    this.#writers = writes + waiting;
  }
}
