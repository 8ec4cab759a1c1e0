/**
 * The SQL of the shared log and its checkpoints: read the log from a
 * sequence on, append a batch of writes, read the whole state (the newest
 * checkpoint and the log after it, in one snapshot), write a checkpoint and
 * trim what it makes unnecessary, and import a state into an empty database.
 *
 * @module
 */

import type { ReservedSql, Sql, TxSql } from "@lib/store/postgres/client.ts";
import {
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

/**
 * A batch's first round trip, on the writer's own connection: `BEGIN`, the
 * writers' advisory lock (waits for it), and the log from `applied` on. The
 * three are sent at once, in this order, so the read's snapshot is taken
 * after the lock is granted and sees every write committed before. (The
 * client sends a query when it is first awaited, hence `execute()`.)
 */
export async function beginBatch(conn: ReservedSql, applied: number): Promise<LogRow[]> {
  const begin = conn`BEGIN`.execute();
  const lock = conn`SELECT pg_advisory_xact_lock(${LOCKS.write})`.execute();
  const rows = logQuery(conn, applied, 1_000_000).execute();
  // Awaited together: a failure of one must not leave the others' unhandled.
  const [, , read] = await Promise.all([begin, lock, rows]);
  return [...read];
}

/**
 * A batch's second round trip: the rows inserted, the followers notified,
 * `COMMIT`, sent at once. Throws unless the transaction committed (after a
 * failed statement the server answers `COMMIT` with `ROLLBACK`).
 */
export async function commitBatch(conn: ReservedSql, rows: readonly NewLogRow[]): Promise<void> {
  const last = rows.at(-1);
  if (last === undefined) throw new Error("an empty batch");
  const insert = conn`INSERT INTO pushgateway_log ${
    conn(
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
  }`.execute();
  const notify = conn`SELECT pg_notify(${CHANNEL}, ${notifyPayload(last)})`.execute();
  const commit = conn`COMMIT`.execute();
  const [, , done] = await Promise.all([insert, notify, commit]);
  if (done.command !== "COMMIT") throw new Error(`the transaction ended with ${done.command}`);
}

/** Ends whatever transaction the writer's connection is in (after a failed batch). */
export async function rollbackBatch(conn: ReservedSql): Promise<void> {
  await conn`ROLLBACK`;
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
    await appendLog(tx, [{
      seq: 1,
      kind: "import",
      labels: null,
      families: null,
      replace: null,
      push_time_ms: null,
      if_not_written_since: null,
      ttl_ms: null,
      refused: null,
      reason: null,
      replica,
      written_at: now,
    }]);
  });
}
