import { assertEquals } from "@std/assert";
import {
  CASTAGNOLI,
  crc32,
  crc32Combine,
  crc32CombineShift,
  crc32Shift,
  crc32ShiftJoin,
  IEEE,
} from "@lib/compress/crc32.ts";

Deno.test("crc32 matches the standard check values", () => {
  const check = new TextEncoder().encode("123456789");
  assertEquals(crc32(check), 0xcbf43926);
  assertEquals(crc32(check, CASTAGNOLI), 0xe3069283);
  assertEquals(crc32(new Uint8Array()), 0);
});

/** Deterministic pseudo-random bytes (xorshift32). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

Deno.test("crc32Combine() equals the CRC of the concatenation at every split point", () => {
  for (const polynomial of [IEEE, CASTAGNOLI]) {
    const data = bytes(300, 7);
    const whole = crc32(data, polynomial);
    for (let split = 0; split <= data.length; split++) {
      const a = crc32(data.subarray(0, split), polynomial);
      const b = crc32(data.subarray(split), polynomial);
      assertEquals(crc32Combine(a, b, data.length - split, polynomial), whole, `split ${split}`);
    }
  }
});

Deno.test("crc32Combine() handles empty parts and parts of several MiB", () => {
  const a = bytes(1000, 3);
  const b = bytes(5 * 1024 * 1024 + 17, 11);
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  assertEquals(crc32Combine(crc32(a), crc32(b), b.length), crc32(both));
  assertEquals(crc32Combine(crc32(a), 0, 0), crc32(a));
  assertEquals(crc32Combine(0, crc32(b), b.length), crc32(b));
});

Deno.test("crc32Combine() folds many parts left to right", () => {
  const data = bytes(10_000, 99);
  let crc = 0;
  let at = 0;
  for (const size of [1, 0, 4095, 1, 2, 3000, 2901]) {
    const part = data.subarray(at, at + size);
    crc = crc32Combine(crc, crc32(part), part.length);
    at += size;
  }
  assertEquals(at, data.length);
  assertEquals(crc, crc32(data));
});

Deno.test("crc32Combine() agrees with itself past 2^29 bytes (lengths beyond 32 bits of bits)", () => {
  // The CRC of 2^k zero bytes, by doubling from 1 MiB computed directly.
  let zeros = crc32(new Uint8Array(1 << 20));
  let length = 1 << 20;
  const byLength = new Map<number, number>([[length, zeros]]);
  while (length < 2 ** 34) {
    zeros = crc32Combine(zeros, zeros, length);
    length *= 2;
    byLength.set(length, zeros);
  }
  const a = crc32(bytes(64, 5));
  for (const k of [29, 30, 31, 32, 33]) {
    const half = byLength.get(2 ** (k - 1))!;
    const whole = byLength.get(2 ** k)!;
    assertEquals(
      crc32Combine(a, whole, 2 ** k),
      crc32Combine(crc32Combine(a, half, 2 ** (k - 1)), half, 2 ** (k - 1)),
      `2^${k}`,
    );
  }
});

Deno.test("crc32Shift(): operators join like lengths add, and combine like crc32Combine()", () => {
  for (const polynomial of [IEEE, CASTAGNOLI]) {
    for (const [a, b] of [[0, 0], [0, 5], [1, 1], [3, 4096], [65_535, 1_000_001]]) {
      assertEquals(
        crc32ShiftJoin(crc32Shift(a!, polynomial), crc32Shift(b!, polynomial), polynomial),
        crc32Shift(a! + b!, polynomial),
        `${a} + ${b}`,
      );
    }
    const data = bytes(777, 21);
    const head = crc32(data.subarray(0, 100), polynomial);
    const tail = crc32(data.subarray(100), polynomial);
    assertEquals(
      crc32CombineShift(head, tail, crc32Shift(677, polynomial), polynomial),
      crc32(data, polynomial),
    );
  }
  assertEquals(crc32Shift(0), 0x80000000); // x⁰: carrying over nothing changes nothing
});
