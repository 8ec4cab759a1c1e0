/**
 * Snappy decoding: the framed stream format (what golang/snappy `NewReader`
 * reads, used for `Content-Encoding: snappy` pushes) and the raw block format
 * inside its compressed chunks.
 *
 * The checks and their order follow golang/snappy's Reader, so corrupt input
 * fails with the same texts upstream sends back: `snappy: corrupt input` and
 * `snappy: unsupported input`.
 *
 * @module
 */

import { concat } from "@std/bytes/concat";
import { CASTAGNOLI, crc32 } from "@lib/compress/crc32.ts";

/** A corrupt or unsupported snappy stream; the message is golang/snappy's error text. */
export class SnappyError extends Error {
  /** Creates the error with golang/snappy's `message`. */
  constructor(message: string) {
    super(message);
    this.name = "SnappyError";
  }
}

/** A request body (raw or decoded) that would exceed the configured size limit. */
export class BodyTooLargeError extends Error {
  /** The limit in bytes that was exceeded. */
  readonly limit: number;

  /** Creates the error for `limit`; `what` names the body ("request body", "decoded request body"). */
  constructor(limit: number, what = "decoded request body") {
    super(`${what} exceeds the limit of ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

const CORRUPT = "snappy: corrupt input";
const UNSUPPORTED = "snappy: unsupported input";

const CHUNK_COMPRESSED = 0x00;
const CHUNK_UNCOMPRESSED = 0x01;
const CHUNK_STREAM_IDENTIFIER = 0xff;
const MAGIC_BODY = [0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]; // "sNaPpY"
const CHECKSUM_SIZE = 4;
/** The framing format's limit on the uncompressed data of one chunk. */
const MAX_BLOCK_SIZE = 65536;
/** golang/snappy's read buffer: MaxEncodedLen(65536) + checksum; longer chunks are "unsupported". */
const MAX_CHUNK_LEN = 76490 + CHECKSUM_SIZE;

/** The framing format's masked checksum of the uncompressed data of a chunk. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32(data, CASTAGNOLI);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Reads the block's uvarint length header (Go's binary.Uvarint, then the 32-bit check). */
function readBlockLength(src: Uint8Array): { length: number; headerLen: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < src.length && i < 10; i++) {
    const b = src[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (value > 0xffffffff) throw new SnappyError(CORRUPT);
      return { length: value, headerLen: i + 1 };
    }
    scale *= 128;
  }
  throw new SnappyError(CORRUPT);
}

/**
 * Decompresses one raw snappy block (the block format, not the framed
 * stream). Throws {@linkcode SnappyError} (`snappy: corrupt input`) on any
 * inconsistency, as golang/snappy's `Decode` does.
 */
export function decodeSnappyBlock(block: Uint8Array): Uint8Array {
  const { length, headerLen } = readBlockLength(block);
  return decodeBlockBody(block.subarray(headerLen), length);
}

/** Decodes the elements of a block after its length header into `length` bytes. */
function decodeBlockBody(src: Uint8Array, length: number): Uint8Array {
  const dst = new Uint8Array(length);
  let d = 0;
  let s = 0;
  while (s < src.length) {
    const tag = src[s]!;
    let len: number;
    let offset: number;
    switch (tag & 0x03) {
      case 0: { // literal
        let x = tag >>> 2;
        if (x >= 60) {
          const extra = x - 59; // 1 to 4 little-endian length bytes follow
          if (s + 1 + extra > src.length) throw new SnappyError(CORRUPT);
          x = 0;
          for (let k = extra; k >= 1; k--) x = x * 256 + src[s + k]!;
          s += 1 + extra;
        } else {
          s += 1;
        }
        len = x + 1;
        if (len > dst.length - d || len > src.length - s) throw new SnappyError(CORRUPT);
        dst.set(src.subarray(s, s + len), d);
        d += len;
        s += len;
        continue;
      }
      case 1: // copy with a 1-byte offset
        if (s + 2 > src.length) throw new SnappyError(CORRUPT);
        len = 4 + ((tag >>> 2) & 0x07);
        offset = ((tag & 0xe0) << 3) | src[s + 1]!;
        s += 2;
        break;
      case 2: // copy with a 2-byte offset
        if (s + 3 > src.length) throw new SnappyError(CORRUPT);
        len = 1 + (tag >>> 2);
        offset = src[s + 1]! | (src[s + 2]! << 8);
        s += 3;
        break;
      default: // copy with a 4-byte offset
        if (s + 5 > src.length) throw new SnappyError(CORRUPT);
        len = 1 + (tag >>> 2);
        offset = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16) | (src[s + 4]! << 24)) >>>
          0;
        s += 5;
        break;
    }
    if (offset <= 0 || d < offset || len > dst.length - d) throw new SnappyError(CORRUPT);
    if (offset >= len) {
      dst.copyWithin(d, d - offset, d - offset + len);
      d += len;
    } else {
      // Overlapping copy: runs forwards byte by byte, repeating the pattern.
      for (let k = 0; k < len; k++, d++) dst[d] = dst[d - offset]!;
    }
  }
  if (d !== dst.length) throw new SnappyError(CORRUPT);
  return dst;
}

function readUint32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/**
 * Decodes a snappy framed stream (golang/snappy `NewReader`). An empty input
 * decodes to nothing; otherwise the stream must start with the stream
 * identifier chunk. Compressed (0x00) and uncompressed (0x01) chunks are
 * checked against their masked CRC-32C, padding (0xfe) and reserved skippable
 * chunks (0x80–0xfd) are skipped, reserved unskippable chunks (0x02–0x7f) give
 * `snappy: unsupported input`, and truncation or any inconsistency gives
 * `snappy: corrupt input` (both {@linkcode SnappyError}). Throws
 * {@linkcode BodyTooLargeError} as soon as the output would exceed `maxBytes`.
 */
export function decodeSnappyFramed(data: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 0;
  let seenHeader = false;
  const take = (n: number): Uint8Array => {
    if (pos + n > data.length) throw new SnappyError(CORRUPT);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const emit = (chunk: Uint8Array, checksum: number): void => {
    if (maskedCrc32c(chunk) !== checksum) throw new SnappyError(CORRUPT);
    parts.push(chunk);
  };
  const reserve = (n: number): void => {
    if (total + n > maxBytes) throw new BodyTooLargeError(maxBytes);
    total += n;
  };

  while (pos < data.length) {
    const header = take(4);
    const chunkType = header[0]!;
    if (!seenHeader) {
      if (chunkType !== CHUNK_STREAM_IDENTIFIER) throw new SnappyError(CORRUPT);
      seenHeader = true;
    }
    const chunkLen = header[1]! | (header[2]! << 8) | (header[3]! << 16);
    if (chunkLen > MAX_CHUNK_LEN) throw new SnappyError(UNSUPPORTED);

    if (chunkType === CHUNK_COMPRESSED) {
      if (chunkLen < CHECKSUM_SIZE) throw new SnappyError(CORRUPT);
      const body = take(chunkLen);
      const checksum = readUint32LE(body, 0);
      const block = body.subarray(CHECKSUM_SIZE);
      const { length: n, headerLen } = readBlockLength(block);
      if (n > MAX_BLOCK_SIZE) throw new SnappyError(CORRUPT);
      reserve(n);
      emit(decodeBlockBody(block.subarray(headerLen), n), checksum);
    } else if (chunkType === CHUNK_UNCOMPRESSED) {
      if (chunkLen < CHECKSUM_SIZE) throw new SnappyError(CORRUPT);
      const checksum = readUint32LE(take(CHECKSUM_SIZE), 0);
      const n = chunkLen - CHECKSUM_SIZE;
      if (n > MAX_BLOCK_SIZE) throw new SnappyError(CORRUPT);
      const chunk = take(n);
      reserve(n);
      emit(chunk, checksum);
    } else if (chunkType === CHUNK_STREAM_IDENTIFIER) {
      if (chunkLen !== MAGIC_BODY.length) throw new SnappyError(CORRUPT);
      const magic = take(MAGIC_BODY.length);
      if (MAGIC_BODY.some((b, i) => magic[i] !== b)) throw new SnappyError(CORRUPT);
    } else if (chunkType <= 0x7f) {
      throw new SnappyError(UNSUPPORTED); // reserved unskippable chunk
    } else {
      take(chunkLen); // padding or reserved skippable chunk
    }
  }

  return concat(parts);
}
