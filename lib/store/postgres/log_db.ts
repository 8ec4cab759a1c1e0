/**
 * The SQL of the shared log and its checkpoints: read the log from a
 * sequence on, append a batch of writes (and read the log after it), read the whole state (the newest
 * checkpoint and the log after it, in one snapshot), write a checkpoint and
 * trim what it makes unnecessary, and import a state into an empty database.
 *
 * @module
 */

import type { Sql, TxSql } from "@lib/store/postgres/client.ts";
import {
  bareColumns,
  batchArrays,
  type CheckpointGroupIn,
  encodeCheckpointGroup,
  type LogRowIn,
  type WriteColumns,
} from "@lib/store/postgres/codec.ts";
import { CHANNEL, LOCKS, StoreSetupError } from "@lib/store/postgres/schema.ts";
import type { StoredGroup } from "@lib/store/store.ts";

/** A log row as read, with who wrote it and when (the writer's clock). */
export interface LogRow extends LogRowIn {
  readonly replica: string;
  readonly written_at: Date;
}

/** A row to append. */
export interface NewLogRow extends WriteColumns {
  readonly seq: number;
  readonly replica: string;
  readonly written_at: Date;
}

/**
 * The log from `applied` on, in order, at most `limit` rows. The row at
 * `applied` itself comes without its families: its presence proves that the
 * rows after it continue what this replica applied (when it is missing, the
 * log was trimmed past it, or the database lost it).
 */
export async function readLogFrom(
  sql: Sql | TxSql,
  applied: number,
  limit = 10_000,
): Promise<LogRow[]> {
  return [...await logQuery(sql, applied, limit)];
}

function logQuery(sql: Sql | TxSql, applied: number, limit: number) {
  return sql<LogRow[]>`
    SELECT seq, kind, labels, CASE WHEN seq > ${applied} THEN families END AS families, replace,
      push_time_ms, if_not_written_since, ttl_ms, refused, reason, replica, written_at
    FROM pushgateway_log WHERE seq >= ${applied} ORDER BY seq LIMIT ${limit}`;
}

/** What a batch's transaction committed, and the log it had not applied. */
export interface Appended {
  /** The sequence the batch's first write got; the others follow it, in the batch's order. */
  readonly first: number;
  /**
   * The log from the `applied` given on, up to the batch (at most `limit`
   * rows; when there were more, they do not reach `first`), as
   * {@linkcode readLogFrom} reads it. The batch's own rows are not in it:
   * the caller has them.
   */
  readonly rows: LogRow[];
}

/** Who appends, when, and where the log read back starts. */
export interface AppendOptions {
  readonly replica: string;
  /** The writer's clock at the batch (its rows' `written_at`, and the notification's). */
  readonly writtenAt: Date;
  /** The last sequence this replica applied: the log read back starts there. */
  readonly applied: number;
  /** Rows of the log before the batch read back, at most. */
  readonly limit: number;
}

/**
 * Appends a batch of writes to the log in one statement, its own
 * transaction: `pushgateway_append` (schema version 3) takes the writers'
 * advisory lock, numbers the writes after the newest sequence, inserts them,
 * notifies the followers, and returns the log the caller had not applied
 * (others' writes before the batch), all on the server; the transaction
 * commits before the answer. So a batch costs one round trip, and the lock
 * is held only while the server works (never across a round trip to this
 * process). Writes are logged as submitted: their results come from applying
 * the log in order, as at every replica.
 *
 * Resolves once the batch is committed; throws when it was not, or (the
 * connection failing) when that is unknown.
 */
export async function appendBatch(
  conn: Sql,
  batch: readonly WriteColumns[],
  options: AppendOptions,
): Promise<Appended> {
  if (batch.length === 0) throw new Error("an empty batch");
  const a = batchArrays(batch);
  const result = await conn<LogRow[]>`
    SELECT * FROM pushgateway_append(${options.applied}, ${options.limit}, ${options.replica},
      ${options.writtenAt}, ${a.kinds}, ${a.labels}, ${a.families}, ${a.replace}, ${a.pushTimesMs},
      ${a.ifNotWrittenSince}, ${a.ttlsMs}, ${a.refused}, ${a.reasons})`;
  const n = batch.length;
  const own = result.slice(result.length - n);
  const first = own.length === n ? Number(own[0]!.seq) : NaN;
  if (
    !Number.isSafeInteger(first) ||
    own.some((r, i) => Number(r.seq) !== first + i || r.replica !== options.replica)
  ) {
    throw new Error(`the log did not number the batch of ${n} as expected`);
  }
  return { first, rows: result.slice(0, result.length - n) };
}

function notifyPayload(last: NewLogRow): string {
  return `${last.seq}:${last.written_at.getTime()}`;
}

/** Appends rows to the log and notifies the followers, inside a transaction (the import). */
async function appendLog(tx: TxSql, rows: readonly NewLogRow[]): Promise<void> {
  const last = rows.at(-1);
  if (last === undefined) return;
  await tx`INSERT INTO pushgateway_log ${
    tx(
      rows as NewLogRow[],
      "seq",
      "kind",
      "labels",
      "families",
      "replace",
      "push_time_ms",
      "if_not_written_since",
      "ttl_ms",
      "refused",
      "reason",
      "replica",
      "written_at",
    )
  }`;
  await tx`SELECT pg_notify(${CHANNEL}, ${notifyPayload(last)})`;
}

/** The state as the database holds it: the newest checkpoint and the log after it. */
export interface StoredState {
  /** The checkpoint's sequence (0: none; the log starts at 1). */
  readonly checkpointSeq: number;
  /** When it was written (epoch ms; 0 when none). */
  readonly checkpointAtMs: number;
  readonly groups: CheckpointGroupIn[];
  /** The log after the checkpoint, in order. */
  readonly rows: LogRow[];
}

/** Reads the whole state in one consistent snapshot (a REPEATABLE READ, read-only transaction). */
export async function readState(sql: Sql, timeoutMs: number): Promise<StoredState> {
  return await sql.begin("isolation level repeatable read read only", async (tx: TxSql) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
    const [cp] = await tx<{ seq: string; written_at: Date }[]>`
      SELECT seq, written_at FROM pushgateway_checkpoints ORDER BY seq DESC LIMIT 1`;
    const checkpointSeq = cp === undefined ? 0 : Number(cp.seq);
    const [groups, rows] = await Promise.all([
      cp === undefined ? [] : tx<CheckpointGroupIn[]>`
        SELECT labels, write_seq, families, push_times_ms, ttl FROM pushgateway_checkpoint_groups
        WHERE checkpoint_seq = ${checkpointSeq} ORDER BY ordinal`,
      tx<LogRow[]>`
        SELECT seq, kind, labels, families, replace, push_time_ms, if_not_written_since, ttl_ms,
          refused, reason, replica, written_at
        FROM pushgateway_log WHERE seq > ${checkpointSeq} ORDER BY seq`,
    ]);
    return {
      checkpointSeq,
      checkpointAtMs: cp === undefined ? 0 : cp.written_at.getTime(),
      groups: [...groups],
      rows: [...rows],
    };
  });
}

/** Groups per INSERT statement of a checkpoint. */
const CHECKPOINT_CHUNK = 500;

async function insertGroups(
  tx: TxSql,
  seq: number,
  groups: readonly StoredGroup[],
): Promise<void> {
  for (let i = 0; i < groups.length; i += CHECKPOINT_CHUNK) {
    const chunk = groups.slice(i, i + CHECKPOINT_CHUNK).map((g, j) => ({
      checkpoint_seq: seq,
      ordinal: i + j,
      ...encodeCheckpointGroup(g),
    }));
    await tx`INSERT INTO pushgateway_checkpoint_groups ${tx(chunk)}`;
    // Let the event loop serve requests between chunks.
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** What {@linkcode writeCheckpoint} did. */
export interface CheckpointOutcome {
  /** Whether this call wrote the checkpoint (false: another replica holds the lock, or has a newer one). */
  readonly written: boolean;
  /** The newest checkpoint's sequence afterwards, when known. */
  readonly newestSeq: number | undefined;
  /** Log rows deleted. */
  readonly trimmed: number;
}

/**
 * Writes a checkpoint of `groups` (the state after write `seq`), unless
 * another replica is writing one or a newer one exists; then deletes the
 * older checkpoints and the log rows before the previous checkpoint (always
 * keeping the newest row). The log so keeps at least every write since the
 * previous checkpoint: a replica less far behind follows without reloading.
 */
export async function writeCheckpoint(
  sql: Sql,
  seq: number,
  groups: readonly StoredGroup[],
  replica: string,
  timeoutMs: number,
): Promise<CheckpointOutcome> {
  return await sql.begin(async (tx: TxSql) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
    const [lock] = await tx<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(${LOCKS.checkpoint}) AS ok`;
    if (!lock?.ok) return { written: false, newestSeq: undefined, trimmed: 0 };
    const [newest] = await tx<{ seq: string | null }[]>`
      SELECT max(seq) AS seq FROM pushgateway_checkpoints`;
    const previous = newest?.seq == null ? 0 : Number(newest.seq);
    if (previous >= seq) return { written: false, newestSeq: previous, trimmed: 0 };
    await tx`INSERT INTO pushgateway_checkpoints (seq, groups, replica, written_at)
      VALUES (${seq}, ${groups.length}, ${replica}, ${new Date()})`;
    await insertGroups(tx, seq, groups);
    await tx`DELETE FROM pushgateway_checkpoints WHERE seq < ${seq}`;
    const trimmed = await tx`DELETE FROM pushgateway_log
      WHERE seq < ${previous} AND seq < (SELECT max(seq) FROM pushgateway_log)`;
    return { written: true, newestSeq: seq, trimmed: trimmed.count };
  });
}

/**
 * Loads groups into an empty database: a checkpoint at sequence 1 and a log
 * entry 1 that says so (a replica already following reloads when it reads it).
 *
 * @throws {StoreSetupError} when the database already holds writes or a checkpoint.
 */
export async function importState(
  sql: Sql,
  groups: readonly StoredGroup[],
  replica: string,
  timeoutMs: number,
): Promise<void> {
  await sql.begin(async (tx: TxSql) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.write})`;
    const [counts] = await tx<{ writes: string; checkpoints: string }[]>`
      SELECT (SELECT count(*) FROM pushgateway_log) AS writes,
        (SELECT count(*) FROM pushgateway_checkpoints) AS checkpoints`;
    const writes = Number(counts?.writes ?? 0), checkpoints = Number(counts?.checkpoints ?? 0);
    if (writes > 0 || checkpoints > 0) {
      throw new StoreSetupError(
        `refusing to import: the database is not empty (${writes} log entries, ` +
          `${checkpoints} checkpoints); import only into a new database, before any replica ` +
          "takes writes",
      );
    }
    const now = new Date();
    await tx`INSERT INTO pushgateway_checkpoints (seq, groups, replica, written_at)
      VALUES (1, ${groups.length}, ${replica}, ${now})`;
    await insertGroups(tx, 1, groups);
    await appendLog(tx, [{ seq: 1, ...bareColumns("import"), replica, written_at: now }]);
  });
}
