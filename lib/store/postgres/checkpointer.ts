/**
 * When to checkpoint the shared state, and writing it: every N writes, or
 * after M milliseconds with writes, a replica writes its local state at an
 * exact sequence (unless another replica is writing one), which lets the log
 * be trimmed. One checkpoint at a time per replica; a failed one is retried
 * after a pause.
 *
 * @module
 */

import { bounded } from "@lib/store/postgres/bounded.ts";
import type { Sql } from "@lib/store/postgres/client.ts";
import { writeCheckpoint } from "@lib/store/postgres/log_db.ts";
import type { StoredGroup } from "@lib/store/store.ts";

/** Options of {@linkcode Checkpointer}. */
export interface CheckpointerOptions {
  /** After this many writes… */
  readonly writes: number;
  /** …or this long with writes (ms). */
  readonly intervalMs: number;
  /** Bound of writing one (ms). */
  readonly timeoutMs: number;
  readonly replica: string;
  readonly now: () => number;
  /** Called with each checkpoint this replica wrote. */
  written(seq: number, groups: number, trimmed: number): void;
  /** Called when writing one failed. */
  failed(err: unknown): void;
}

const RETRY_MS = 10_000;

/** Decides when to checkpoint and writes the checkpoints of one replica. */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #seq = 0;
  #atMs = 0;
  #running = false;
  #retryAtMs = 0;

  /** Creates the scheduler; nothing is due before {@linkcode reset}. */
  constructor(options: CheckpointerOptions) {
    this.#o = options;
  }

  /** The newest checkpoint known (after a load): its sequence and when it was written. */
  reset(seq: number, atMs: number): void {
    this.#seq = seq;
    this.#atMs = atMs;
  }

  /**
   * Starts writing a checkpoint of the state after write `applied` when one
   * is due; `snapshot` is only called then (a point-in-time copy).
   */
  maybe(sql: Sql, applied: number, snapshot: () => StoredGroup[]): void {
    if (this.#running || applied <= this.#seq) return;
    const now = this.#o.now();
    if (now < this.#retryAtMs) return;
    if (applied - this.#seq < this.#o.writes && now - this.#atMs < this.#o.intervalMs) return;
    const groups = snapshot();
    this.#running = true;
    bounded(
      writeCheckpoint(sql, applied, groups, this.#o.replica, this.#o.timeoutMs),
      this.#o.timeoutMs,
    ).then((outcome) => {
      if (outcome.written) this.#o.written(applied, groups.length, outcome.trimmed);
      // Another replica's checkpoint (or one being written) counts as this one's.
      this.#seq = Math.max(this.#seq, outcome.newestSeq ?? applied);
      this.#atMs = now;
    }).catch((err) => {
      this.#o.failed(err);
      this.#retryAtMs = this.#o.now() + RETRY_MS;
    }).finally(() => {
      this.#running = false;
    });
  }
}
