/**
 * Counts what a varint-size-delimited `MetricFamily` stream would decode to
 * (series, labels and values, see `PushLimits`) by walking the wire format
 * without allocating, so a push body past its limits is refused before it is
 * decoded: a few bytes on the wire (an empty metric is 2) would otherwise
 * become objects of tens of bytes each.
 *
 * The walk is lenient: on anything malformed it stops counting and leaves
 * the error to the decoder, so error texts stay the decoder's.
 *
 * @module
 */

import { PushBudget, type PushLimits } from "@lib/model/push_limits.ts";
import { BIT64, LEN, VARINT } from "@lib/protobuf/wire.ts";

const BIT32 = 5;

/** The walk met bytes the decoder will refuse; counting stops there. */
class Malformed extends Error {}

class Scanner {
  readonly b: Uint8Array;
  readonly budget: PushBudget;
  pos = 0;

  constructor(b: Uint8Array, budget: PushBudget) {
    this.b = b;
    this.budget = budget;
  }

  /** Reads a varint (exact up to 2^53) before `end`. */
  varint(end: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Malformed();
      const c = this.b[this.pos++] as number;
      value += (c & 0x7f) * scale;
      if (c < 0x80) return value;
      scale *= 128;
    }
    throw new Malformed();
  }

  /** Reads a length prefix; returns where the field's bytes end. */
  lengthEnd(end: number): number {
    const n = this.varint(end);
    if (n > end - this.pos) throw new Malformed();
    return this.pos + n;
  }

  /** Skips the value of a field of wire type `type`. */
  skip(type: number, end: number): void {
    switch (type) {
      case VARINT:
        this.varint(end);
        return;
      case BIT64:
        this.advance(8, end);
        return;
      case LEN:
        this.pos = this.lengthEnd(end);
        return;
      case BIT32:
        this.advance(4, end);
        return;
      default:
        throw new Malformed(); // groups: left to the decoder
    }
  }

  advance(n: number, end: number): void {
    if (this.pos + n > end) throw new Malformed();
    this.pos += n;
  }

  /**
   * Walks the fields before `end`, calling `field(number, type, end)` for
   * each; it must consume the value or return false to have it skipped.
   */
  fields(end: number, field: (no: number, type: number, end: number) => boolean): void {
    while (this.pos < end) {
      const tag = this.varint(end);
      const no = Math.floor(tag / 8), type = tag % 8;
      if (!field(no, type, end)) this.skip(type, end);
    }
  }

  /** Runs `walk` over a length-delimited field's bytes. */
  nested(end: number, walk: (end: number) => void): void {
    const inner = this.lengthEnd(end);
    walk(inner);
    this.pos = inner;
  }

  family(end: number): void {
    this.budget.values(1);
    this.fields(end, (no, type, end) => {
      if (no !== 4 || type !== LEN) return false;
      this.budget.series(0);
      this.nested(end, (e) => this.metric(e));
      return true;
    });
  }

  metric(end: number): void {
    this.fields(end, (no, type, end) => {
      if (type !== LEN) return false;
      switch (no) {
        case 1: // label
          this.budget.values(1);
          return false;
        case 3: // counter (with its exemplar)
          this.nested(end, (e) => this.exemplarsIn(e, 2));
          return true;
        case 4:
          this.nested(end, (e) => this.summary(e));
          return true;
        case 7:
          this.nested(end, (e) => this.histogram(e));
          return true;
        default:
          return false;
      }
    });
  }

  /** A message whose field `exemplarNo` holds an exemplar (a counter or a bucket). */
  exemplarsIn(end: number, exemplarNo: number): void {
    this.fields(end, (no, type, end) => {
      if (no !== exemplarNo || type !== LEN) return false;
      this.nested(end, (e) => this.exemplar(e));
      return true;
    });
  }

  exemplar(end: number): void {
    this.budget.values(1);
    this.fields(end, (no, type) => {
      if (no === 1 && type === LEN) this.budget.values(1);
      return false;
    });
  }

  summary(end: number): void {
    this.fields(end, (no, type) => {
      if (no === 3 && type === LEN) this.budget.values(1);
      return false;
    });
  }

  histogram(end: number): void {
    this.fields(end, (no, type, end) => {
      switch (no) {
        case 3: // bucket (with its exemplar)
          if (type !== LEN) return false;
          this.budget.values(1);
          this.nested(end, (e) => this.exemplarsIn(e, 3));
          return true;
        case 9: // spans
        case 12:
          if (type === LEN) this.budget.values(1);
          return false;
        case 10: // deltas: one varint each, packed or not
        case 13:
          if (type === VARINT) this.budget.values(1);
          if (type !== LEN) return false;
          this.nested(end, (e) => this.budget.values(this.countVarints(e)));
          return true;
        case 11: // counts: eight bytes each, packed or not
        case 14:
          if (type === BIT64) this.budget.values(1);
          if (type !== LEN) return false;
          this.nested(end, (e) => this.budget.values(Math.floor((e - this.pos) / 8)));
          return true;
        case 16: // exemplars
          if (type !== LEN) return false;
          this.nested(end, (e) => this.exemplar(e));
          return true;
        default:
          return false;
      }
    });
  }

  /** The number of varints in `[pos, end)`: bytes without the continuation bit. */
  countVarints(end: number): number {
    let n = 0;
    for (let i = this.pos; i < end; i++) if ((this.b[i] as number) < 0x80) n++;
    return n;
  }
}

/**
 * Counts the series, labels and values of a delimited `MetricFamily` stream
 * against `limits` without decoding it.
 *
 * @param bytes The push body.
 * @param limits The limits of one push.
 * @returns What was counted (up to the first malformed byte, if any).
 * @throws {PushLimitError} When the stream holds more than the limits allow.
 * @example
 * ```ts
 * import { checkDelimitedLimits } from "@lib/protobuf/push_scan.ts";
 * // One family "a" with two empty metrics.
 * const body = new Uint8Array([7, 0x0a, 1, 0x61, 0x22, 0, 0x22, 0]);
 * checkDelimitedLimits(body, { maxSeries: 2, maxValues: 0 }); // fine
 * // checkDelimitedLimits(body, { maxSeries: 1, maxValues: 0 }) throws PushLimitError
 * ```
 */
export function checkDelimitedLimits(
  bytes: Uint8Array,
  limits: PushLimits,
): { series: number; values: number } {
  const budget = new PushBudget(limits);
  const s = new Scanner(bytes, budget);
  try {
    while (s.pos < bytes.length) s.nested(bytes.length, (end) => s.family(end));
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
  }
  return { series: budget.seriesCount, values: budget.valueCount };
}
