import { assertEquals, assertThrows } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import {
  bareColumns,
  CorruptRowError,
  decodeCheckpointGroup,
  decodeLabels,
  decodeWrite,
  encodeCheckpointGroup,
  encodeWrite,
  type LogRowIn,
  rowSeq,
} from "@lib/store/postgres/codec.ts";
import { StoreState } from "@lib/store/state.ts";
import type { WriteRequest } from "@lib/store/store.ts";
import { plainGroup } from "@lib/store/types.ts";

const BODY = `# HELP h A histogram.
# TYPE h histogram
h_bucket{le="1"} 2
h_bucket{le="+Inf"} 3
h_sum 4.5
h_count 3
# TYPE s summary
s{quantile="0.5"} NaN
s_sum 1
s_count 1
# TYPE c counter
c{a="x\\"y"} -0
`;

function families() {
  return parseText(new TextEncoder().encode(BODY), { scheme: "legacy" });
}

/** The columns a row of an older kind of write leaves empty. */
const NO_EXTRA = { ttl_ms: null, refused: null, reason: null };

function asRow(seq: number, w: WriteRequest): LogRowIn {
  return { seq: String(seq), ...encodeWrite(w).columns };
}

Deno.test("encodeWrite(): the applied copy is what the row decodes to", () => {
  const writes: WriteRequest[] = [
    {
      kind: "push",
      labels: { job: "j", "a/b": "v\u0000" },
      families: families(),
      replace: false,
      timeMs: 1.7e12 + 0.25,
    },
    { kind: "delete", labels: { job: "j" } },
    { kind: "delete", labels: { job: "j", x: "" }, ifNotWrittenSince: 41 },
    { kind: "wipe" },
  ];
  for (const [i, w] of writes.entries()) {
    const { columns, write } = encodeWrite(w);
    assertEquals(decodeWrite({ seq: i + 1, ...columns }), write, w.kind);
    assertEquals(write, w, "nothing is lost on the way");
  }
});

Deno.test("two states applying the decoded rows end equal to one applying the writes", () => {
  const writes: WriteRequest[] = [
    { kind: "push", labels: { job: "a" }, families: families(), replace: true, timeMs: 1000 },
    { kind: "push", labels: { job: "b" }, families: families(), replace: true, timeMs: 2000 },
    {
      kind: "push",
      labels: { job: "c" },
      families: parseText(new TextEncoder().encode("# TYPE h gauge\nh 1\n"), { scheme: "legacy" }),
      replace: true,
      timeMs: 3000,
    },
    { kind: "delete", labels: { job: "a" }, ifNotWrittenSince: 0 },
    { kind: "delete", labels: { job: "a" }, ifNotWrittenSince: 1 },
  ];
  const direct = new StoreState(), replica = new StoreState();
  const results = writes.map((w, i) => {
    const row = asRow(i + 1, w);
    const r1 = direct.apply(w, i + 1);
    const r2 = replica.apply(decodeWrite(row) as WriteRequest, rowSeq(row));
    assertEquals(r1, r2);
    return r1;
  });
  assertEquals(results.map((r) => "ok" in r ? r.ok : "deleted" in r ? r.deleted : r), [
    true,
    true,
    false,
    false,
    true,
  ]);
  assertEquals(direct.snapshot(), replica.snapshot());
});

Deno.test("checkpoint groups round-trip families, push times and writeSeq", () => {
  const state = new StoreState();
  state.apply({
    kind: "push",
    labels: { job: "a", i: "1" },
    families: families(),
    replace: true,
    timeMs: 1234.5,
  }, 3);
  state.apply({
    kind: "push",
    labels: { job: "a", i: "1" },
    families: parseText(new TextEncoder().encode("z 1\n"), { scheme: "legacy" }),
    replace: false,
    timeMs: 9999,
  }, 8);
  const [group] = state.snapshot();
  const back = decodeCheckpointGroup(encodeCheckpointGroup(group!));
  assertEquals(plainGroup(back), plainGroup(group!));
  assertEquals(back.writeSeq, 8);
  assertEquals(back.families.get("h")?.lastPushMs, 1234.5);
  assertEquals(back.families.get("z")?.lastPushMs, 9999);
});

Deno.test("decodeWrite() refuses damaged rows and names an unknown kind", () => {
  assertThrows(
    () =>
      decodeWrite({
        seq: "5",
        kind: "expire",
        labels: null,
        families: null,
        replace: null,
        push_time_ms: null,
        if_not_written_since: null,
        ...NO_EXTRA,
      }),
    CorruptRowError,
    'unknown write kind "expire" at 5: a newer pushgateway wrote it',
  );
  assertThrows(
    () =>
      decodeWrite({
        seq: 1,
        kind: "push",
        labels: '{"job":"j"}',
        families: null,
        replace: true,
        push_time_ms: 1,
        if_not_written_since: null,
        ...NO_EXTRA,
      }),
    CorruptRowError,
    "lacks a column",
  );
  assertEquals(
    decodeWrite({ seq: 1, ...bareColumns("import") }),
    { kind: "import" },
  );
  for (const bad of ["[1]", '{"job":1}', "nope", "null"]) {
    assertThrows(() => decodeLabels(bad), CorruptRowError);
  }
  assertThrows(() => rowSeq({ seq: "0" }), CorruptRowError);
  assertEquals(rowSeq({ seq: "9007199254740991" }), 9007199254740991);
  assertThrows(
    () =>
      decodeCheckpointGroup({
        labels: '{"job":"j"}',
        write_seq: "1",
        families: new Uint8Array(),
        push_times_ms: "[1]",
        ttl: null,
      }),
    CorruptRowError,
    "do not match",
  );
  for (const ttl of ["nope", "[]", '{"fromHeader":1}', '{"fromHeader":true,"deadlineMs":"x"}']) {
    assertThrows(
      () =>
        decodeCheckpointGroup({
          labels: '{"job":"j"}',
          write_seq: "1",
          families: new Uint8Array(),
          push_times_ms: "[]",
          ttl,
        }),
      CorruptRowError,
      "checkpoint TTL",
    );
  }
  assertThrows(
    () =>
      decodeWrite({
        seq: 2,
        kind: "delete",
        labels: '{"job":"j"}',
        families: null,
        replace: null,
        push_time_ms: null,
        if_not_written_since: 1,
        ...NO_EXTRA,
        reason: "bored",
      }),
    CorruptRowError,
    'unknown delete reason "bored"',
  );
});

Deno.test("TTLs, refusals and expiry reasons travel through the log and checkpoints", () => {
  const writes: WriteRequest[] = [
    {
      kind: "push",
      labels: { job: "h" },
      families: families(),
      replace: true,
      timeMs: 1000,
      ttlMs: 60_000,
    },
    { kind: "push", labels: { job: "d" }, families: families(), replace: true, timeMs: 2000 },
    {
      kind: "push",
      labels: { job: "r" },
      families: [],
      replace: true,
      timeMs: 3000,
      refused: "too many series in one push: more than 5",
    },
    { kind: "delete", labels: { job: "x" }, ifNotWrittenSince: 2, reason: "expired" },
  ];
  for (const [i, w] of writes.entries()) {
    const { columns, write } = encodeWrite(w);
    assertEquals(write, w, "nothing is lost on the way");
    assertEquals(decodeWrite({ seq: i + 1, ...columns }), w);
  }
  // Replicas with the same default TTL end equal, deadlines and refusals included.
  const direct = new StoreState(new Map(), { defaultTtlMs: 5_000 });
  const replica = new StoreState(new Map(), { defaultTtlMs: 5_000 });
  writes.forEach((w, i) => {
    assertEquals(
      direct.apply(w, i + 1),
      replica.apply(decodeWrite(asRow(i + 1, w)) as WriteRequest, i + 1),
    );
  });
  assertEquals(direct.group({ job: "h" })?.ttl, { fromHeader: true, deadlineMs: 61_000 });
  assertEquals(replica.group({ job: "d" })?.ttl, { fromHeader: false, deadlineMs: 7_000 });
  assertEquals(replica.group({ job: "r" })?.families.size, 3, "push/failure times and expiry");
  // A checkpoint keeps the header TTL; the expiry gauge is rebuilt on restore, not stored.
  const groups = direct.snapshot();
  const columns = groups.map(encodeCheckpointGroup);
  const h = columns.find((c) => c.labels === '{"job":"h"}');
  assertEquals(JSON.parse(h?.ttl as string), { fromHeader: true, deadlineMs: 61_000 });
  const restored = new StoreState(new Map(), { defaultTtlMs: 5_000 });
  restored.restore(columns.map(decodeCheckpointGroup));
  assertEquals(restored.snapshot(), direct.snapshot());
  assertEquals(
    restored.group({ job: "h" })?.families.get("push_expiry_time_seconds")?.family.metric[0]
      ?.gauge?.value,
    61,
  );
});
