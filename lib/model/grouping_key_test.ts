import { assertEquals, assertThrows } from "@std/assert";
import {
  Base64DecodeError,
  decodeBase64Bytes,
  decodeBase64Value,
  encodeGroupingPath,
} from "@lib/model/grouping_key.ts";

const UTF8 = { utf8Names: true };

Deno.test("decodeBase64Value follows Go's RawURLEncoding after trimming '='", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["=", ""],
    ["YQ", "a"],
    ["YQ==", "a"],
    ["YWI", "ab"],
    ["YWJj", "abc"],
    ["YR", "a"], // unused trailing bits are ignored (not strict)
    ["L3Zhci90bXA=", "/var/tmp"],
    ["\r\nYWJj\n", "abc"],
    ["8J-YgA", "😀"],
  ];
  for (const [input, want] of cases) assertEquals(decodeBase64Value(input), want, input);
  assertEquals(decodeBase64Bytes("_-8"), new Uint8Array([0xff, 0xef]));
  assertEquals(decodeBase64Value("_w"), "\ufffd");
});

Deno.test("decodeBase64Bytes() trims padding in linear time", () => {
  // A quadratic /=+$/ once took seconds on a long run of "=" in a path segment; this would hang.
  assertThrows(() => decodeBase64Bytes("=".repeat(300_000) + "A"), Base64DecodeError, "byte 0");
  assertEquals(decodeBase64Value("YQ" + "=".repeat(300_000)), "a");
});

Deno.test("decodeBase64Value reports Go's offset and partial output", () => {
  const cases: [string, number, number[]][] = [
    ["a+b", 1, []],
    ["a/b", 1, []],
    ["Y", 0, []],
    ["YWJjZ", 4, [97, 98, 99]],
    ["YWJjZGVmZ2hpamts+", 16, [...new TextEncoder().encode("abcdefghijkl")]],
    ["YQ=a", 2, []],
    ["=YQ", 0, []],
    ["YW Jj", 2, []],
  ];
  for (const [input, offset, partial] of cases) {
    const err = assertThrows(() => decodeBase64Value(input), Base64DecodeError);
    assertEquals(err.message, `illegal base64 data at input byte ${offset}`, input);
    assertEquals(err.offset, offset);
    assertEquals([...err.partial], partial, input);
  }
});

Deno.test("encodeGroupingPath builds the UI's delete path", () => {
  assertEquals(encodeGroupingPath({ job: "x" }), "/metrics/job@base64/eA=");
  assertEquals(
    encodeGroupingPath({ job: "a/b", instance: "", b: "abc", a: "😀" }),
    "/metrics/job@base64/YS9i=/a@base64/8J-YgA=/b@base64/YWJj=/instance@base64/=",
  );
  assertEquals(encodeGroupingPath({ job: "" }), "/metrics/job@base64/=");
  assertEquals(
    encodeGroupingPath({ job: "j", "a.b": "1", U__x: "2", c: "3" }, UTF8),
    "/metrics/job@base64/ag=/U__U____x@base64/Mg=/U__a_2e_b@base64/MQ=/c@base64/Mw=",
  );
});
