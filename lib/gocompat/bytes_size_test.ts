import { assertEquals, assertThrows } from "@std/assert";
import { BytesSizeError, formatBytesSize, parseBytesSize } from "@lib/gocompat/bytes_size.ts";

Deno.test("parseBytesSize() reads base-2 units and plain numbers", () => {
  const cases: [string, number][] = [
    ["64MiB", 64 * 1024 * 1024],
    ["64MB", 64 * 1024 * 1024],
    ["1KB", 1024],
    ["1KiB", 1024],
    ["2GiB", 2 * 1024 ** 3],
    ["1GB", 1024 ** 3],
    ["10B", 10],
    ["1.5KiB", 1536],
    ["1MiB512KiB", 1024 * 1024 + 512 * 1024],
    ["65536", 65536],
    ["0", 0],
    ["0B", 0],
  ];
  for (const [text, want] of cases) assertEquals(parseBytesSize(text), want, text);
});

Deno.test("parseBytesSize() rejects bad sizes with the units package's texts", () => {
  const cases: [string, string][] = [
    ["", "units: invalid "],
    ["abc", "units: invalid abc"],
    ["MiB", "units: invalid MiB"],
    ["1kB", "units: unknown unit kB in 1kB"],
    ["1XB", "units: unknown unit XB in 1XB"],
    ["1.5", "units: unknown unit  in 1.5"],
    ["-1MiB", "invalid size -1MiB: must not be negative"],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseBytesSize(text), BytesSizeError, message);
  }
});

Deno.test("formatBytesSize() prints like units.Base2Bytes.String", () => {
  const cases: [number, string][] = [
    [0, "0B"],
    [10, "10B"],
    [1024, "1KiB"],
    [1536, "1KiB512B"],
    [64 * 1024 * 1024, "64MiB"],
    [1024 ** 3 + 1, "1GiB1B"],
  ];
  for (const [n, want] of cases) assertEquals(formatBytesSize(n), want);
});
