/**
 * Writes and checkpoint groups as table rows, and back, without I/O.
 *
 * A push's families travel as protobuf (`lib/protobuf`, size-delimited), its
 * grouping labels as a JSON object, its push time as the receiving replica's
 * clock. The replica that receives a write applies the *decoded* copy of what
 * it logs, so every replica applies byte-for-byte the same write.
 *
 * @module
 */

import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import type { RestoredGroup } from "@lib/store/state.ts";
import type { DeleteWrite, PushWrite, StoredGroup, WriteRequest } from "@lib/store/store.ts";
import {
  type GroupingLabels,
  type GroupTtl,
  NO_TTL,
  PUSH_EXPIRY_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

/** A log entry that is not a write: the state was replaced by the checkpoint at its sequence (an import). */
export interface ImportMarker {
  readonly kind: "import";
}

/** What a log row holds. */
export type LoggedWrite = WriteRequest | ImportMarker;

/** The columns of a log row that encode the write (besides `seq`, `replica`, `written_at`). */
export interface WriteColumns {
  readonly kind: LoggedWrite["kind"];
  readonly labels: string | null;
  readonly families: Uint8Array | null;
  readonly replace: boolean | null;
  readonly push_time_ms: number | null;
  readonly if_not_written_since: number | null;
  /** A push's `ttlMs` (the `Pushgateway-TTL` header), null when it had none. */
  readonly ttl_ms: number | null;
  /** A push's `refused` text, null when none. */
  readonly refused: string | null;
  /** A delete's `reason`, null for a DELETE request. */
  readonly reason: string | null;
}

/** The columns of a write that carries nothing but its kind (a wipe, the import marker). */
export function bareColumns(kind: "wipe" | "import"): WriteColumns {
  return {
    kind,
    labels: null,
    families: null,
    replace: null,
    push_time_ms: null,
    if_not_written_since: null,
    ttl_ms: null,
    refused: null,
    reason: null,
  };
}

/** A log row as read back (bigints arrive as strings). */
export interface LogRowIn {
  readonly seq: string | number | bigint;
  readonly kind: string;
  readonly labels: string | null;
  readonly families: Uint8Array | null;
  readonly replace: boolean | null;
  readonly push_time_ms: number | null;
  readonly if_not_written_since: string | number | bigint | null;
  readonly ttl_ms: number | null;
  readonly refused: string | null;
  readonly reason: string | null;
}

/** A row that does not decode: the log was written by something else, or damaged. */
export class CorruptRowError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CorruptRowError";
  }
}

/**
 * Encodes a write for the log, and returns the copy to apply locally (decoded
 * from those very bytes).
 */
export function encodeWrite(write: WriteRequest): { columns: WriteColumns; write: WriteRequest } {
  switch (write.kind) {
    case "push": {
      const bytes = encodeDelimited(write.families);
      const columns: WriteColumns = {
        kind: "push",
        labels: JSON.stringify(write.labels),
        families: bytes,
        replace: write.replace,
        push_time_ms: write.timeMs,
        if_not_written_since: null,
        ttl_ms: write.ttlMs ?? null,
        refused: write.refused ?? null,
        reason: null,
      };
      return {
        columns,
        write: pushOf(
          JSON.parse(columns.labels as string),
          decodeDelimited(bytes),
          write.replace,
          write.timeMs,
          columns,
        ),
      };
    }
    case "delete": {
      const columns: WriteColumns = {
        kind: "delete",
        labels: JSON.stringify(write.labels),
        families: null,
        replace: null,
        push_time_ms: null,
        if_not_written_since: write.ifNotWrittenSince ?? null,
        ttl_ms: null,
        refused: null,
        reason: write.reason ?? null,
      };
      return { columns, write: deleteOf(JSON.parse(columns.labels as string), columns) };
    }
    case "wipe":
      return { columns: bareColumns("wipe"), write: { kind: "wipe" } };
  }
}

/**
 * A batch of writes as PostgreSQL array literals, one per column, in the
 * batch's order (`unnest` turns them back into rows on the server, so one
 * prepared statement appends a batch of any size).
 */
export interface BatchArrays {
  readonly kinds: string;
  readonly labels: string;
  readonly families: string;
  readonly replace: string;
  readonly pushTimesMs: string;
  readonly ifNotWrittenSince: string;
  readonly ttlsMs: string;
  readonly refused: string;
  readonly reasons: string;
}

/** An array literal of the given elements (already spelled as elements). */
function arrayLiteral<T>(rows: readonly T[], element: (row: T) => string): string {
  let out = "{";
  for (let i = 0; i < rows.length; i++) out += (i === 0 ? "" : ",") + element(rows[i]!);
  return out + "}";
}

/** A text element, quoted (backslashes and double quotes escaped), or NULL. */
function textElement(s: string | null): string {
  return s === null ? "NULL" : `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

/** A number element (JavaScript's spelling is one PostgreSQL reads: `1e+21`, `NaN`, `Infinity`). */
function numberElement(n: number | null): string {
  return n === null ? "NULL" : String(n);
}

/** A `bytea` element in hex form (`\x…`, its backslash escaped), or NULL. */
function byteaElement(b: Uint8Array | null): string {
  return b === null ? "NULL" : `"\\\\x${b.toHex()}"`;
}

/** The columns of a batch of writes as array literals, for appending it in one statement. */
export function batchArrays(rows: readonly WriteColumns[]): BatchArrays {
  return {
    kinds: arrayLiteral(rows, (r) => textElement(r.kind)),
    labels: arrayLiteral(rows, (r) => textElement(r.labels)),
    families: arrayLiteral(rows, (r) => byteaElement(r.families)),
    replace: arrayLiteral(rows, (r) => r.replace === null ? "NULL" : r.replace ? "t" : "f"),
    pushTimesMs: arrayLiteral(rows, (r) => numberElement(r.push_time_ms)),
    ifNotWrittenSince: arrayLiteral(rows, (r) => numberElement(r.if_not_written_since)),
    ttlsMs: arrayLiteral(rows, (r) => numberElement(r.ttl_ms)),
    refused: arrayLiteral(rows, (r) => textElement(r.refused)),
    reasons: arrayLiteral(rows, (r) => textElement(r.reason)),
  };
}

/** A push from its parts and the optional columns (a header TTL, a refusal). */
function pushOf(
  labels: GroupingLabels,
  families: PushWrite["families"],
  replace: boolean,
  timeMs: number,
  row: Pick<WriteColumns, "ttl_ms" | "refused">,
): PushWrite {
  return {
    kind: "push",
    labels,
    families,
    replace,
    timeMs,
    ...(row.ttl_ms === null || row.ttl_ms === undefined ? {} : { ttlMs: row.ttl_ms }),
    ...(row.refused === null || row.refused === undefined ? {} : { refused: row.refused }),
  };
}

/** A delete from its labels and the optional columns (the condition, the reason). */
function deleteOf(
  labels: GroupingLabels,
  row: {
    readonly if_not_written_since: string | number | bigint | null;
    readonly reason: string | null;
  },
): DeleteWrite {
  const out: { -readonly [K in keyof DeleteWrite]: DeleteWrite[K] } = { kind: "delete", labels };
  if (row.if_not_written_since !== null) out.ifNotWrittenSince = Number(row.if_not_written_since);
  if (row.reason === "expired") out.reason = "expired";
  else if (row.reason !== null && row.reason !== undefined) {
    throw new CorruptRowError(`unknown delete reason ${JSON.stringify(row.reason)}`);
  }
  return out;
}

/** Grouping labels from their JSON text (an object of strings with a `job`). */
export function decodeLabels(text: string | null): GroupingLabels {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    throw new CorruptRowError(`grouping labels are not JSON: ${String(text).slice(0, 80)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CorruptRowError("grouping labels are not an object");
  }
  for (const v of Object.values(value)) {
    if (typeof v !== "string") throw new CorruptRowError("a grouping label value is not a string");
  }
  return value as GroupingLabels;
}

/** The sequence of a row as a number. */
export function rowSeq(row: { readonly seq: string | number | bigint }): number {
  const n = Number(row.seq);
  if (!Number.isSafeInteger(n) || n < 1) throw new CorruptRowError(`bad sequence ${row.seq}`);
  return n;
}

/** Decodes a log row into the write it holds. */
export function decodeWrite(row: LogRowIn): LoggedWrite {
  switch (row.kind) {
    case "push": {
      if (row.families === null || row.replace === null || row.push_time_ms === null) {
        throw new CorruptRowError(`push at ${row.seq} lacks a column`);
      }
      return pushOf(
        decodeLabels(row.labels),
        decodeDelimited(row.families),
        row.replace,
        row.push_time_ms,
        row,
      );
    }
    case "delete":
      return deleteOf(decodeLabels(row.labels), row);
    case "wipe":
      return { kind: "wipe" };
    case "import":
      return { kind: "import" };
    default:
      throw new CorruptRowError(
        `unknown write kind ${JSON.stringify(row.kind)} at ${row.seq}: ` +
          "a newer pushgateway wrote it; upgrade this replica",
      );
  }
}

/** The columns of one checkpoint group. */
export interface CheckpointGroupColumns {
  readonly labels: string;
  readonly write_seq: number;
  /** The families, size-delimited protobuf, in the group's order. */
  readonly families: Uint8Array;
  /** JSON array of each family's last push time (ms), in the same order. */
  readonly push_times_ms: string;
  /** The group's TTL as JSON (`{"fromHeader":…,"deadlineMs"?:…}`), null when it follows the default without a deadline. */
  readonly ttl: string | null;
}

/** A checkpoint group as read back. */
export interface CheckpointGroupIn {
  readonly labels: string;
  readonly write_seq: string | number | bigint;
  readonly families: Uint8Array;
  readonly push_times_ms: string;
  readonly ttl: string | null;
}

/** Encodes one group of a checkpoint. */
export function encodeCheckpointGroup(group: StoredGroup): CheckpointGroupColumns {
  const stored = [...group.families.entries()]
    .filter(([name]) => name !== PUSH_EXPIRY_TIME_METRIC) // rebuilt from the TTL
    .map(([, s]) => s);
  const ttl = group.ttl;
  const informative = ttl.fromHeader || ttl.deadlineMs !== undefined;
  return {
    labels: JSON.stringify(group.labels),
    write_seq: group.writeSeq,
    families: encodeDelimited(stored.map((s) => s.family)),
    push_times_ms: JSON.stringify(stored.map((s) => s.lastPushMs)),
    ttl: informative ? JSON.stringify(ttl) : null,
  };
}

/** A checkpointed group's TTL from its JSON text. */
function decodeTtl(text: string | null): GroupTtl | undefined {
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptRowError("a checkpoint TTL is not JSON");
  }
  const v = value as { fromHeader?: unknown; deadlineMs?: unknown };
  if (
    typeof value !== "object" || value === null || typeof v.fromHeader !== "boolean" ||
    (v.deadlineMs !== undefined && typeof v.deadlineMs !== "number")
  ) {
    throw new CorruptRowError("a checkpoint TTL is not {fromHeader, deadlineMs}");
  }
  return { fromHeader: v.fromHeader, deadlineMs: v.deadlineMs as number | undefined };
}

/** Decodes one group of a checkpoint. */
export function decodeCheckpointGroup(row: CheckpointGroupIn): RestoredGroup {
  const labels = decodeLabels(row.labels);
  const families = decodeDelimited(row.families);
  let times: unknown;
  try {
    times = JSON.parse(row.push_times_ms);
  } catch {
    throw new CorruptRowError("checkpoint push times are not JSON");
  }
  if (
    !Array.isArray(times) || times.length !== families.length ||
    times.some((t) => typeof t !== "number")
  ) {
    throw new CorruptRowError("checkpoint push times do not match the families");
  }
  const map = new Map<string, StoredFamily>();
  families.forEach((family, i) => map.set(family.name, { family, lastPushMs: times[i] as number }));
  return {
    labels,
    families: map,
    writeSeq: Number(row.write_seq),
    ttl: decodeTtl(row.ttl) ?? NO_TTL,
  };
}

/**
 * The state read from the database, decoded before anything is applied: the
 * checkpoint's groups, and the writes after it, which must follow it without
 * a gap and hold no import.
 */
export function decodeState(
  checkpointSeq: number,
  groups: readonly CheckpointGroupIn[],
  rows: readonly LogRowIn[],
): { groups: RestoredGroup[]; writes: { seq: number; write: WriteRequest }[] } {
  const writes = rows.map((row, i) => {
    const seq = rowSeq(row);
    if (seq !== checkpointSeq + 1 + i) {
      throw new CorruptRowError(
        `the log after checkpoint ${checkpointSeq} has a gap before ${seq}`,
      );
    }
    const write = decodeWrite(row);
    if (write.kind === "import") {
      throw new CorruptRowError(`an import at ${seq}, after a checkpoint`);
    }
    return { seq, write };
  });
  return { groups: groups.map(decodeCheckpointGroup), writes };
}
