/**
 * The shared store: several replicas, one PostgreSQL. Each replica keeps a
 * {@linkcode StoreState} as its local copy (reads never touch the database)
 * and applies every write of one global log, in order, with
 * `state.apply(write, seq)`; the state machine is deterministic, so every
 * replica ends with the same state and agrees on every push's result.
 *
 * One loop per replica does everything that changes the local copy, one
 * thing at a time:
 *
 * - **Group commit.** The writes submitted since the last transaction go in
 *   one (paced by `CommitPacer`), appended by one statement (`appendBatch`):
 *   on the server, the writers' advisory lock (serialises writers across
 *   replicas; held only while the server works, never across a round trip to
 *   a replica), the next sequence numbers, the insert, `NOTIFY`, and the log
 *   rows this replica had not applied yet; the transaction commits before the
 *   answer. The rows that precede the batch (other replicas' writes), then the
 *   batch, are applied in order with `state.apply(write, seq)` (this *is* the
 *   consistency check against the state the global order defines, the same at
 *   every replica), and each submitter is answered with its write's result.
 *   The local copy only ever holds committed writes: a failed transaction's
 *   writes are answered with {@linkcode StoreUnavailableError} (503) and leave
 *   nothing to undo. Batches go over the listening connection, so
 *   notifications of commits made meanwhile arrive with the answer.
 * - **Following.** On a notification (`LISTEN`) and on a poll every second,
 *   when no write is waiting, the rows after the last applied one are read
 *   and applied in order; a notification that carried its batch's rows
 *   (carried.ts) spares the read.
 * - **Loading.** At start, and when the rows a replica needs next were
 *   trimmed, the newest checkpoint and the log after
 *   it are read in one snapshot and become the local copy.
 * - **Checkpoints.** Every N writes or M minutes, one replica (advisory lock)
 *   writes its state at an exact sequence; older log rows are trimmed.
 * - **Expiry.** One replica at a time issues the expiry deletes: the one
 *   whose listening session holds a session-level advisory lock
 *   ({@linkcode PostgresStore.issuesExpiry}); the lock goes with the
 *   session, and another replica takes it within a second.
 *
 * Every database wait is bounded (`timeoutMs`), so a write never hangs: it
 * gets its result or a 503 within a few seconds.
 *
 * @module
 */

import type { Sql } from "@lib/store/postgres/client.ts";
import type { PostgresStoreOptions } from "@lib/store/postgres/store_options.ts";
import { decodeState, decodeWrite, rowSeq } from "@lib/store/postgres/codec.ts";
import { appendBatch, type LogRow, readLogFrom, readState } from "@lib/store/postgres/log_db.ts";
import { bounded, Sleeper, TimeoutError } from "@lib/store/postgres/bounded.ts";
import { CarriedRows } from "@lib/store/postgres/carried.ts";
import { Checkpointer } from "@lib/store/postgres/checkpointer.ts";
import { LogListener, type Notice } from "@lib/store/postgres/log_listener.ts";
import { CommitPacer, type Encoded, WriteQueue } from "@lib/store/postgres/write_queue.ts";
import { ensureSchema, StoreSetupError } from "@lib/store/postgres/schema.ts";
import { NoticedCommits, StorageMetrics } from "@lib/store/postgres/store_metrics.ts";
import { StoreState } from "@lib/store/state.ts";
import {
  type AppliedWrite,
  type MetricStore,
  type ProbeResult,
  StoreUnavailableError,
  type StoreView,
  type WriteListener,
  type WriteRequest,
  type WriteResult,
  type WriteResultOf,
} from "@lib/store/store.ts";
import type { MetricFamily } from "@lib/model/metric.ts";

/** The rows this replica needs next are gone (trimmed, or the database lost them): load the state. */
class BehindError extends Error {}

const FOLLOW_LIMIT = 5_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A {@linkcode MetricStore} shared by several replicas through PostgreSQL. */
export class PostgresStore implements MetricStore {
  /** The store's own metrics (for `/-/metrics`). */
  readonly metrics: StorageMetrics = new StorageMetrics();
  readonly #state: StoreState;
  readonly #o: Required<Omit<PostgresStoreOptions, "own" | "state" | "onLoaded" | "pacer">>;
  readonly #onLoaded: () => void;
  readonly #listeners = new Set<WriteListener>();
  #sql: Sql;
  /** The connection that listens, on which this replica also appends its batches. */
  #listener: LogListener | undefined;
  readonly #queue = new WriteQueue();
  /** This replica's committed writes, by sequence, until they are applied here and answered. */
  readonly #awaiting = new Map<number, Encoded>();
  #applied = 0;
  #announced = 0;
  #loaded = false;
  #needsLoad = true;
  #schemaChecked = false;
  #down: string | undefined;
  /** Follow now (a poll, or listening again): there may be writes nobody notified. */
  #followWanted = false;
  /** The newest sequence notified. */
  #knownHead = 0;
  #closed = false;
  readonly #sleeper = new Sleeper();
  #loop: Promise<void> | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  readonly #notices = new NoticedCommits();
  /** Rows of other replicas' commits that their notifications carried. */
  readonly #carried = new CarriedRows();
  readonly #checkpointer: Checkpointer;
  #failures = 0;
  readonly #pacer: CommitPacer;

  /** Creates the store; nothing happens until {@linkcode run}. */
  constructor(options: PostgresStoreOptions) {
    this.#o = {
      settings: {},
      checkpointWrites: 10_000,
      checkpointIntervalMs: 5 * 60_000,
      timeoutMs: 5_000,
      bulkTimeoutMs: 60_000,
      pollIntervalMs: 1_000,
      maxBatch: 500,
      replica: crypto.getRandomValues(new Uint8Array(6)).toHex(),
      now: Date.now,
      ...options,
    };
    this.#state = new StoreState(options.own, options.state);
    this.#pacer = options.pacer ?? new CommitPacer();
    this.#onLoaded = options.onLoaded ?? (() => {});
    this.#checkpointer = new Checkpointer({
      writes: this.#o.checkpointWrites,
      intervalMs: this.#o.checkpointIntervalMs,
      timeoutMs: this.#o.bulkTimeoutMs,
      replica: this.#o.replica,
      now: this.#o.now,
      written: (seq, groups, trimmed) => {
        this.metrics.checkpoints++;
        this.#o.logger.debug("checkpoint written", { seq, groups, trimmed });
      },
      failed: (err) => this.#o.logger.warn("writing a checkpoint failed", { err: message(err) }),
    });
    this.#sql = this.#o.connect();
  }

  /** The read side (this replica's copy; never waits for the database). */
  get view(): StoreView {
    return this.#state;
  }

  /** The last sequence applied to the local copy. */
  get appliedSeq(): number {
    return this.#applied;
  }

  /**
   * Runs the store until {@linkcode close}: connects, creates or checks the
   * schema and the shared settings, loads the state, then commits and follows.
   * Rejects with {@linkcode StoreSetupError} when this replica must not start.
   */
  run(): Promise<void> {
    this.#loop ??= this.#runLoop();
    return this.#loop;
  }

  /** Queues `write` for the next transaction; resolves once it is committed and applied. */
  submit<W extends WriteRequest>(write: W): Promise<WriteResultOf<W>> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError("the store is shut down"));
    if (this.#down !== undefined) {
      return Promise.reject(
        new StoreUnavailableError(
          `PostgreSQL is unreachable (${this.#down}); the write was not applied`,
        ),
      );
    }
    return new Promise<WriteResultOf<W>>((resolve, reject) => {
      this.#queue.push({
        write,
        since: this.#o.now(),
        resolve: resolve as (r: WriteResult) => void,
        reject,
      });
      this.#pacer.queued(this.#queue.size);
      this.#wakeUp();
    });
  }

  /** See {@linkcode MetricStore.subscribe}. */
  subscribe(listener: WriteListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Healthy while the process works (a database outage is not a health problem). */
  healthy(): ProbeResult {
    return undefined;
  }

  /** Ready once the state was loaded and the log caught up once; stays ready during outages. */
  ready(): ProbeResult {
    if (this.#loaded) return undefined;
    return "the shared state has not been loaded from PostgreSQL yet" +
      (this.#down !== undefined ? ` (${this.#down})` : "");
  }

  /**
   * Whether this replica issues expiry deletes now: it holds the database's
   * expiry lock, which one replica at a time does (the expirer's `shouldIssue`).
   */
  issuesExpiry(): boolean {
    return this.#listener?.leading === true;
  }

  /** The store's own metrics, current. */
  collectMetrics(): MetricFamily[] {
    const m = this.metrics;
    m.expiryIssuer = this.issuesExpiry();
    m.appliedSeq = this.#applied;
    m.ready = this.#loaded;
    m.lagSeconds = this.#notices.lagSeconds(this.#applied, this.#o.now());
    return m.collect();
  }

  /** Stops: pending writes are refused, the loop ends, the connections close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop();
    await this.#loop?.catch(() => {});
    await this.#endClients();
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#queue.rejectAll(() => new StoreUnavailableError("the store is shut down"));
    this.#rejectAwaiting(
      () => true,
      "the write was committed, but the store shut down before applying it here",
    );
    this.#wakeUp();
  }

  /** Refuses the committed writes not applied yet that `which` selects. */
  #rejectAwaiting(which: (seq: number, e: Encoded) => boolean, why: string): void {
    for (const [seq, e] of this.#awaiting) {
      if (!which(seq, e)) continue;
      this.#awaiting.delete(seq);
      e.pending.reject(new StoreUnavailableError(why));
    }
  }

  async #endClients(): Promise<void> {
    await Promise.all([
      this.#sql.end({ timeout: 1 }).catch(() => {}),
      this.#listener?.close(),
    ]);
  }

  // ---------------------------------------------------------------------------
  // The loop

  async #runLoop(): Promise<void> {
    this.#sweeper = setInterval(() => {
      const s = this.#o.timeoutMs / 1000;
      const limit = this.#o.now() - this.#o.timeoutMs;
      this.#queue.expire(
        limit,
        () =>
          new StoreUnavailableError(
            `PostgreSQL did not take the write within ${s} s; it was not applied`,
          ),
      );
      // Committed, but the log could not be read back since: answered within the same bound.
      if (this.#awaiting.size > 0) {
        this.#rejectAwaiting(
          (_, e) => e.pending.since <= limit,
          `the write was committed to PostgreSQL, but this replica could not read the log ` +
            `back within ${s} s; it will show the write once it can`,
        );
      }
    }, 250);
    const listener = this.#listener = new LogListener(this.#o.connect, this.#o.timeoutMs, {
      notice: (notice) => this.#noticed(notice),
      listening: () => {
        this.#followWanted = true; // notifications may have been missed meanwhile
        this.#wakeUp();
      },
    });
    try {
      while (!this.#closed) {
        listener.ensure();
        if (this.#needsLoad) {
          if (!await this.#tryLoad()) continue;
        }
        if (this.#queue.size > 0) {
          await this.#pacer.before(this.#queue.size, this.#o.maxBatch);
          await this.#commitNext();
          this.#maybeCheckpoint();
          continue;
        }
        // Notified writes not applied yet (a commit of this replica may have applied them
        // meanwhile), or a poll.
        if (this.#followWanted || this.#knownHead > this.#applied) {
          if (!this.#followWanted && this.#applyCarried()) continue;
          this.#followWanted = false;
          await this.#follow();
          continue;
        }
        this.#maybeCheckpoint();
        if (await this.#sleep(this.#o.pollIntervalMs)) this.#followWanted = true;
      }
    } catch (err) {
      this.#stop();
      await this.#endClients();
      throw err;
    }
  }

  /** Waits `ms` or until woken; true when the time ran out. */
  #sleep(ms: number): Promise<boolean> {
    return this.#closed ? Promise.resolve(false) : this.#sleeper.sleep(ms);
  }

  #wakeUp(): void {
    this.#sleeper.wake();
  }

  /** Records whether the database answered, logging a loss once (then about once a minute). */
  #setConnected(ok: boolean, err?: unknown): void {
    const was = this.metrics.connected;
    this.metrics.connected = ok;
    if (ok) {
      this.#failures = 0;
      if (!was && this.#loaded) this.#o.logger.info("connected to PostgreSQL again");
      return;
    }
    this.#failures++;
    // One line when the connection is lost, then one a minute or so while it stays lost.
    if (was || this.#failures % 60 === 1) {
      this.#o.logger.warn("PostgreSQL request failed", { err: message(err) });
    }
  }

  /** After a stalled request: drop the pool's connections (a request may hang on one) and start anew. */
  #resetClient(): void {
    const old = this.#sql;
    this.#sql = this.#o.connect();
    old.end({ timeout: 0 }).catch(() => {});
  }

  #noticed(notice: Notice): void {
    if (notice.seq <= this.#applied) return;
    if (notice.seq > this.#knownHead) this.#knownHead = notice.seq;
    if (notice.carried !== undefined) {
      this.#carried.add(notice.seq, notice.atMs, notice.carried);
    }
    const atMs = Number.isFinite(notice.atMs) ? notice.atMs : this.#o.now();
    this.#notices.add(notice.seq, atMs, this.#applied);
    this.#wakeUp();
  }

  // ---------------------------------------------------------------------------
  // Applying

  #announce(write: AppliedWrite): void {
    this.#announced = write.seq;
    for (const listener of this.#listeners) listener(write);
  }

  /**
   * Applies committed rows that continue the local copy: the first row must
   * be the last applied one (or the first of the log). Throws
   * {@linkcode BehindError} when they do not continue it, or at an import.
   */
  #applyRows(rows: readonly LogRow[]): void {
    if (rows.length === 0) {
      if (this.#applied > 0) {
        throw new BehindError("the log no longer holds the last applied write");
      }
      return;
    }
    const first = rowSeq(rows[0]!);
    if (first !== (this.#applied > 0 ? this.#applied : 1)) {
      throw new BehindError(`the log continues at ${first}, after ${this.#applied} was applied`);
    }
    this.#applyContinuing(rows);
  }

  /** Applies rows in order from the one after the last applied (those before are skipped). */
  #applyContinuing(rows: readonly LogRow[]): void {
    const now = this.#o.now();
    for (const row of rows) {
      const seq = rowSeq(row);
      if (seq <= this.#applied) continue;
      if (seq !== this.#applied + 1) throw new BehindError(`gap in the log before ${seq}`);
      // This replica's own write: the copy it kept is what the row decodes to (write_queue.ts).
      const write = this.#awaiting.get(seq)?.write ?? decodeWrite(row);
      if (write.kind === "import") throw new BehindError("the state was imported");
      this.#applyOne(seq, write);
      if (row.replica !== this.#o.replica) {
        this.metrics.observeApplyDelay((now - row.written_at.getTime()) / 1000);
      }
    }
  }

  /**
   * Applies the rows notifications carried that continue the local copy;
   * true when that caught up with every notified write (no read needed).
   */
  #applyCarried(): boolean {
    const rows = this.#carried.take(this.#applied);
    if (rows.length === 0) return false;
    try {
      this.#applyContinuing(rows);
    } catch {
      this.#carried.clear(); // a read of the log decides (and reports) what is wrong
      return false;
    }
    return this.#applied >= this.#knownHead;
  }

  /** Applies one write; answers its submitter when it is this replica's. */
  #applyOne(seq: number, write: WriteRequest): void {
    const result = this.#state.apply(write, seq);
    this.#applied = seq;
    if (seq > this.#announced) this.#announce({ seq, request: write, result });
    const own = this.#awaiting.get(seq);
    if (own !== undefined) {
      this.#awaiting.delete(seq);
      own.pending.resolve(result);
    }
  }

  // ---------------------------------------------------------------------------
  // Loading

  /** Loads the state; false (after a pause) when the database could not be reached. */
  async #tryLoad(): Promise<boolean> {
    try {
      await this.#load();
      this.#down = undefined;
      return true;
    } catch (err) {
      if (err instanceof StoreSetupError) throw err;
      if (err instanceof TimeoutError) this.#resetClient();
      this.#down = message(err);
      this.#setConnected(false, err);
      const why = `PostgreSQL is unreachable (${this.#down}); the write was not applied`;
      this.#queue.rejectAll(() => new StoreUnavailableError(why));
      await this.#sleep(Math.min(1_000, 50 * 2 ** Math.min(this.#failures, 5)));
      return false;
    }
  }

  async #load(): Promise<void> {
    if (!this.#schemaChecked) {
      const outcome = await bounded(
        ensureSchema(this.#sql, this.#o.settings),
        this.#o.bulkTimeoutMs,
      );
      this.#schemaChecked = true;
      if (outcome.from !== outcome.to) {
        this.#o.logger.info(
          outcome.from === 0
            ? "created the shared store's tables"
            : "migrated the shared store's tables",
          { from_version: outcome.from, to_version: outcome.to },
        );
      }
    }
    const stored = await bounded(
      readState(this.#sql, this.#o.bulkTimeoutMs),
      this.#o.bulkTimeoutMs,
    );
    this.#setConnected(true);
    // Decode everything before the local copy changes, so a bad row leaves it as it was.
    const { groups, writes } = decodeState(stored.checkpointSeq, stored.groups, stored.rows);
    this.#state.restore(groups);
    this.#carried.clear();
    this.#applied = stored.checkpointSeq;
    // Committed writes of this replica that the checkpoint holds: applied, results unknown here.
    this.#rejectAwaiting(
      (seq) => seq <= stored.checkpointSeq,
      "the write was committed, but this replica loaded a checkpoint that holds it before " +
        "applying it, so its result is not known here",
    );
    if (this.#announced < this.#applied) this.#announced = this.#applied;
    for (const w of writes) this.#applyOne(w.seq, w.write);
    this.#checkpointer.reset(stored.checkpointSeq, stored.checkpointAtMs || this.#o.now());
    this.#needsLoad = false;
    this.metrics.reloads++;
    const first = !this.#loaded;
    this.#loaded = true;
    this.#o.logger.info(
      first
        ? "loaded the shared state from PostgreSQL"
        : "reloaded the shared state from PostgreSQL",
      { groups: this.#state.size, checkpoint: stored.checkpointSeq, applied: this.#applied },
    );
    this.#onLoaded();
  }

  // ---------------------------------------------------------------------------
  // Committing

  /**
   * One batch in one transaction (see {@linkcode appendBatch}): the writes
   * queued now are logged as they are; once committed, the log rows before
   * them that this replica had not applied, then the batch itself, are
   * applied in order, which checks the writes and answers them.
   */
  async #commitNext(): Promise<void> {
    const batch = this.#queue.take(this.#o.maxBatch);
    if (batch.length === 0) return;
    const listener = this.#listener!;
    const appended = await bounded(
      appendBatch(listener.sql, batch.map((e) => e.columns), {
        replica: this.#o.replica,
        writtenAt: new Date(this.#o.now()),
        applied: this.#applied,
        limit: FOLLOW_LIMIT,
      }),
      this.#o.timeoutMs,
    ).catch((err: unknown) => ({ err }));
    // Before any answer: the writes queued now came from writers the batch does not hold.
    this.#pacer.after(batch.length, this.#queue.size);
    if ("err" in appended) {
      const { err } = appended;
      if (err instanceof TimeoutError) listener.reset();
      this.metrics.commitFailures++;
      this.#setConnected(false, err);
      for (const e of batch) {
        e.pending.reject(
          new StoreUnavailableError(
            `the write could not be committed to PostgreSQL (${message(err)}); ` +
              "it may or may not have been applied",
            { cause: err },
          ),
        );
      }
      return;
    }
    this.#setConnected(true);
    this.metrics.commits++;
    this.metrics.committedWrites += batch.length;
    const { first, rows } = appended;
    batch.forEach((e, i) => this.#awaiting.set(first + i, e));
    try {
      this.#applyRows(rows);
    } catch (err) {
      this.#readFailed(err); // behind: the load applies the batch, and answers it
      return;
    }
    // The rows read back were cut at the limit: a follow reaches the batch later.
    if (this.#applied !== first - 1) {
      this.#followWanted = true;
      return;
    }
    batch.forEach((e, i) => this.#applyOne(first + i, e.write));
  }

  // ---------------------------------------------------------------------------
  // Following and checkpoints

  #follow(): Promise<void> {
    return this.#applyRead(readLogFrom(this.#sql, this.#applied, FOLLOW_LIMIT));
  }

  /** Applies a read of the log from the last applied write on. */
  async #applyRead(read: Promise<LogRow[]>): Promise<void> {
    try {
      const rows = await bounded(read, this.#o.timeoutMs);
      this.#setConnected(true);
      this.#applyRows(rows);
      if (rows.length === FOLLOW_LIMIT) this.#followWanted = true;
    } catch (err) {
      this.#readFailed(err);
    }
  }

  /** After a read of the log that could not be applied: load the state, or try again later. */
  #readFailed(err: unknown): void {
    if (err instanceof BehindError) {
      this.#o.logger.info("fell behind the shared log; loading the state", {
        reason: err.message,
      });
      this.#needsLoad = true;
      return;
    }
    if (err instanceof TimeoutError) this.#resetClient();
    this.#setConnected(false, err);
  }

  #maybeCheckpoint(): void {
    if (!this.#loaded || this.#needsLoad) return;
    this.#checkpointer.maybe(this.#sql, this.#applied, () => this.#state.snapshot());
  }
}
