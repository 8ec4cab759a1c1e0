/**
 * Log rows carried by notifications. When a batch's rows fit in a
 * notification payload (`pushgateway_append`, schema version 3), the payload
 * is `<last seq>:<written at, ms>:<JSON>` with the JSON
 * `{"first":…,"replica":…,"rows":[[kind, labels, families (base64), replace,
 * push_time_ms, if_not_written_since, ttl_ms, refused, reason], …]}`, so a
 * follower applies another replica's commit without reading the log back.
 * PostgreSQL delivers notifications in commit order; the rows are kept as
 * text until the replica needs them (its own commits' are never parsed), and
 * only rows that continue what it applied are used: anything else (a gap, a
 * payload that does not parse) leaves the reading of the log to do it.
 *
 * @module
 */

import type { LogRow } from "@lib/store/postgres/log_db.ts";

/** Notifications kept at most; older ones are dropped (a read of the log covers them). */
const MAX_KEPT = 1_000;

interface Kept {
  readonly last: number;
  readonly atMs: number;
  readonly text: string;
}

/** Parses a payload's JSON into rows; undefined when it is not one. */
export function parseCarried(text: string, atMs: number): LogRow[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as { first?: unknown; replica?: unknown; rows?: unknown };
  if (
    typeof value !== "object" || value === null || !Number.isSafeInteger(v.first) ||
    typeof v.replica !== "string" || !Array.isArray(v.rows)
  ) {
    return undefined;
  }
  const first = v.first as number, replica = v.replica, writtenAt = new Date(atMs);
  const num = (x: unknown) => x === null ? null : Number(x);
  const rows: LogRow[] = [];
  for (const [i, r] of (v.rows as unknown[]).entries()) {
    if (!Array.isArray(r) || r.length !== 9) return undefined;
    const [kind, labels, families, replace, pushTime, ifNot, ttl, refused, reason] = r;
    if (
      typeof kind !== "string" || (labels !== null && typeof labels !== "string") ||
      (families !== null && typeof families !== "string") ||
      (replace !== null && typeof replace !== "boolean") ||
      (refused !== null && typeof refused !== "string") ||
      (reason !== null && typeof reason !== "string")
    ) {
      return undefined;
    }
    rows.push({
      seq: first + i,
      kind,
      labels,
      families: families === null ? null : Uint8Array.fromBase64(families),
      replace,
      push_time_ms: num(pushTime),
      if_not_written_since: num(ifNot),
      ttl_ms: num(ttl),
      refused,
      reason,
      replica,
      written_at: writtenAt,
    });
  }
  return rows;
}

/** The notifications' carried rows, kept until applied. */
export class CarriedRows {
  #kept: Kept[] = [];

  /** Keeps a notification's rows (`text` is the payload's JSON), up to `last`. */
  add(last: number, atMs: number, text: string): void {
    if (this.#kept.length >= MAX_KEPT) this.#kept.shift();
    this.#kept.push({ last, atMs, text });
  }

  /** Forgets everything (after a reload). */
  clear(): void {
    this.#kept = [];
  }

  /**
   * The kept rows that continue `applied` (its next sequence on, without a
   * gap), in order; those up to `applied` are dropped. Empty when none
   * continue it.
   */
  take(applied: number): LogRow[] {
    const out: LogRow[] = [];
    let next = applied + 1;
    while (this.#kept.length > 0) {
      const k = this.#kept[0]!;
      if (k.last < next) {
        this.#kept.shift();
        continue;
      }
      const rows = parseCarried(k.text, k.atMs);
      const first = rows?.[0] === undefined ? undefined : Number(rows[0].seq);
      if (
        rows === undefined || first === undefined || first > next ||
        first + rows.length - 1 !== k.last
      ) {
        break;
      }
      this.#kept.shift();
      for (const row of rows) if ((row.seq as number) >= next) out.push(row);
      next = k.last + 1;
    }
    return out;
  }
}
