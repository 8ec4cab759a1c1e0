/**
 * Protobuf wire primitives for the `MetricFamily` codec: bounded readers of
 * varints, tags, lengths and fixed-width values that fail with Go's error
 * texts, and writers of 64-bit integers that clamp like the encoder must.
 *
 * Readers work on a {@linkcode WireInput} and never read past `end`, the end
 * of the enclosing message; every malformed value is a {@linkcode ParseError}
 * with protobuf-go's text. Pure: no I/O.
 *
 * @module
 */

import { BinaryReader, type BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ParseError } from "@lib/model/parse_error.ts";

/** Go's `io.ErrUnexpectedEOF`: the stream ended inside a size prefix or a message. */
export const ERR_EOF = "unexpected EOF";
/** protobuf-go's error for any malformed message body. */
const ERR_WIRE = "proto: cannot parse invalid wire-format data";
/** protowire's error for a size prefix longer than ten bytes. */
const ERR_OVERFLOW = "proto: variable length integer overflow";

/** Nesting limit for unknown groups (protobuf-go allows 10,000; nothing real nests at all). */
const GROUP_DEPTH_LIMIT = 100;

const TWO_POW_32 = 4294967296;
const UINT64_MAX = 18446744073709551615n;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A {@linkcode BinaryReader} that also exposes its bytes and the last 64-bit varint. */
export class WireInput extends BinaryReader {
  /** The bytes being read; `pos` is an offset into this view. */
  readonly data: Uint8Array;
  /** Low 32 bits of the last varint read by {@linkcode readVarint}. */
  lo = 0;
  /** High 32 bits of the last varint read by {@linkcode readVarint}. */
  hi = 0;

  /** Starts reading `bytes` at its first byte. */
  constructor(bytes: Uint8Array) {
    super(bytes);
    this.data = bytes;
  }
}

/** Throws protobuf-go's error for a malformed message body. */
function fail(): never {
  throw new ParseError(ERR_WIRE);
}

/** Wire type 0 (varint). */
export const VARINT: WireType.Varint = WireType.Varint;
/** Wire type 1 (fixed 64 bits). */
export const BIT64: WireType.Bit64 = WireType.Bit64;
/** Wire type 2 (length-delimited). */
export const LEN: WireType.LengthDelimited = WireType.LengthDelimited;

// ---------------------------------------------------------------------------
// Wire primitives (bounded by the end of the enclosing message)
// ---------------------------------------------------------------------------

/**
 * Reads a varint of at most ten bytes ending before `end` into `inp.lo`/`inp.hi`.
 * Returns false when the input ends first; throws on an overlong varint.
 */
export function tryReadVarint(inp: WireInput, end: number): boolean {
  const b = inp.data;
  let pos = inp.pos;
  let lo = 0;
  let hi = 0;
  let byte = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return false;
    byte = b[pos++]!;
    lo |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      inp.pos = pos;
      inp.lo = lo;
      inp.hi = 0;
      return true;
    }
  }
  if (pos >= end) return false;
  byte = b[pos++]!;
  lo |= (byte & 0x0f) << 28;
  hi = (byte & 0x70) >> 4;
  if (byte >= 0x80) {
    for (let shift = 3;; shift += 7) {
      if (pos >= end) return false;
      byte = b[pos++]!;
      if (shift === 31) {
        // Tenth byte: only the top bit of a uint64 is left.
        if (byte > 1) throw new ParseError(ERR_OVERFLOW);
        hi |= byte << 31;
        break;
      }
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
  }
  inp.pos = pos;
  inp.lo = lo;
  inp.hi = hi;
  return true;
}

/** Reads a varint inside a message body; truncation is a wire-format error. */
export function readVarint(inp: WireInput, end: number): void {
  const b = inp.data;
  const pos = inp.pos;
  if (pos < end) {
    const byte = b[pos]!;
    if (byte < 0x80) {
      inp.pos = pos + 1;
      inp.lo = byte;
      inp.hi = 0;
      return;
    }
  }
  try {
    if (tryReadVarint(inp, end)) return;
  } catch (err) {
    // Inside a message protobuf-go reports every malformed varint the same way.
    if (!(err instanceof ParseError)) throw err;
  }
  fail();
}

/** Reads a field tag and returns it as `number << 3 | wireType`. */
export function readTag(inp: WireInput, end: number): number {
  readVarint(inp, end);
  const tag = inp.lo >>> 0;
  if (inp.hi !== 0 || tag < 8) fail(); // field number 0 or above 2^29-1
  return tag;
}

/** The last varint as a uint64 (approximate beyond 2^53). */
export function uint64Value(inp: WireInput): number {
  return (inp.hi >>> 0) * TWO_POW_32 + (inp.lo >>> 0);
}

/** The last varint as an int64 (approximate beyond ±2^53). */
export function int64Value(inp: WireInput): number {
  return (inp.hi | 0) * TWO_POW_32 + (inp.lo >>> 0);
}

/** The last varint as a zigzag-encoded sint64 (approximate beyond ±2^53). */
function sint64Value(inp: WireInput): number {
  const lo = inp.lo;
  const hi = inp.hi;
  const sign = -(lo & 1);
  const dlo = ((lo >>> 1) | (hi << 31)) ^ sign;
  const dhi = (hi >>> 1) ^ sign;
  return (dhi | 0) * TWO_POW_32 + (dlo >>> 0);
}

/** The last varint as a zigzag-encoded sint32. */
export function sint32Value(inp: WireInput): number {
  const lo = inp.lo;
  return (lo >>> 1) ^ -(lo & 1);
}

/** Reads a length prefix and returns the end offset of the data it announces. */
export function readLengthEnd(inp: WireInput, end: number): number {
  readVarint(inp, end);
  const len = uint64Value(inp);
  if (len > end - inp.pos) fail();
  return inp.pos + len;
}

/** Reads a little-endian double inside a message body. */
export function readDouble(inp: WireInput, end: number): number {
  if (end - inp.pos < 8) fail();
  return inp.double();
}

/** Reads a length-delimited UTF-8 string (invalid bytes become U+FFFD). */
export function readString(inp: WireInput, end: number): string {
  const start = inp.pos;
  readLengthEnd(inp, end); // validates the length against this message
  inp.pos = start;
  return inp.string();
}

/**
 * Skips the value of an unknown field (or a known field with an unexpected wire type).
 * Groups nest at most `depth` deep.
 */
export function skipField(
  inp: WireInput,
  tag: number,
  end: number,
  depth: number = GROUP_DEPTH_LIMIT,
): void {
  switch (tag & 7) {
    case WireType.Varint:
      readVarint(inp, end);
      return;
    case WireType.Bit64:
      if (end - inp.pos < 8) fail();
      inp.pos += 8;
      return;
    case WireType.Bit32:
      if (end - inp.pos < 4) fail();
      inp.pos += 4;
      return;
    case WireType.LengthDelimited:
      inp.pos = readLengthEnd(inp, end);
      return;
    case WireType.StartGroup: {
      if (depth <= 0) fail();
      for (;;) {
        const inner = readTag(inp, end);
        if ((inner & 7) === WireType.EndGroup) {
          if (inner >>> 3 !== tag >>> 3) fail();
          return;
        }
        skipField(inp, inner, end, depth - 1);
      }
    }
    default: // an end-group without a start, or the reserved wire types 6 and 7
      fail();
  }
}

/** Reads one occurrence of a `repeated sint64`: one varint, or packed when `tag` is LEN. */
export function readSint64s(inp: WireInput, tag: number, end: number, out: number[]): void {
  if ((tag & 7) !== LEN) {
    readVarint(inp, end);
    out.push(sint64Value(inp));
    return;
  }
  const packedEnd = readLengthEnd(inp, end);
  while (inp.pos < packedEnd) {
    readVarint(inp, packedEnd);
    out.push(sint64Value(inp));
  }
}

/** Reads one occurrence of a `repeated double`: one double, or packed when `tag` is LEN. */
export function readDoubles(inp: WireInput, tag: number, end: number, out: number[]): void {
  if ((tag & 7) !== LEN) {
    out.push(readDouble(inp, end));
    return;
  }
  const packedEnd = readLengthEnd(inp, end);
  if ((packedEnd - inp.pos) % 8 !== 0) fail();
  while (inp.pos < packedEnd) out.push(inp.double());
}

// ---------------------------------------------------------------------------
// Writers of 64-bit integers from JavaScript numbers
// ---------------------------------------------------------------------------

/** Writes a uint64 field value; out-of-range numbers are clamped, fractions truncated. */
export function writeUint64(w: BinaryWriter, v: number): void {
  if (v >= 0 && v <= 0xffffffff) {
    w.uint32(Number.isInteger(v) ? v : Math.trunc(v));
  } else if (v > 0xffffffff) {
    const big = v === Infinity ? UINT64_MAX : BigInt(Math.trunc(v));
    w.uint64(big > UINT64_MAX ? UINT64_MAX : big);
  } else {
    w.uint32(0); // negative or NaN: not representable
  }
}

/**
 * A number outside the int32 range as an int64: fractions truncated, clamped
 * to the int64 range (±Infinity to its ends), NaN as 0.
 */
function clampInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  const big = v === Infinity ? INT64_MAX : v === -Infinity ? INT64_MIN : BigInt(Math.trunc(v));
  return big > INT64_MAX ? INT64_MAX : big < INT64_MIN ? INT64_MIN : big;
}

/** Writes an int64 field value; out-of-range numbers are clamped, fractions truncated. */
export function writeInt64(w: BinaryWriter, v: number): void {
  if (v >= -0x80000000 && v <= 0x7fffffff) {
    w.int32(Number.isInteger(v) ? v : Math.trunc(v)); // same bytes as int64
  } else {
    w.int64(clampInt64(v));
  }
}

/** Writes a sint64 field value (zigzag); out-of-range numbers are clamped. */
export function writeSint64(w: BinaryWriter, v: number): void {
  if (v >= -0x80000000 && v <= 0x7fffffff && Number.isInteger(v)) {
    w.sint32(v); // zigzag32 and zigzag64 agree on the int32 range
  } else {
    w.sint64(clampInt64(v));
  }
}
