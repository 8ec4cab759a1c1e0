import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { decodeGob, GobEncoded, GobMap, GobStruct, type GobValue } from "@lib/gob/decode.ts";
import { GobError, GobWriter, looksLikeGob } from "@lib/gob/wire.ts";
import { GOB_POINT_EXAMPLE as POINT } from "@lib/gob/test_fixtures.ts";

const FIXTURES = new URL("../../tests/testdata/official/", import.meta.url);
/** One Go value with every kind of gob value, written by Go (tests/testdata/official/README.md). */
const KINDS = await Deno.readFile(new URL("gob_kinds.gob", FIXTURES));
/** A persistence file in the newest upstream's layout, written by Go. */
const NEWEST = await Deno.readFile(new URL("newest_layout.gob", FIXTURES));

Deno.test("decodeGob() decodes the Point example of encoding/gob's documentation", () => {
  const doc = decodeGob(POINT);
  assertEquals(doc.typeId, 65);
  assertEquals(doc.types.get(65), {
    kind: "struct",
    name: "Point",
    fields: [{ name: "X", id: 2 }, { name: "Y", id: 2 }],
  });
  assertEquals(doc.value, new GobStruct("Point", new Map([["X", 22], ["Y", 33]])));
  assertEquals(doc.consumed, POINT.length);
});

Deno.test("decodeGob() decodes every kind of value Go wrote, skipping unused definitions", () => {
  const doc = decodeGob(KINDS);
  const time = Uint8Array.from([1, 0, 0, 0, 14, 225, 209, 81, 51, 7, 91, 205, 21, 0, 120]);
  assertEquals(
    doc.value,
    new GobStruct(
      "Kinds",
      new Map<string, GobValue>([
        ["Bool", true],
        ["Int", 300],
        ["Neg", -129],
        ["MinInt", -(2n ** 63n)],
        ["Uint", 2n ** 64n - 1n],
        ["Float", 17],
        // NegZero: Go leaves -0 out like 0. Zero, Empty, Nil and Unused are zero: left out.
        ["Bytes", Uint8Array.from([0, 1, 255])],
        ["String", "héllo"],
        ["Complex", { re: 1.5, im: -2 }],
        ["Array", [-1, 0, 1]],
        ["Slice", ["a", "", "c"]],
        ["Map", new GobMap("map[int32]string", [[-7, "minus seven"]])],
        [
          "Nested",
          new GobStruct("Inner", new Map<string, GobValue>([["Name", "n"], ["Count", 2]])),
        ],
        ["Inners", [new GobStruct("Inner", new Map([["Name", "x"]])), new GobStruct("Inner")]],
        ["Time", new GobEncoded("Time", "gobEncoder", time)],
        ["Binary", new GobEncoded("binOnly", "binaryMarshaler", Uint8Array.from([0xde, 0xad, 7]))],
        ["Last", "end"],
      ]),
    ),
  );
  // NeverSent and its parts are defined though no value uses them; interface{} is predefined.
  const kinds = [...doc.types.values()].map((t) => `${t.kind} ${t.name}`);
  assert(kinds.includes("struct NeverSent"), kinds.join(", "));
  assert(kinds.includes("slice []map[string]float64"), kinds.join(", "));
  assert(kinds.includes("array [3]int8"), kinds.join(", "));
  assertEquals(doc.consumed, KINDS.length);
});

Deno.test("decodeGob() reads a persistence file of the newest layout: a map of structs", () => {
  const doc = decodeGob(NEWEST);
  assertInstanceOf(doc.value, GobMap);
  assertEquals(doc.value.typeName, "GroupingKeyToMetricGroup");
  assertEquals(doc.value.entries.length, 4);
  for (const [key, group] of doc.value.entries) {
    assertEquals(typeof key, "string");
    assertInstanceOf(group, GobStruct);
    assertEquals([...group.fields.keys()], ["Labels", "Metrics"]);
  }
});

Deno.test("decodeGob() throws GobError for every truncation of real streams", () => {
  for (const stream of [POINT, KINDS, NEWEST]) {
    for (let n = 0; n < stream.length; n++) {
      assertThrows(() => decodeGob(stream.subarray(0, n)), GobError, undefined, `cut at ${n}`);
    }
  }
});

Deno.test("decodeGob() never throws anything but GobError for damaged streams", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const stream of [KINDS, NEWEST]) {
    for (let i = 0; i < 2000; i++) {
      const damaged = stream.slice();
      const at = Math.floor(random() * damaged.length);
      damaged[at] = Math.floor(random() * 256);
      try {
        decodeGob(damaged);
      } catch (err) {
        if (!(err instanceof GobError)) throw new Error(`byte ${at}: ${err}`, { cause: err });
      }
    }
  }
});

/** A stream of raw messages, each framed with its size. */
function messages(...bodies: ((w: GobWriter) => void)[]): Uint8Array {
  const out = new GobWriter();
  for (const body of bodies) {
    const w = new GobWriter();
    body(w);
    out.uint(w.length);
    out.raw(w.finish());
  }
  return out.finish();
}

Deno.test("decodeGob() rejects malformed streams with a clear reason", () => {
  const cases: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(), "empty stream"],
    ["only a definition", POINT.subarray(0, 32), "stream ends before a value"],
    ["undefined type", messages((w) => (w.int(70), w.uint(0), w.uint(1))), "undefined type id 70"],
    ["reserved id", messages((w) => (w.int(-20), w.uint(0))), "reserved type id 20"],
    ["defined twice", Uint8Array.from([...POINT.subarray(0, 32), ...POINT]), "defined twice"],
    ["empty message", Uint8Array.from([0]), "empty message"],
    ["interface value", messages((w) => (w.int(8), w.uint(0), w.string("x"))), "interface"],
    [
      "singleton without its zero delta",
      messages((w) => (w.int(6), w.uint(1), w.string("x"))),
      "non-zero field delta",
    ],
    ["extra data", messages((w) => (w.int(6), w.uint(0), w.string("x"), w.uint(9))), "extra data"],
    [
      "field out of range",
      Uint8Array.from([...POINT.subarray(0, 32), 0x05, 0xff, 0x82, 0x03, 0x02, 0x00]),
      "field number 2 out of range",
    ],
    ["invalid bool", messages((w) => (w.int(1), w.uint(0), w.uint(2))), "invalid bool"],
  ];
  for (const [name, bytes, message] of cases) {
    assertThrows(() => decodeGob(bytes), GobError, message, name);
  }
});

Deno.test("decodeGob() refuses counts beyond the data and values nested too deeply", () => {
  // type 65 = []string with a count of a million in a message of a few bytes
  const sliceDef = (w: GobWriter) => {
    w.int(-65);
    w.uint(2); // SliceT
    w.uint(1); // CommonType
    w.uint(2); // Id
    w.int(65);
    w.uint(0);
    w.uint(1); // Elem
    w.int(6);
    w.uint(0);
    w.uint(0);
  };
  assertThrows(
    () => decodeGob(messages(sliceDef, (w) => (w.int(65), w.uint(0), w.uint(1_000_000)))),
    GobError,
    "exceeds the data",
  );
  // type 65 = []T65 (a slice of itself), nested 5,000 deep
  const selfSlice = (w: GobWriter) => {
    w.int(-65);
    w.uint(2);
    w.uint(1);
    w.uint(2);
    w.int(65);
    w.uint(0);
    w.uint(1);
    w.int(65);
    w.uint(0);
    w.uint(0);
  };
  const deep = (w: GobWriter) => {
    w.int(65);
    w.uint(0);
    for (let i = 0; i < 5000; i++) w.uint(1);
    w.uint(0);
  };
  assertThrows(() => decodeGob(messages(selfSlice, deep)), GobError, "nest too deeply");
});

Deno.test("looksLikeGob() tells gob streams from our snapshots and other content", () => {
  assert(looksLikeGob(POINT));
  assert(looksLikeGob(KINDS));
  assert(looksLikeGob(NEWEST.subarray(0, 16)));
  assert(looksLikeGob(NEWEST.subarray(0, 4)), "a definition's first bytes suffice");
  const enc = new TextEncoder();
  assert(!looksLikeGob(enc.encode('{"format":"pushgateway-deno-snapshot","version":1}\n')));
  assert(!looksLikeGob(new Uint8Array()));
  assert(!looksLikeGob(enc.encode("# HELP x\n")));
  assert(!looksLikeGob(Uint8Array.from([0x07, 0xff, 0x82, 0x01, 0x2c, 0x01, 0x42, 0x00])));
});
