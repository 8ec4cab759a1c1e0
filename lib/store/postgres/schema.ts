/**
 * The tables of the shared store, their schema version and its migrations,
 * and the settings every replica must share.
 *
 * - `pushgateway_meta` (key → value): `schema_version`, and one
 *   `setting:<flag>` row per setting that changes what a write means.
 * - `pushgateway_log`: the writes in their one global order (`seq`).
 * - `pushgateway_checkpoints` and `pushgateway_checkpoint_groups`: the whole
 *   state at a sequence, so that the log can be trimmed.
 *
 * The first replica creates the tables; a newer replica migrates them
 * forward, one version at a time, under an advisory lock; a replica refuses a
 * schema newer than it knows.
 *
 * @module
 */

import type { Sql, TxSql } from "@lib/store/postgres/client.ts";

/** Advisory lock keys (one bigint namespace per database): the schema, the log's writers, checkpoints. */
export const LOCKS = {
  schema: 0x7067_7701,
  write: 0x7067_7702,
  checkpoint: 0x7067_7703,
  /** Held (session-level) by the one replica that issues expiry deletes. */
  expiry: 0x7067_7704,
} as const;

/** The channel writers `NOTIFY` after each commit (payload `<last seq>:<written at, ms>`). */
export const CHANNEL = "pushgateway_log";

/** One step of the schema: the statements that bring version `version - 1` to `version`. */
export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

/** Every migration, in order; the last one's version is the schema version this build writes. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE pushgateway_log (
        seq bigint PRIMARY KEY,
        kind text NOT NULL,
        labels text,
        families bytea,
        replace boolean,
        push_time_ms double precision,
        if_not_written_since bigint,
        replica text NOT NULL,
        written_at timestamptz NOT NULL
      )`,
      `CREATE TABLE pushgateway_checkpoints (
        seq bigint PRIMARY KEY,
        groups integer NOT NULL,
        replica text NOT NULL,
        written_at timestamptz NOT NULL
      )`,
      `CREATE TABLE pushgateway_checkpoint_groups (
        checkpoint_seq bigint NOT NULL REFERENCES pushgateway_checkpoints (seq) ON DELETE CASCADE,
        ordinal integer NOT NULL,
        labels text NOT NULL,
        write_seq bigint NOT NULL,
        families bytea NOT NULL,
        push_times_ms text NOT NULL,
        PRIMARY KEY (checkpoint_seq, ordinal)
      )`,
    ],
  },
  {
    // Expiry and limits (issue 20): a push's header TTL and a refusal decided before the
    // store, an expiry delete's reason, and each checkpointed group's TTL.
    version: 2,
    statements: [
      `ALTER TABLE pushgateway_log
        ADD COLUMN ttl_ms double precision,
        ADD COLUMN refused text,
        ADD COLUMN reason text`,
      `ALTER TABLE pushgateway_checkpoint_groups ADD COLUMN ttl text`,
    ],
  },
  {
    // Appending a batch in one statement (log_db.ts, appendBatch): one round trip, and the
    // writers' lock held only while the server inserts and commits. Replicas of version 2
    // still running meanwhile append as before, under the same lock and numbering.
    version: 3,
    statements: [
      `CREATE FUNCTION pushgateway_append(
        p_applied bigint, p_limit integer, p_replica text, p_written_at timestamptz,
        p_kinds text[], p_labels text[], p_families bytea[], p_replace boolean[],
        p_push_times_ms double precision[], p_if_not_written_since bigint[],
        p_ttls_ms double precision[], p_refused text[], p_reasons text[])
      RETURNS TABLE (seq bigint, kind text, labels text, families bytea, replace boolean,
        push_time_ms double precision, if_not_written_since bigint, ttl_ms double precision,
        refused text, reason text, replica text, written_at timestamptz)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        head bigint;
        note text;
        carried text;
      BEGIN
        PERFORM pg_advisory_xact_lock(${LOCKS.write});
        -- Holding the lock, the newest sequence is this transaction's to continue (the
        -- checkpoints count too, should the log ever be empty after one).
        SELECT greatest((SELECT max(l.seq) FROM pushgateway_log l),
          (SELECT max(c.seq) FROM pushgateway_checkpoints c), 0) INTO head;
        INSERT INTO pushgateway_log (seq, kind, labels, families, replace, push_time_ms,
          if_not_written_since, ttl_ms, refused, reason, replica, written_at)
        SELECT head + w.ord, w.kind, w.labels, w.families, w.replace, w.push_time_ms,
          w.if_not_written_since, w.ttl_ms, w.refused, w.reason, p_replica, p_written_at
        FROM unnest(p_kinds, p_labels, p_families, p_replace, p_push_times_ms,
          p_if_not_written_since, p_ttls_ms, p_refused, p_reasons) WITH ORDINALITY
          AS w(kind, labels, families, replace, push_time_ms, if_not_written_since, ttl_ms,
            refused, reason, ord);
        -- The notification: the last sequence and the writer's clock, then, when they fit in
        -- a payload, the batch's rows (carried.ts), which followers apply without a read.
        note := (head + cardinality(p_kinds))::text || ':' ||
          (extract(epoch FROM p_written_at) * 1000)::bigint::text;
        SELECT json_build_object('first', head + 1, 'replica', p_replica, 'rows',
            json_agg(json_build_array(w.kind, w.labels,
              translate(encode(w.families, 'base64'), E'\\n', ''), w.replace, w.push_time_ms,
              w.if_not_written_since, w.ttl_ms, w.refused, w.reason) ORDER BY w.ord))::text
          INTO carried
          FROM unnest(p_kinds, p_labels, p_families, p_replace, p_push_times_ms,
            p_if_not_written_since, p_ttls_ms, p_refused, p_reasons) WITH ORDINALITY
            AS w(kind, labels, families, replace, push_time_ms, if_not_written_since, ttl_ms,
              refused, reason, ord);
        IF octet_length(note) + octet_length(carried) < 7900 THEN
          note := note || ':' || carried;
        END IF;
        PERFORM pg_notify('${CHANNEL}', note);
        -- What the caller has not applied: the log from p_applied on (that row without its
        -- families: it proves the rest continues what the caller applied), at most p_limit
        -- rows of it; then the batch's numbers (the caller has its writes).
        RETURN QUERY
          SELECT l.seq, l.kind, l.labels, CASE WHEN l.seq > p_applied THEN l.families END,
            l.replace, l.push_time_ms, l.if_not_written_since, l.ttl_ms, l.refused, l.reason,
            l.replica, l.written_at
          FROM pushgateway_log l WHERE l.seq >= p_applied AND l.seq <= head
          ORDER BY l.seq LIMIT p_limit;
        RETURN QUERY
          SELECT head + w.ord, w.kind, NULL::text, NULL::bytea, NULL::boolean,
            NULL::double precision, NULL::bigint, NULL::double precision, NULL::text,
            NULL::text, p_replica, p_written_at
          FROM unnest(p_kinds) WITH ORDINALITY AS w(kind, ord);
      END
      $fn$`,
    ],
  },
];

/**
 * The flags whose values change what a write means, recorded in the database
 * so that every replica uses the same ones.
 */
export const SHARED_SETTINGS: readonly string[] = [
  "push.disable-consistency-check",
  "push.enable-utf8-names",
  "push.default-ttl",
  "storage.max-series",
];

/** A reason to refuse to start (the message says what to do). */
export class StoreSetupError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "StoreSetupError";
  }
}

const SETTING = "setting:";

/**
 * The differences between the settings recorded in the database and this
 * replica's, as messages naming the flag, both values and how to change it
 * for the whole deployment. Settings the database does not have yet are not
 * differences (they are recorded).
 */
export function settingDifferences(
  recorded: ReadonlyMap<string, string>,
  ours: Readonly<Record<string, string>>,
): string[] {
  const out: string[] = [];
  for (const [flag, value] of Object.entries(ours)) {
    const theirs = recorded.get(flag);
    if (theirs === undefined || theirs === value) continue;
    out.push(
      `--${flag} is ${value} on this replica but ${theirs} in the database shared by all ` +
        `replicas; every replica must use the same value. Start this one with ${
          flagSpelling(flag, theirs)
        }, or change it for the whole deployment: stop every replica, run ` +
        `UPDATE pushgateway_meta SET value = '${value}' WHERE key = '${SETTING}${flag}'; ` +
        `and start them all with ${flagSpelling(flag, value)}`,
    );
  }
  return out;
}

/** How to give a flag a value on the command line (booleans are bare flags). */
function flagSpelling(flag: string, value: string): string {
  if (value === "true") return `--${flag}`;
  if (value === "false") return `--no-${flag}`;
  return `--${flag}=${value}`;
}

/** What {@linkcode ensureSchema} found and did. */
export interface SchemaOutcome {
  /** The version before (0: the tables did not exist). */
  readonly from: number;
  /** The version now. */
  readonly to: number;
}

/**
 * Creates or migrates the tables and checks the shared settings, in one
 * transaction under the schema lock.
 *
 * @throws {StoreSetupError} when the database's schema is newer than
 * `migrations` know, or a setting differs.
 */
export async function ensureSchema(
  sql: Sql,
  settings: Readonly<Record<string, string>>,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaOutcome> {
  const latest = migrations.at(-1)?.version ?? 0;
  return await sql.begin(async (tx: TxSql) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.schema})`;
    await tx`CREATE TABLE IF NOT EXISTS pushgateway_meta (key text PRIMARY KEY, value text NOT NULL)`;
    const rows = await tx<
      { key: string; value: string }[]
    >`SELECT key, value FROM pushgateway_meta`;
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    const from = Number(meta.get("schema_version") ?? 0);
    if (from > latest) {
      throw new StoreSetupError(
        `the database has schema version ${from}, newer than this pushgateway knows (${latest}): ` +
          "a newer release created or migrated it; run that release (or newer) on every replica",
      );
    }
    for (const m of migrations) {
      if (m.version <= from) continue;
      for (const statement of m.statements) await tx.unsafe(statement);
    }
    if (from !== latest) {
      await tx`INSERT INTO pushgateway_meta (key, value) VALUES ('schema_version', ${
        String(latest)
      })
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
    }
    const recorded = new Map<string, string>();
    for (const [k, v] of meta) if (k.startsWith(SETTING)) recorded.set(k.slice(SETTING.length), v);
    const differences = settingDifferences(recorded, settings);
    if (differences.length > 0) {
      throw new StoreSetupError(`refusing to start: ${differences.join("; ")}`);
    }
    for (const [flag, value] of Object.entries(settings)) {
      if (recorded.has(flag)) continue;
      await tx`INSERT INTO pushgateway_meta (key, value) VALUES (${SETTING + flag}, ${value})`;
    }
    return { from, to: latest };
  });
}
