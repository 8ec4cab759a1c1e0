import { assert, assertEquals } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { CarriedRows, parseCarried } from "@lib/store/postgres/carried.ts";
import { openClient } from "@lib/store/postgres/client.ts";
import { decodeWrite, encodeWrite } from "@lib/store/postgres/codec.ts";
import { parsePostgresUrl } from "@lib/store/postgres/connection_url.ts";
import { appendBatch } from "@lib/store/postgres/log_db.ts";
import { parseNotice } from "@lib/store/postgres/log_listener.ts";
import { CHANNEL, ensureSchema } from "@lib/store/postgres/schema.ts";
import type { WriteRequest } from "@lib/store/store.ts";
import { testNeeding } from "../../../tests/helpers/requirements.ts";
import { POSTGRES, startCluster } from "../../../tests/helpers/postgres.ts";
import { poll } from "../../../tests/helpers/poll.ts";

function families(text: string) {
  return parseText(new TextEncoder().encode(text), { scheme: "legacy" });
}

Deno.test("parseNotice() reads the sequence, the time and the carried JSON", () => {
  assertEquals(parseNotice("12:1700000000000"), { seq: 12, atMs: 1700000000000 });
  assertEquals(parseNotice('3:5:{"a":"b:c"}'), { seq: 3, atMs: 5, carried: '{"a":"b:c"}' });
  assertEquals(parseNotice("7"), { seq: 7, atMs: NaN });
  assertEquals(parseNotice("x:1"), undefined);
  assertEquals(parseNotice("0:1"), undefined);
});

Deno.test("parseCarried() refuses what is not a batch's rows", () => {
  for (
    const text of [
      "",
      "[]",
      '{"first":1,"replica":"r"}',
      '{"first":1.5,"replica":"r","rows":[]}',
      '{"first":1,"replica":"r","rows":[["push"]]}',
      '{"first":1,"replica":"r","rows":[[1,null,null,null,null,null,null,null,null]]}',
    ]
  ) {
    assertEquals(parseCarried(text, 0), undefined, text);
  }
});

Deno.test("CarriedRows.take() returns only rows that continue what was applied", () => {
  const row = (kind: string) => `["${kind}",null,null,null,null,null,null,null,null]`;
  const payload = (first: number, n: number) =>
    `{"first":${first},"replica":"r","rows":[${Array(n).fill(row("wipe")).join(",")}]}`;
  const kept = new CarriedRows();
  kept.add(2, 0, payload(1, 2));
  kept.add(4, 0, payload(3, 2));
  kept.add(9, 0, payload(8, 2)); // after a gap (5..7 came without rows)
  assertEquals(kept.take(1).map((r) => r.seq), [2, 3, 4]);
  assertEquals(kept.take(4), [], "the gap: a read of the log is needed");
  assertEquals(kept.take(7).map((r) => r.seq), [8, 9]);
  assertEquals(kept.take(9), []);
});

testNeeding(POSTGRES, "notifications carry a batch's rows as the log holds them", async () => {
  const cluster = await startCluster({ fsync: false });
  const target = parsePostgresUrl(await cluster.createDatabase("carried"));
  const options = { target, password: undefined, tls: {}, timeoutMs: 5_000 };
  const payloads: string[] = [];
  const listener = openClient(options, { onnotify: (_c, p) => payloads.push(p), onclose() {} });
  const writer = openClient(options);
  try {
    await ensureSchema(writer, {});
    await listener.unsafe(`LISTEN ${CHANNEL}`);
    const writes: WriteRequest[] = [
      {
        kind: "push",
        labels: { job: 'j"\\', "a/b": "ü \u0000" },
        families: families('# HELP m A "help".\n# TYPE m gauge\nm{x="1"} 0.1\nm{x="2"} NaN\n'),
        replace: false,
        timeMs: 1.7e12 + 0.1,
        ttlMs: 1500.25,
      },
      { kind: "push", labels: { job: "r" }, families: [], replace: true, timeMs: 1, refused: "no" },
      { kind: "delete", labels: { job: "j" }, ifNotWrittenSince: 1, reason: "expired" },
      { kind: "wipe" },
    ];
    const encoded = writes.map(encodeWrite);
    const at = new Date(1.7e12 + 5);
    const opts = { replica: "r:1", writtenAt: at, applied: 0, limit: 100 };
    await appendBatch(writer, encoded.map((e) => e.columns), opts);
    const notice = parseNotice(await poll("the notification", () => payloads[0]));
    assertEquals([notice?.seq, notice?.atMs], [4, at.getTime()]);
    assert(notice?.carried !== undefined, "the rows fit in the payload");
    const kept = new CarriedRows();
    kept.add(notice.seq, notice.atMs, notice.carried);
    const rows = kept.take(0);
    assertEquals(rows.map((r) => [r.seq, r.replica, r.written_at.getTime()]), [
      [1, "r:1", at.getTime()],
      [2, "r:1", at.getTime()],
      [3, "r:1", at.getTime()],
      [4, "r:1", at.getTime()],
    ]);
    rows.forEach((r, i) => assertEquals(decodeWrite(r), encoded[i]!.write, `row ${i + 1}`));

    // A batch too large for a payload: the notification names its end only.
    const many = Array.from({ length: 400 }, (_, i) => `big{i="${i}"} ${i}`).join("\n");
    const big = encodeWrite({
      kind: "push",
      labels: { job: "big" },
      families: families(`# TYPE big gauge\n${many}\n`),
      replace: true,
      timeMs: 2,
    });
    await appendBatch(writer, [big.columns], { ...opts, applied: 4 });
    const second = parseNotice(await poll("the second notification", () => payloads[1]));
    assertEquals([second?.seq, second?.carried], [5, undefined]);
  } finally {
    await Promise.all([listener.end({ timeout: 1 }), writer.end({ timeout: 1 })]);
    await cluster.destroy();
  }
});
