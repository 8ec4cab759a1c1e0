import { assertEquals } from "@std/assert";
import { CASTAGNOLI, crc32 } from "@lib/compress/crc32.ts";

Deno.test("crc32 matches the standard check values", () => {
  const check = new TextEncoder().encode("123456789");
  assertEquals(crc32(check), 0xcbf43926);
  assertEquals(crc32(check, CASTAGNOLI), 0xe3069283);
  assertEquals(crc32(new Uint8Array()), 0);
});
