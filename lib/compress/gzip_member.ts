/**
 * One gzip member assembled from separately compressed pieces, so that a
 * large body made of cached parts is compressed once per part rather than
 * once per response.
 *
 * Each piece is raw deflate of its bytes alone, ending with a sync flush: its
 * blocks are not final, it ends on a byte boundary, and it refers to nothing
 * before its start. Any sequence of such pieces is therefore a valid deflate
 * stream once an empty final block (`03 00`: a final fixed-Huffman block
 * holding only end-of-block) follows. The gzip trailer wants the CRC-32 and
 * length of the whole, which are combined from the pieces' own
 * ({@linkcode crc32Combine}) without reading their bytes again.
 *
 * One member rather than one member per piece: curl `--compressed`, Chromium
 * and Deno's `fetch` read only the first member of a multi-member body.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { crc32CombineShift, crc32Shift, crc32ShiftJoin } from "@lib/compress/crc32.ts";

/** Raw deflate pieces that decode on their own, with the CRC-32 and length of what they hold. */
export interface DeflatedRun {
  /** The compressed pieces in order; each ends with a sync flush and no final block. */
  readonly chunks: readonly Uint8Array[];
  /** CRC-32 (IEEE) of the uncompressed bytes. */
  readonly crc: number;
  /** Length of the uncompressed bytes. */
  readonly length: number;
  /** `crc32Shift(length)`, kept so that joining runs costs one multiplication per run. */
  readonly shift: number;
  /** Length of the compressed bytes (the chunks together). */
  readonly size: number;
}

/** The run of nothing: no chunks, CRC 0, length 0. */
export const EMPTY_RUN: DeflatedRun = Object.freeze({
  chunks: Object.freeze([]) as readonly Uint8Array[],
  crc: 0,
  length: 0,
  shift: crc32Shift(0),
  size: 0,
});

/** The compression level used unless another is given (zlib's and Go's default). */
export const DEFAULT_LEVEL = 6;

/** `node:zlib`, once {@linkcode loadDeflate} loaded it. */
let zlib: typeof import("node:zlib") | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the compressor (`node:zlib`); {@linkcode deflateRun} needs it done.
 * Not loaded with this module because importing any `node:` module starts
 * Deno's Node.js compatibility layer, about 30 ms that every start would pay
 * before serving; the first gzip response pays it instead.
 *
 * @returns A promise that resolves once loaded (at once after the first time).
 */
export function loadDeflate(): Promise<void> {
  loading ??= import("node:zlib").then((m) => void (zlib = m.default));
  return loading;
}

/** Whether {@linkcode loadDeflate} has finished, so {@linkcode deflateRun} can run. */
export function deflateLoaded(): boolean {
  return zlib !== undefined;
}

/**
 * Compresses bytes on their own as raw deflate ending with a sync flush.
 *
 * @param raw The bytes, or several parts taken one after the other (compressed as one piece).
 * @param level The zlib compression level, 0–9.
 * @returns The piece with the CRC-32 and length of `raw`; {@linkcode EMPTY_RUN} for no bytes.
 * @throws {Error} When {@linkcode loadDeflate} has not finished yet.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * await loadDeflate();
 * const run = deflateRun(new TextEncoder().encode("hello\n"));
 * assertEquals([run.length, run.chunks.length], [6, 1]);
 * ```
 */
export function deflateRun(
  raw: Uint8Array | readonly Uint8Array[],
  level: number = DEFAULT_LEVEL,
): DeflatedRun {
  const bytes = raw instanceof Uint8Array ? raw : raw.length === 1 ? raw[0]! : concat(raw);
  if (bytes.length === 0) return EMPTY_RUN;
  if (zlib === undefined) throw new Error("deflateRun() before loadDeflate() resolved");
  const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH, level };
  const chunk = new Uint8Array(zlib.deflateRawSync(bytes, options));
  return {
    chunks: [chunk],
    crc: zlib.crc32(bytes) >>> 0,
    length: bytes.length,
    shift: crc32Shift(bytes.length),
    size: chunk.length,
  };
}

/**
 * Joins runs one after the other: the chunks in order, the CRC-32 combined.
 *
 * @param runs The runs, in order.
 * @returns One run holding all of them (no bytes are copied).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * await loadDeflate();
 * const utf8 = new TextEncoder();
 * const joined = joinRuns([deflateRun(utf8.encode("a\n")), deflateRun(utf8.encode("b\n"))]);
 * assertEquals(joined.crc, deflateRun(utf8.encode("a\nb\n")).crc);
 * ```
 */
export function joinRuns(runs: readonly DeflatedRun[]): DeflatedRun {
  const chunks: Uint8Array[] = [];
  let crc = 0;
  let length = 0;
  let shift = EMPTY_RUN.shift;
  let size = 0;
  for (const run of runs) {
    if (run.length === 0) continue;
    for (const c of run.chunks) chunks.push(c);
    crc = crc32CombineShift(crc, run.crc, run.shift);
    shift = crc32ShiftJoin(shift, run.shift);
    length += run.length;
    size += run.size;
  }
  return { chunks, crc, length, shift, size };
}

/** ID1 ID2, CM=deflate, no flags, no mtime, XFL 0, OS 255 (unknown, as Go writes). */
const HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * One gzip member around a run: the 10-byte header, the run's chunks, the
 * empty final block and the trailer (CRC-32 and length modulo 2³², little
 * endian). The pieces are returned, not copied together.
 *
 * @param run The deflated body.
 * @returns The member's bytes in order; their concatenation is a `.gz` file.
 *
 * @example
 * ```ts
 * import { gunzipSync } from "node:zlib";
 * import { concat } from "@std/bytes/concat";
 * import { assertEquals } from "@std/assert";
 * await loadDeflate();
 * const utf8 = new TextEncoder();
 * const run = joinRuns([deflateRun(utf8.encode("a\n")), deflateRun(utf8.encode("b\n"))]);
 * const gz = concat(gzipMember(run));
 * assertEquals(new TextDecoder().decode(gunzipSync(gz)), "a\nb\n");
 * ```
 */
export function gzipMember(run: DeflatedRun): Uint8Array[] {
  const end = new Uint8Array(10);
  end[0] = 0x03; // final fixed-Huffman block: end-of-block only
  end[1] = 0x00;
  const view = new DataView(end.buffer);
  view.setUint32(2, run.crc >>> 0, true);
  view.setUint32(6, run.length % 0x100000000, true);
  return [HEADER.slice(), ...run.chunks, end];
}
