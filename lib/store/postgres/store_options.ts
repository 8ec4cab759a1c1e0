/**
 * The options of the shared store ({@link ./postgres_store.ts}): how it
 * connects, what it logs, and its bounds and cadences.
 *
 * @module
 */

import type { NotifyHooks, Sql } from "@lib/store/postgres/client.ts";
import type { CommitPacer } from "@lib/store/postgres/write_queue.ts";
import type { StateSettings } from "@lib/store/state.ts";
import type { OwnFamily } from "@lib/store/store.ts";

/** The log lines the store writes. */
export interface StoreLogger {
  debug(msg: string, attrs?: Record<string, unknown>): void;
  info(msg: string, attrs?: Record<string, unknown>): void;
  warn(msg: string, attrs?: Record<string, unknown>): void;
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** Makes a client: the pool (no hooks), or the one connection that listens. */
export type ClientFactory = (listen?: NotifyHooks) => Sql;

/** Options of the shared store. */
export interface PostgresStoreOptions {
  readonly connect: ClientFactory;
  readonly logger: StoreLogger;
  /** The gateway's own families, which pushed families must agree with. */
  readonly own?: ReadonlyMap<string, OwnFamily>;
  /** The state machine's settings (default TTL, series limit): the same on every replica. */
  readonly state?: StateSettings;
  /** Called after the state was (re)loaded from the database, which is not announced as writes. */
  readonly onLoaded?: () => void;
  /** Settings every replica must share (flag name → value), recorded in the database. */
  readonly settings?: Readonly<Record<string, string>>;
  /** A checkpoint after this many writes (default 10,000)… */
  readonly checkpointWrites?: number;
  /** …or after this long with writes (default 5 minutes). */
  readonly checkpointIntervalMs?: number;
  /** Bound of every database wait of a write (default 5 s). */
  readonly timeoutMs?: number;
  /** Bound of loading the whole state and of writing a checkpoint (default 60 s). */
  readonly bulkTimeoutMs?: number;
  /** Polling interval of the follower, besides notifications (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Writes per transaction at most (default 500). */
  readonly maxBatch?: number;
  /** Group commit's pacing (default: a new one; tests give their own to read it). */
  readonly pacer?: CommitPacer;
  /** This replica's name in the log. */
  readonly replica?: string;
  /** The clock (epoch ms). */
  readonly now?: () => number;
}
