/**
 * Table-driven CRC-32 over any reflected polynomial: IEEE (gzip) and
 * Castagnoli (snappy framing).
 *
 * @module
 */

/** The reflected IEEE polynomial (gzip, zlib). */
export const IEEE = 0xedb88320;
/** The reflected Castagnoli polynomial (CRC-32C, snappy framing). */
export const CASTAGNOLI = 0x82f63b78;

const tables = new Map<number, Uint32Array>();

function tableFor(polynomial: number): Uint32Array {
  let table = tables.get(polynomial);
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  tables.set(polynomial, table);
  return table;
}

/** The CRC-32 of `data` with the reflected `polynomial` (default IEEE). */
export function crc32(data: Uint8Array, polynomial: number = IEEE): number {
  const table = tableFor(polynomial);
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** `a(x)·b(x) mod p(x)` for reflected 32-bit polynomials (bit 31 is the x⁰ coefficient). */
function multModP(a: number, b: number, polynomial: number): number {
  let product = 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = b & 1 ? (b >>> 1) ^ polynomial : b >>> 1;
  }
  return product >>> 0;
}

/** Per polynomial: entry k is x^(2^k) mod p(x), k = 0..63 (bit lengths up to 2^64). */
const powerTables = new Map<number, Uint32Array>();

function powersOf2(polynomial: number): Uint32Array {
  let table = powerTables.get(polynomial);
  if (table) return table;
  table = new Uint32Array(64);
  let p = 0x40000000; // x¹
  for (let k = 0; k < 64; k++) {
    table[k] = p;
    p = multModP(p, p, polynomial);
  }
  powerTables.set(polynomial, table);
  return table;
}

/**
 * The operator that carries a CRC over `length` more bytes: x^(8·length) mod
 * p(x), to pass to {@linkcode crc32CombineShift}. Costs O(log length).
 *
 * @param length A length in bytes (any safe integer ≥ 0).
 * @param polynomial The reflected polynomial (default IEEE).
 * @returns The operator, a reflected 32-bit polynomial.
 */
export function crc32Shift(length: number, polynomial: number = IEEE): number {
  const powers = powersOf2(polynomial);
  // Multiply the powers x^(2^k) for the set bits of 8·length.
  let shift = 0x80000000; // x⁰
  let n = length;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) shift = multModP(powers[k]!, shift, polynomial);
  }
  return shift;
}

/**
 * The operator over `A‖B` from the operators over `A` and over `B`
 * ({@linkcode crc32Shift} of the sum of the lengths).
 *
 * @param shiftA The operator over the first part.
 * @param shiftB The operator over the second part.
 * @param polynomial The reflected polynomial (default IEEE).
 * @returns The operator over both.
 */
export function crc32ShiftJoin(shiftA: number, shiftB: number, polynomial: number = IEEE): number {
  return multModP(shiftA, shiftB, polynomial);
}

/**
 * {@linkcode crc32Combine} with the operator of the second part's length
 * already known: one polynomial multiplication.
 *
 * @param crcA The CRC-32 of the first part.
 * @param crcB The CRC-32 of the second part.
 * @param shiftB {@linkcode crc32Shift} of the second part's length.
 * @param polynomial The reflected polynomial (default IEEE).
 * @returns The CRC-32 of both parts one after the other.
 */
export function crc32CombineShift(
  crcA: number,
  crcB: number,
  shiftB: number,
  polynomial: number = IEEE,
): number {
  return (multModP(shiftB, crcA >>> 0, polynomial) ^ crcB) >>> 0;
}

/**
 * The CRC-32 of the concatenation `A‖B` from `crc32(A)`, `crc32(B)` and the
 * length of `B`, without reading either: the CRC of `A` is carried over
 * `8·lengthB` zero bits (one multiplication by x^(8·lengthB) mod p), then
 * combined with the CRC of `B`. Costs O(log lengthB).
 *
 * @param crcA The CRC-32 of the first part.
 * @param crcB The CRC-32 of the second part.
 * @param lengthB The length of the second part in bytes (any safe integer ≥ 0).
 * @param polynomial The reflected polynomial both CRCs were computed with (default IEEE).
 * @returns The CRC-32 of both parts one after the other.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const utf8 = new TextEncoder();
 * assertEquals(
 *   crc32Combine(crc32(utf8.encode("12345")), crc32(utf8.encode("6789")), 4),
 *   crc32(utf8.encode("123456789")),
 * );
 * ```
 */
export function crc32Combine(
  crcA: number,
  crcB: number,
  lengthB: number,
  polynomial: number = IEEE,
): number {
  return crc32CombineShift(crcA, crcB, crc32Shift(lengthB, polynomial), polynomial);
}
