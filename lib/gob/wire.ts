/**
 * The primitives of Go's `encoding/gob` wire format: unsigned and signed
 * integers, floats, byte strings. Pure: works on byte arrays.
 *
 * - An unsigned integer below 128 is one byte; a larger one is a byte holding
 *   the negated byte count, followed by the value big-endian in that many bytes.
 * - A signed integer is an unsigned one whose bit 0 says "complement the rest".
 * - A float is its IEEE-754 bits, byte-reversed, sent as an unsigned integer.
 * - Strings and byte slices are a count followed by the bytes.
 *
 * @module
 */

/** A gob stream that cannot be decoded (or a value that cannot be encoded). */
export class GobError extends Error {
  /** Creates the error; `message` says what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "GobError";
  }
}

const TWO_POW_53 = 2n ** 53n;
const utf8 = new TextEncoder();
const UINT64_MASK = (1n << 64n) - 1n;

/** Reads gob primitives from `bytes[pos, end)`. */
export class GobReader {
  /** The bytes read. */
  readonly bytes: Uint8Array;
  /** The next byte to read. */
  pos: number;
  /** One past the last byte this reader may read. */
  end: number;

  /** Reads `bytes` from `pos` up to `end` (default: all of it). */
  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  /** Bytes left before {@linkcode GobReader.end}. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /**
   * Reads an unsigned integer as a bigint (up to 64 bits).
   *
   * @throws {GobError} When the input ends inside it or its count is over 8 bytes.
   */
  uintBig(): bigint {
    const first = this.#byte();
    if (first < 0x80) return BigInt(first);
    const count = 0x100 - first;
    if (count > 8) throw new GobError(`invalid unsigned integer: byte count ${count} exceeds 8`);
    if (count > this.remaining) throw new GobError("unexpected end of data in an integer");
    let v = 0n;
    for (let i = 0; i < count; i++) v = (v << 8n) | BigInt(this.bytes[this.pos++] as number);
    return v;
  }

  /**
   * Reads an unsigned integer that must fit a safe JavaScript integer (counts, lengths, field deltas).
   *
   * @throws {GobError} When it does not fit, or as {@linkcode GobReader.uintBig}.
   */
  uint(): number {
    if (this.pos >= this.end) throw new GobError("unexpected end of data");
    const first = this.bytes[this.pos] as number;
    if (first < 0x80) {
      this.pos++;
      return first;
    }
    const count = 0x100 - first;
    if (count <= 6 && count < this.end - this.pos) { // up to 48 bits: exact in a double
      let v = 0;
      for (let i = 1; i <= count; i++) v = v * 256 + (this.bytes[this.pos + i] as number);
      this.pos += count + 1;
      return v;
    }
    const v = this.uintBig();
    if (v >= TWO_POW_53) throw new GobError(`integer ${v} is too large`);
    return Number(v);
  }

  /** Reads a signed integer as a bigint. */
  intBig(): bigint {
    const u = this.uintBig();
    return (u & 1n) === 1n ? -(u >> 1n) - 1n : u >> 1n;
  }

  /**
   * Reads a signed integer that must fit a safe JavaScript integer (type ids, times).
   *
   * @throws {GobError} When it does not fit, or as {@linkcode GobReader.uintBig}.
   */
  int(): number {
    const first = this.bytes[this.pos];
    if (first !== undefined && this.pos < this.end && (first < 0x80 || 0x100 - first <= 6)) {
      const u = this.uint(); // below 2^48: the halving is exact
      return u % 2 === 1 ? -(u - 1) / 2 - 1 : u / 2;
    }
    const v = this.intBig();
    if (v >= TWO_POW_53 || v <= -TWO_POW_53) throw new GobError(`integer ${v} is too large`);
    return Number(v);
  }

  /** Reads a float64 (byte-reversed bits sent as an unsigned integer). */
  float(): number {
    const bits = this.uintBig();
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, bits, true); // little-endian store = the byte reversal
    return view.getFloat64(0, false);
  }

  /**
   * Reads a count-prefixed byte string (a view into the input, not a copy).
   *
   * @throws {GobError} When the count runs past the end.
   */
  bytesValue(): Uint8Array {
    const n = this.uint();
    if (n > this.remaining) throw new GobError("unexpected end of data in a byte string");
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  #byte(): number {
    if (this.pos >= this.end) throw new GobError("unexpected end of data");
    return this.bytes[this.pos++] as number;
  }
}

/** Appends gob primitives to a growing buffer. */
export class GobWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Writes an unsigned integer (a number must be a safe non-negative integer). */
  uint(value: number | bigint): void {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new GobError(`not an unsigned integer: ${value}`);
      }
      if (value < 0x80) {
        this.#reserve(1);
        this.#buf[this.#len++] = value;
        return;
      }
      let count = 0;
      for (let v = value; v > 0; v = Math.floor(v / 256)) count++;
      this.#reserve(1 + count);
      this.#buf[this.#len] = 0x100 - count;
      for (let i = count, v = value; i > 0; i--, v = Math.floor(v / 256)) {
        this.#buf[this.#len + i] = v % 256;
      }
      this.#len += 1 + count;
      return;
    }
    if (value < 0n || value > UINT64_MASK) throw new GobError(`not a uint64: ${value}`);
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return this.uint(Number(value));
    const bytes: number[] = [];
    for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
    this.#reserve(1 + bytes.length);
    this.#buf[this.#len++] = 0x100 - bytes.length;
    for (const b of bytes) this.#buf[this.#len++] = b;
  }

  /** Writes a signed integer. */
  int(value: number | bigint): void {
    if (typeof value === "number" && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 51) {
      this.uint(value < 0 ? (-value - 1) * 2 + 1 : value * 2);
      return;
    }
    const v = BigInt(value);
    this.uint(v < 0n ? ((-v - 1n) << 1n) | 1n : v << 1n);
  }

  /** Writes a float64. */
  float(value: number): void {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, false);
    this.uint(view.getBigUint64(0, true));
  }

  /** Writes a count-prefixed byte string. */
  bytesValue(data: Uint8Array): void {
    this.uint(data.length);
    this.raw(data);
  }

  /** Writes a count-prefixed UTF-8 string. */
  string(text: string): void {
    this.bytesValue(utf8.encode(text));
  }

  /** Appends bytes as they are. */
  raw(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.#len));
    this.#buf = bigger;
  }
}

/** The first id an encoder may assign to a type of its own. */
export const FIRST_USER_ID = 65;
/** Go's sanity limit on a message size (1 GiB on 32-bit, 8 GiB here: use the smaller). */
export const TOO_BIG = 1 << 30;

/**
 * Whether `bytes` starts like a gob stream: a message size, then a type definition
 * (a negative id of an encoder's own type) whose first field selects one of the seven kinds.
 * A cheap check on the first few bytes, used to tell a gob file from other content.
 *
 * @param bytes The start of a file (a dozen bytes suffice).
 * @returns Whether it looks like gob.
 */
export function looksLikeGob(bytes: Uint8Array): boolean {
  try {
    const r = new GobReader(bytes);
    const size = r.uint();
    if (size < 3 || size >= TOO_BIG) return false;
    const id = r.int();
    if (id > -FIRST_USER_ID) return false;
    const delta = r.uint();
    return delta >= 1 && delta <= 7;
  } catch {
    return false;
  }
}
