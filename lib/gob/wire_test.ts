import { assertEquals, assertThrows } from "@std/assert";
import { GobError, GobReader, GobWriter } from "@lib/gob/wire.ts";

function written(fn: (w: GobWriter) => void): number[] {
  const w = new GobWriter();
  fn(w);
  return [...w.finish()];
}

Deno.test("GobWriter writes the examples of encoding/gob's documentation", () => {
  assertEquals(written((w) => w.uint(0)), [0x00]);
  assertEquals(written((w) => w.uint(7)), [0x07]);
  assertEquals(written((w) => w.uint(256)), [0xfe, 0x01, 0x00]);
  assertEquals(written((w) => w.int(-129)), [0xfe, 0x01, 0x01]);
  assertEquals(written((w) => w.float(17)), [0xfe, 0x31, 0x40]);
  assertEquals(written((w) => w.int(-65)), [0xff, 0x81]);
  assertEquals(written((w) => w.int(65)), [0xff, 0x82]);
  assertEquals(written((w) => w.string("Point")), [0x05, 0x50, 0x6f, 0x69, 0x6e, 0x74]);
});

Deno.test("GobReader reads back what GobWriter writes, up to 64 bits", () => {
  const uints = [0n, 1n, 127n, 128n, 255n, 256n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n];
  const ints = [0n, -1n, 1n, -64n, 64n, -129n, -(2n ** 63n), 2n ** 63n - 1n];
  const floats = [0, -0, 1.5, -17, Infinity, -Infinity, 5e-324, Number.MAX_VALUE];
  const w = new GobWriter();
  for (const u of uints) w.uint(u);
  for (const i of ints) w.int(i);
  for (const f of floats) w.float(f);
  w.bytesValue(new Uint8Array([1, 2, 3]));
  w.string("héllo");
  const r = new GobReader(w.finish());
  for (const u of uints) assertEquals(r.uintBig(), u);
  for (const i of ints) assertEquals(r.intBig(), i);
  for (const f of floats) assertEquals(Object.is(r.float(), f), true, String(f));
  assertEquals([...r.bytesValue()], [1, 2, 3]);
  assertEquals(new TextDecoder().decode(r.bytesValue()), "héllo");
  assertEquals(r.remaining, 0);
});

Deno.test("GobReader reads NaN and the safe-integer forms", () => {
  const w = new GobWriter();
  w.float(NaN);
  w.uint(300);
  w.int(-300);
  const r = new GobReader(w.finish());
  assertEquals(Number.isNaN(r.float()), true);
  assertEquals(r.uint(), 300);
  assertEquals(r.int(), -300);
});

Deno.test("GobReader rejects truncated and oversized input with GobError", () => {
  assertThrows(() => new GobReader(new Uint8Array([])).uint(), GobError, "unexpected end of data");
  assertThrows(() => new GobReader(new Uint8Array([0xfe, 0x01])).uint(), GobError, "end of data");
  assertThrows(
    () => new GobReader(new Uint8Array([0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9])).uint(),
    GobError,
    "exceeds 8",
  );
  assertThrows(
    () => new GobReader(new Uint8Array([0xf9, 0x20, 0, 0, 0, 0, 0, 0])).uint(),
    GobError,
    "too large",
  );
  assertThrows(
    () => new GobReader(new Uint8Array([0x05, 0x61])).bytesValue(),
    GobError,
    "byte string",
  );
  // The reader stops at `end`, not at the end of the array.
  assertThrows(() => new GobReader(new Uint8Array([0x01, 0x07]), 1, 1).uint(), GobError);
});

Deno.test("GobWriter refuses values that are not integers of the right range", () => {
  assertThrows(() => new GobWriter().uint(-1), GobError);
  assertThrows(() => new GobWriter().uint(1.5), GobError);
  assertThrows(() => new GobWriter().uint(2n ** 64n), GobError);
});
