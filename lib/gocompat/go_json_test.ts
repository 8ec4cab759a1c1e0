import { assertEquals } from "@std/assert";
import {
  formatRfc3339Nano,
  formatUnixRfc3339Nano,
  goJson,
  sortedRecord,
} from "@lib/gocompat/go_json.ts";

Deno.test("goJson escapes HTML characters like Go", () => {
  assertEquals(goJson({ a: "<b>&</b>" }), '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}');
  assertEquals(goJson("\u2028"), '"\\u2028"');
});

Deno.test("sortedRecord orders keys like Go maps", () => {
  assertEquals(goJson(sortedRecord({ b: 1, a: 2, B: 3 })), '{"B":3,"a":2,"b":1}');
});

Deno.test({
  name: "formatRfc3339Nano trims trailing zeros (UTC)",
  // The expected texts are for a UTC zone; `deno task test` runs with TZ=UTC.
  ignore: new Date(0).getTimezoneOffset() !== 0,
}, () => {
  assertEquals(
    formatRfc3339Nano(Date.UTC(2026, 10, 24, 15, 38, 31, 952)),
    "2026-11-24T15:38:31.952Z",
  );
  assertEquals(formatRfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5)), "2026-01-02T03:04:05Z");
  assertEquals(
    formatRfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 123) + 0.4567),
    "2026-01-02T03:04:05.123457Z",
  );
});

Deno.test("goJson writes Go map keys in byte order, integer-like keys included", () => {
  assertEquals(
    goJson(sortedRecord({ "1": "2", "+Inf": "3", "0.5": "1" })),
    '{"+Inf":"3","0.5":"1","1":"2"}',
  );
  assertEquals(goJson({ b: 1, a: [true, null], c: undefined }), '{"b":1,"a":[true,null]}');
});

Deno.test({
  name: "formatUnixRfc3339Nano keeps nanoseconds and carries them like time.Unix (UTC)",
  ignore: new Date(0).getTimezoneOffset() !== 0,
}, () => {
  const cases: [number, number, string][] = [
    [1796605437, 911000000, "2026-12-07T01:03:57.911Z"],
    [1796605437, 0, "2026-12-07T01:03:57Z"],
    [1796605437, 1, "2026-12-07T01:03:57.000000001Z"],
    [1796605437, 1_500_000_000, "2026-12-07T01:03:58.5Z"],
    [1796605437, -1, "2026-12-07T01:03:56.999999999Z"],
    [0, 0, "1970-01-01T00:00:00Z"],
    [-62135596800, 0, "0001-01-01T00:00:00Z"],
    [-62198755200, 0, "-0001-01-01T00:00:00Z"],
    [1e16, 5, "10000000000000000.000000005"],
    [-1e16, 0, "-10000000000000000"],
  ];
  for (const [s, n, want] of cases) assertEquals(formatUnixRfc3339Nano(s, n), want, `${s} ${n}`);
});
