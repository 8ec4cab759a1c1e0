import { assertEquals, assertThrows } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import {
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
    const r1 = direct.apply(encodeWrite(w).write, i + 1);
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
  assertEquals(back, group);
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
      }),
    CorruptRowError,
    "lacks a column",
  );
  assertEquals(
    decodeWrite({
      seq: 1,
      kind: "import",
      labels: null,
      families: null,
      replace: null,
      push_time_ms: null,
      if_not_written_since: null,
    }),
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
      }),
    CorruptRowError,
    "do not match",
  );
});
