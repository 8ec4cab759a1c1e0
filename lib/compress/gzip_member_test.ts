import { assert, assertEquals, assertThrows } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { gunzipSync, inflateRawSync } from "node:zlib";
import { crc32 } from "@lib/compress/crc32.ts";
import {
  type DeflatedRun,
  deflateRun,
  EMPTY_RUN,
  gzipMember,
  joinRuns,
  loadDeflate,
} from "@lib/compress/gzip_member.ts";

await loadDeflate();
const utf8 = new TextEncoder();

/** Decompresses with the Web `DecompressionStream`, which reads only the first gzip member. */
async function webGunzip(gz: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([gz as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Text that compresses well and repeats across pieces (tempting back-references). */
function exposition(from: number, to: number): Uint8Array {
  let s = "";
  for (let i = from; i < to; i++) {
    s += `bench_counter_total{instance="host-${i}",job="bench",kind="a"} ${i * 3}\n`;
  }
  return utf8.encode(s);
}

Deno.test("gzipMember() of joined pieces is one member that zlib and DecompressionStream read whole", async () => {
  const parts = [
    exposition(0, 500),
    exposition(500, 501),
    exposition(501, 2000),
    exposition(0, 500),
  ];
  const run = joinRuns(parts.map((p) => deflateRun(p)));
  const expected = concat(parts);
  assertEquals(run.length, expected.length);
  assertEquals(run.crc, crc32(expected));
  assertEquals(run.size, run.chunks.reduce((n, c) => n + c.length, 0));
  const gz = concat(gzipMember(run));
  assertEquals(new Uint8Array(gunzipSync(gz)), expected);
  // The Web decoder stops after the first member: all of it must be in that one.
  assertEquals(await webGunzip(gz), expected);
  // Compressed: far smaller than the text.
  assert(gz.length * 5 < expected.length, `${gz.length} of ${expected.length}`);
});

Deno.test("gzipMember() writes the RFC 1952 header and trailer", () => {
  const text = utf8.encode("up 1\n");
  const gz = concat(gzipMember(deflateRun(text)));
  assertEquals([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  const tail = new DataView(gz.buffer, gz.length - 8);
  assertEquals(tail.getUint32(0, true), crc32(text));
  assertEquals(tail.getUint32(4, true), text.length);
  // The deflate body ends with a sync flush marker, then the empty final block.
  assertEquals([...gz.subarray(gz.length - 14, gz.length - 8)], [0, 0, 0xff, 0xff, 3, 0]);
});

Deno.test("each piece decodes on its own: no back-reference crosses a piece's start", () => {
  const a = exposition(0, 300);
  const run = deflateRun(a);
  // Raw inflate of the piece alone (a sync-flushed stream has no final block).
  const alone = inflateRawSync(run.chunks[0]!, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  assertEquals(new Uint8Array(alone), a);
  // The same piece after different predecessors, in either order, still decodes.
  const b = exposition(300, 400);
  for (const order of [[a, b, a], [b, a, b, b]]) {
    const gz = concat(gzipMember(joinRuns(order.map((p) => deflateRun(p)))));
    assertEquals(new Uint8Array(gunzipSync(gz)), concat(order));
  }
});

Deno.test("empty input: EMPTY_RUN, skipped by joinRuns, a valid empty gzip", async () => {
  assertEquals(deflateRun(new Uint8Array()), EMPTY_RUN);
  assertEquals(deflateRun([]), EMPTY_RUN);
  const gz = concat(gzipMember(EMPTY_RUN));
  assertEquals(new Uint8Array(gunzipSync(gz)), new Uint8Array());
  assertEquals(await webGunzip(gz), new Uint8Array());
  const x = deflateRun(utf8.encode("x\n"));
  const joined: DeflatedRun = joinRuns([EMPTY_RUN, x, EMPTY_RUN]);
  assertEquals([joined.chunks.length, joined.crc, joined.length, joined.shift], [
    1,
    x.crc,
    2,
    x.shift,
  ]);
});

Deno.test("deflateRun() takes several parts as one piece, at any level", () => {
  const parts = [utf8.encode('a{b="c"} 1\n'), utf8.encode('a{b="d"} 2\n')];
  for (const level of [0, 1, 6, 9]) {
    const run = deflateRun(parts, level);
    assertEquals(run.chunks.length, 1);
    assertEquals(new Uint8Array(gunzipSync(concat(gzipMember(run)))), concat(parts));
  }
});

Deno.test("joinRuns() of nested joins equals one flat join", () => {
  const runs = [0, 1, 2, 3, 4].map((i) => deflateRun(exposition(i * 10, i * 10 + 7)));
  const flat = joinRuns(runs);
  const nested = joinRuns([joinRuns(runs.slice(0, 2)), joinRuns(runs.slice(2))]);
  assertEquals(nested.crc, flat.crc);
  assertEquals([nested.length, nested.shift], [flat.length, flat.shift]);
  assertEquals(nested.chunks, flat.chunks);
});

Deno.test("deflateRun() before loadDeflate() is an error, not a silent empty run", async () => {
  // A fresh copy of the module, whose compressor is not loaded yet.
  const fresh = await import(
    `./gzip_member.ts?fresh=${crypto.randomUUID()}`
  ) as typeof import("./gzip_member.ts");
  assertEquals(fresh.deflateLoaded(), false);
  assertThrows(() => fresh.deflateRun(utf8.encode("a\n")), Error, "before loadDeflate()");
  assertEquals(fresh.deflateRun(new Uint8Array(0)), fresh.EMPTY_RUN); // nothing to compress
  await fresh.loadDeflate();
  assertEquals(fresh.deflateLoaded(), true);
  assertEquals(fresh.deflateRun(utf8.encode("a\n")).length, 2);
});
