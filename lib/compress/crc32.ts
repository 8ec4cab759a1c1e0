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
