import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  int64Value,
  readLengthEnd,
  readTag,
  readVarint,
  sint32Value,
  skipField,
  tryReadVarint,
  uint64Value,
  WireInput,
  writeInt64,
  writeSint64,
  writeUint64,
} from "@lib/protobuf/wire.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { hex, OVERFLOW, toHex, WIRE } from "@lib/protobuf/test_fixtures.ts";

function input(text: string): WireInput {
  return new WireInput(hex(text));
}

function assertWireError(fn: () => unknown, message = WIRE): void {
  const err = assertThrows(fn);
  assertInstanceOf(err, ParseError);
  assertEquals(err.message, message);
}

Deno.test("tryReadVarint() reads up to ten bytes and stops at `end`", () => {
  const inp = input("ac 02 ff ff ff ff ff ff ff ff ff 01");
  assertEquals(tryReadVarint(inp, 12), true);
  assertEquals([inp.pos, inp.lo, inp.hi, uint64Value(inp)], [2, 300, 0, 300]);
  assertEquals(tryReadVarint(inp, 12), true);
  assertEquals([inp.pos, uint64Value(inp), int64Value(inp)], [12, 2 ** 64, -1]);

  const short = input("ac 02");
  assertEquals(tryReadVarint(short, 1), false, "the varint continues past end");
  assertEquals(short.pos, 0, "a failed read leaves the position alone");
  assertWireError(() => tryReadVarint(input("ff".repeat(10) + " 01"), 11), OVERFLOW);
  assertWireError(() => tryReadVarint(input("ff".repeat(9) + " 02"), 10), OVERFLOW);
});

Deno.test("readVarint() reports truncation and overflow inside a message as wire errors", () => {
  assertWireError(() => readVarint(input("80"), 1));
  assertWireError(() => readVarint(input("ac 02"), 1));
  assertWireError(() => readVarint(input("ff".repeat(10) + " 01"), 11));
  const inp = input("03");
  readVarint(inp, 1);
  assertEquals(sint32Value(inp), -2);
});

Deno.test("readTag() rejects field number 0 and numbers above 2^29-1", () => {
  assertEquals(readTag(input("a0 06"), 2), 100 << 3);
  assertWireError(() => readTag(input("00"), 1));
  assertWireError(() => readTag(input("07"), 1));
  assertWireError(() => readTag(input("80 80 80 80 10"), 5));
});

Deno.test("readLengthEnd() bounds a length by the enclosing message", () => {
  const inp = input("02 61 62 63");
  assertEquals(readLengthEnd(inp, 4), 3);
  assertWireError(() => readLengthEnd(input("02 61 62"), 2));
});

Deno.test("skipField() skips every wire type and limits group nesting", () => {
  const inp = input("96 01 01 02 03 04 05 06 07 08 03 61 62 63 08 01 1c 01 02 03 04");
  skipField(inp, 0 << 3 | 0, 21); // varint
  skipField(inp, 0 << 3 | 1, 21); // fixed64
  skipField(inp, 0 << 3 | 2, 21); // length-delimited
  skipField(inp, 3 << 3 | 3, 21); // group 3 holding a varint, closed by 1c
  skipField(inp, 0 << 3 | 5, 21); // fixed32
  assertEquals(inp.pos, 21);
  assertWireError(() => skipField(input("1c"), 3 << 3 | 3, 1, 0), WIRE);
  assertWireError(() => skipField(input(""), 1 << 3 | 4, 0));
});

Deno.test("writeUint64(), writeInt64() and writeSint64() clamp and truncate", () => {
  const bytes = (write: (w: BinaryWriter) => void): string => {
    const w = new BinaryWriter();
    write(w);
    return toHex(w.finish());
  };
  assertEquals(bytes((w) => writeUint64(w, 300.9)), "ac 02");
  assertEquals(bytes((w) => writeUint64(w, -1)), "00");
  assertEquals(bytes((w) => writeUint64(w, NaN)), "00");
  assertEquals(bytes((w) => writeUint64(w, Infinity)), "ff ff ff ff ff ff ff ff ff 01");
  assertEquals(bytes((w) => writeInt64(w, -1)), "ff ff ff ff ff ff ff ff ff 01");
  assertEquals(bytes((w) => writeInt64(w, 2 ** 70)), "ff ff ff ff ff ff ff ff 7f");
  assertEquals(bytes((w) => writeInt64(w, NaN)), "00");
  assertEquals(bytes((w) => writeSint64(w, -1)), "01");
  assertEquals(bytes((w) => writeSint64(w, -Infinity)), "ff ff ff ff ff ff ff ff ff 01");
});
