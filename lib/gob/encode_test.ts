import { assertEquals, assertThrows } from "@std/assert";
import { decodeGob, GobEncoded, GobMap, GobStruct, type GobValue } from "@lib/gob/decode.ts";
import { encodeGob, type GobSchema } from "@lib/gob/encode.ts";
import { GobError } from "@lib/gob/wire.ts";
import { GOB_POINT_EXAMPLE } from "@lib/gob/test_fixtures.ts";

const INT: GobSchema = { kind: "int" };
const STRING: GobSchema = { kind: "string" };
const POINT: GobSchema = {
  kind: "struct",
  name: "Point",
  fields: [{ name: "X", type: INT }, { name: "Y", type: INT }],
};

Deno.test("encodeGob() writes the Point example of encoding/gob's documentation byte for byte", () => {
  assertEquals(
    [...encodeGob(POINT, { X: 22, Y: 33 })],
    [...GOB_POINT_EXAMPLE],
  );
});

Deno.test("encodeGob() leaves zero fields out, as Go does", () => {
  const bytes = encodeGob(POINT, { X: 0, Y: 33 });
  assertEquals([...bytes.subarray(32)], [0x05, 0xff, 0x82, 0x02, 0x42, 0x00]);
  assertEquals(decodeGob(bytes).value, new GobStruct("Point", new Map([["Y", 33]])));
});

Deno.test("encodeGob() round-trips nested maps, slices, structs and self-encoded values", () => {
  const family: GobSchema = { kind: "gobEncoder", name: "Blob" };
  const inner: GobSchema = {
    kind: "struct",
    name: "Inner",
    fields: [
      { name: "Flag", type: { kind: "bool" } },
      { name: "Ratio", type: { kind: "float" } },
      { name: "Big", type: { kind: "uint" } },
      { name: "Raw", type: { kind: "bytes" } },
      { name: "Blob", type: family },
      { name: "Tags", type: { kind: "slice", name: "[]string", elem: STRING } },
    ],
  };
  const schema: GobSchema = {
    kind: "map",
    name: "Outer",
    key: STRING,
    elem: {
      kind: "struct",
      name: "Entry",
      fields: [
        {
          name: "Labels",
          type: { kind: "map", name: "map[string]string", key: STRING, elem: STRING },
        },
        { name: "Inner", type: inner },
        { name: "Again", type: inner }, // the same type twice: defined once
      ],
    },
  };
  const value = [
    ["a\xffb", {
      Labels: [["job", "x"], ["ünï", ""]],
      Inner: {
        Flag: true,
        Ratio: -0.5,
        Big: 2n ** 64n - 1n,
        Raw: Uint8Array.from([0, 255]),
        Blob: Uint8Array.from([9, 8, 7]),
        Tags: ["p", "", "q"],
      },
      Again: {},
    }],
    ["empty", { Labels: [] }],
  ];
  const doc = decodeGob(encodeGob(schema, value));
  // Outer, Entry, map[string]string, Inner, []string, Blob: Inner is used twice, defined once.
  assertEquals([...doc.types.keys()], [65, 66, 67, 68, 69, 70]);
  const entries = (doc.value as GobMap).entries;
  assertEquals(entries.length, 2);
  assertEquals(entries[0]![0], "a\xffb");
  assertEquals(
    entries[0]![1],
    new GobStruct(
      "Entry",
      new Map<string, GobValue>([
        ["Labels", new GobMap("map[string]string", [["job", "x"], ["ünï", ""]])],
        [
          "Inner",
          new GobStruct(
            "Inner",
            new Map<string, GobValue>([
              ["Flag", true],
              ["Ratio", -0.5],
              ["Big", 2n ** 64n - 1n],
              ["Raw", Uint8Array.from([0, 255])],
              ["Blob", new GobEncoded("Blob", "gobEncoder", Uint8Array.from([9, 8, 7]))],
              ["Tags", ["p", "", "q"]],
            ]),
          ),
        ],
        ["Again", new GobStruct("Inner")],
      ]),
    ),
  );
  assertEquals(entries[1]![1], new GobStruct("Entry"));
});

Deno.test("encodeGob() sends a non-struct value as a one-field struct", () => {
  assertEquals([...encodeGob(STRING, "hi")], [0x05, 0x0c, 0x00, 0x02, 0x68, 0x69]);
  assertEquals(decodeGob(encodeGob(STRING, "hi")).value, "hi");
  assertEquals(decodeGob(encodeGob(INT, -5)).value, -5);
});

Deno.test("encodeGob() refuses values that do not fit the schema", () => {
  assertThrows(() => encodeGob(POINT, { X: "1" }), GobError, "cannot encode string as gob int");
  assertThrows(() => encodeGob(POINT, { X: 1.5 }), GobError);
  assertThrows(() => encodeGob(STRING, 3), GobError);
  assertThrows(() => encodeGob({ kind: "gobEncoder", name: "T" }, "x"), GobError);
  assertThrows(() => encodeGob({ kind: "slice", name: "", elem: INT }, {}), GobError);
});
