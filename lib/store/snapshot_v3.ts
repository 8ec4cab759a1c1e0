/**
 * Snapshot format version 3 (described in `snapshot.ts`): the lines of the
 * compact form. {@linkcode V3Writer} turns groups into table lines and group
 * lines, {@linkcode V3Reader} turns them back into groups whose families are
 * the store's own blocks (`series_block.ts`), ready to be restored without
 * building a `Metric` per series.
 *
 * @module
 */

import type { LabelPair, Metric } from "@lib/model/metric.ts";
import { METRIC_TYPE_NAMES } from "@lib/model/metric.ts";
import { BlockMap } from "@lib/store/block_map.ts";
import {
  EMPTY_PART,
  EMPTY_SET,
  type GroupPart,
  groupPart,
  type LabelSet,
  newLabelSet,
  pairsKey,
} from "@lib/store/label_sets.ts";
import {
  blockSet,
  blockShape,
  boundedShape,
  buildBlock,
  COUNTER_SHAPE,
  encodeBlock,
  type FamilyHead,
  GAUGE_SHAPE,
  headKey,
  isSeriesBlock,
  newPools,
  RICH_SHAPE,
  type SeriesBlock,
  type Shape,
  shapeKey,
  ShapeKind,
  UNTYPED_SHAPE,
} from "@lib/store/series_block.ts";
import { decodeNumber, encodeNumber, type Json } from "@lib/store/snapshot.ts";
import {
  decodeLabels,
  decodeMetric,
  decodeTtl,
  encodeMetric,
  FieldError,
  metricType,
  num,
  obj,
  rethrowAt,
  setNumber,
  str,
} from "@lib/store/snapshot_json.ts";
import { type Group, PUSH_EXPIRY_TIME_METRIC } from "@lib/store/types.ts";

/** The shapes of plain values by their name in a file. */
const VALUE_SHAPES: ReadonlyMap<string, Shape> = new Map([
  ["gauge", GAUGE_SHAPE],
  ["counter", COUNTER_SHAPE],
  ["untyped", UNTYPED_SHAPE],
  ["rich", RICH_SHAPE],
]);

/** A group's grouping pairs sorted by name. */
function sortedPairs(labels: Readonly<Record<string, string>>): LabelPair[] {
  return Object.keys(labels).sort().map((name) => ({ name, value: labels[name] as string }));
}

/** Numbers as JSON keeps them: special ones as strings, the array itself when there are none. */
function encodeNumbers(values: readonly number[]): (number | string)[] {
  for (const v of values) {
    if (!Number.isFinite(v) || Object.is(v, -0)) return values.map(encodeNumber);
  }
  return values as number[];
}

/**
 * Writes groups as format-3 lines. The tables (family heads, label sets,
 * value shapes) grow as groups use new entries: each group's line is
 * preceded by a line defining what it uses first.
 */
export class V3Writer {
  readonly #pools = newPools();
  readonly #heads = new Map<string, number>();
  readonly #sets = new Map<LabelSet, number>();
  readonly #setKeys = new Map<string, number>();
  readonly #shapes = new Map<string, number>();

  /**
   * The lines of one group: a table line when the group uses new entries,
   * then the group line, each with its newline.
   *
   * @param group The group (its `push_expiry_time_seconds` is left out).
   * @returns The text to write.
   */
  group(group: Group): string {
    const heads: Json[] = [];
    const sets: string[][] = [];
    const shapes: unknown[] = [];
    let part: GroupPart | undefined;
    const partKey = pairsKey(sortedPairs(group.labels));
    const families: unknown[] = [];
    for (const [name, stored] of group.families) {
      if (name === PUSH_EXPIRY_TIME_METRIC) continue;
      let block: SeriesBlock;
      if (
        isSeriesBlock(stored) &&
        (stored.part === EMPTY_PART || stored.part === part ||
          pairsKey(stored.part.pairs) === partKey)
      ) {
        block = stored;
        if (block.part !== EMPTY_PART) part = block.part;
      } else {
        part ??= groupPart(sortedPairs(group.labels));
        block = encodeBlock(stored.family, part, stored.lastPushMs, this.#pools);
      }
      families.push(this.#family(block, heads, sets, shapes));
    }
    const tables: Json = {};
    if (heads.length > 0) tables.heads = heads;
    if (sets.length > 0) tables.sets = sets;
    if (shapes.length > 0) tables.shapes = shapes;
    const line: Json = { labels: { ...group.labels } };
    const ttl = group.ttl;
    if (ttl !== undefined && (ttl.fromHeader || ttl.deadlineMs !== undefined)) {
      const encoded: Json = { fromHeader: ttl.fromHeader };
      setNumber(encoded, "deadlineMs", ttl.deadlineMs);
      line.ttl = encoded;
    }
    line.families = families;
    const text = JSON.stringify(line) + "\n";
    return Object.keys(tables).length > 0 ? JSON.stringify(tables) + "\n" + text : text;
  }

  /** A family entry, adding what it uses first to the new table entries. */
  #family(b: SeriesBlock, heads: Json[], sets: string[][], shapes: unknown[]): unknown[] {
    const h = b.head;
    const hk = headKey(h);
    let head = this.#heads.get(hk);
    if (head === undefined) {
      this.#heads.set(hk, head = this.#heads.size);
      const json: Json = { name: h.name };
      if (h.help !== undefined) json.help = h.help;
      json.type = METRIC_TYPE_NAMES[h.type];
      if (h.unit !== undefined) json.unit = h.unit;
      heads.push(json);
    }
    const n = b.size;
    const setRefs: number[] = new Array(n);
    const shapeRefs: (string | number)[] = new Array(n);
    const rich: Json[] = [];
    for (let i = 0; i < n; i++) {
      setRefs[i] = this.#setRef(blockSet(b, i), sets);
      const shape = blockShape(b, i);
      shapeRefs[i] = this.#shapeRef(shape, shapes);
      if (shape.kind === ShapeKind.RICH) {
        rich.push(encodeMetric({ ...b.extra!.rich![i]!, label: [] }));
      }
    }
    const uniform = shapeRefs.every((r) => r === shapeRefs[0]);
    const values = typeof b.values === "number" ? [b.values] : b.values;
    const entry: unknown[] = [
      head,
      encodeNumber(b.lastPushMs),
      uniform && n > 0 ? shapeRefs[0] : shapeRefs,
      setRefs,
      encodeNumbers(values),
    ];
    if (b.part === EMPTY_PART) entry.push(rich.length > 0 ? rich : 0, 1);
    else if (rich.length > 0) entry.push(rich);
    return entry;
  }

  #setRef(set: LabelSet, out: string[][]): number {
    let ref = this.#sets.get(set);
    if (ref !== undefined) return ref;
    const key = pairsKey(set.pairs);
    ref = this.#setKeys.get(key);
    if (ref === undefined) {
      this.#setKeys.set(key, ref = this.#setKeys.size);
      const flat: string[] = [];
      for (const p of set.pairs) flat.push(p.name, p.value);
      out.push(flat);
    }
    this.#sets.set(set, ref);
    return ref;
  }

  #shapeRef(shape: Shape, out: unknown[]): string | number {
    if (shape.kind === ShapeKind.VALUE) return shape.field;
    if (shape.kind === ShapeKind.RICH) return "rich";
    const key = shapeKey(shape);
    let ref = this.#shapes.get(key);
    if (ref === undefined) {
      this.#shapes.set(key, ref = this.#shapes.size);
      const kind = shape.kind === ShapeKind.SUMMARY ? "summary" : "histogram";
      out.push([kind, shape.bounds.map(encodeNumber)]);
    }
    return ref;
  }
}

/** A label set of a file with whether it can be merged with a group's pairs. */
interface FileSet {
  readonly set: LabelSet;
  /** Sorted by name, names distinct. */
  readonly sorted: boolean;
}

function index(v: unknown, length: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= length) {
    throw new FieldError(`expected the number of a ${what} defined before`);
  }
  return v;
}

function array(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new FieldError("expected an array");
  return v;
}

/** Reads format-3 lines back: table lines fill the tables, group lines give groups. */
export class V3Reader {
  readonly #heads: FamilyHead[] = [];
  readonly #sets: FileSet[] = [];
  readonly #shapes: Shape[] = [];
  /** Grouping pairs by name and value, shared by the groups that have them. */
  readonly #pairs = new Map<string, Map<string, LabelPair>>();

  /**
   * Reads one parsed line other than the header and the trailer.
   *
   * @param v The line's JSON.
   * @returns The group of a group line; `undefined` for a table line.
   * @throws {FieldError} With the path of what is wrong.
   */
  line(v: unknown): Group | undefined {
    const o = obj(v);
    if ("labels" in o) return this.#group(o);
    for (const key in o) {
      if (key !== "heads" && key !== "sets" && key !== "shapes") {
        rethrowAt(`.${key}`, new FieldError("unknown field"));
      }
    }
    this.#table(o, "heads", (e) => this.#heads.push(this.#head(e)));
    this.#table(o, "sets", (e) => this.#sets.push(this.#set(e)));
    this.#table(o, "shapes", (e) => this.#shapes.push(this.#shape(e)));
    return undefined;
  }

  #table(o: Json, key: string, add: (entry: unknown) => void): void {
    const v = o[key];
    if (v === undefined) return;
    if (!Array.isArray(v)) rethrowAt(`.${key}`, new FieldError("expected an array"));
    let i = 0;
    try {
      for (; i < v.length; i++) add(v[i]);
    } catch (err) {
      rethrowAt(`.${key}[${i}]`, err);
    }
  }

  #head(v: unknown): FamilyHead {
    const o = obj(v);
    for (const key in o) {
      if (key !== "name" && key !== "help" && key !== "type" && key !== "unit") {
        rethrowAt(`.${key}`, new FieldError("unknown field"));
      }
    }
    const field = <T>(key: string, decode: (x: unknown) => T): T => {
      try {
        return decode(o[key]);
      } catch (err) {
        rethrowAt(`.${key}`, err);
      }
    };
    return {
      name: field("name", str),
      help: o.help === undefined ? undefined : field("help", str),
      type: field("type", metricType),
      unit: o.unit === undefined ? undefined : field("unit", str),
    };
  }

  #set(v: unknown): FileSet {
    const flat = array(v);
    if (flat.length % 2 !== 0) throw new FieldError("expected names and values in pairs");
    const pairs: LabelPair[] = new Array(flat.length / 2);
    let sorted = true;
    for (let i = 0; i < pairs.length; i++) {
      const name = flat[2 * i], value = flat[2 * i + 1];
      if (typeof name !== "string" || typeof value !== "string") {
        rethrowAt(`[${2 * i}]`, new FieldError("expected strings"));
      }
      pairs[i] = { name, value };
      if (i > 0 && !(pairs[i - 1]!.name < name)) sorted = false;
    }
    return { set: newLabelSet(pairs), sorted };
  }

  #shape(v: unknown): Shape {
    const [kind, bounds] = array(v);
    if (kind !== "summary" && kind !== "histogram") {
      throw new FieldError('expected "summary" or "histogram"');
    }
    const numbers = array(bounds).map(num);
    return boundedShape(kind === "summary" ? ShapeKind.SUMMARY : ShapeKind.HISTOGRAM, numbers);
  }

  #shapeOf(ref: unknown): Shape {
    if (typeof ref === "string") {
      const shape = VALUE_SHAPES.get(ref);
      if (shape === undefined) throw new FieldError("unknown shape");
      return shape;
    }
    return this.#shapes[index(ref, this.#shapes.length, "shape")]!;
  }

  #group(o: Json): Group {
    for (const key in o) {
      if (key !== "labels" && key !== "ttl" && key !== "families") {
        rethrowAt(`.${key}`, new FieldError("unknown field"));
      }
    }
    let labels: Group["labels"];
    try {
      labels = decodeLabels(o.labels);
    } catch (err) {
      rethrowAt(".labels", err);
    }
    let ttl: Group["ttl"];
    try {
      ttl = o.ttl === undefined ? undefined : decodeTtl(o.ttl);
    } catch (err) {
      rethrowAt(".ttl", err);
    }
    const names = Object.keys(labels).sort();
    const pairs: LabelPair[] = new Array(names.length);
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!, value = labels[name]!;
      let byValue = this.#pairs.get(name);
      if (byValue === undefined) this.#pairs.set(name, byValue = new Map());
      let shared = byValue.get(value);
      if (shared === undefined) byValue.set(value, shared = { name, value });
      pairs[i] = shared;
    }
    const part = groupPart(pairs);
    const list = o.families;
    if (!Array.isArray(list)) rethrowAt(".families", new FieldError("expected an array"));
    const blocks: SeriesBlock[] = new Array(list.length);
    let sorted = true;
    for (let i = 0; i < list.length; i++) {
      let block = this.#fastBlock(list[i], labels, part);
      if (block === undefined) {
        try {
          block = this.#block(list[i], labels, part);
        } catch (err) {
          rethrowAt(`.families[${i}]`, err);
        }
      }
      blocks[i] = block;
      if (i > 0 && !(blocks[i - 1]!.head.name < block.head.name)) sorted = false;
    }
    // A writer's families come sorted, names distinct; anything else is sorted and checked here.
    if (!sorted) blocks.sort(byHeadName);
    for (let i = 1; i < blocks.length && !sorted; i++) {
      if (blocks[i]!.head.name === blocks[i - 1]!.head.name) {
        const name = JSON.stringify(blocks[i]!.head.name);
        rethrowAt(".families", new FieldError(`duplicate family ${name}`));
      }
    }
    const families = new BlockMap(blocks);
    return ttl === undefined ? { labels, families } : { labels, families, ttl };
  }

  /**
   * The block of a family entry in the common shape (no special numbers, no
   * series stored whole, every reference valid), checked without building
   * error paths; `undefined` for anything else, which {@linkcode #block} then
   * decodes again and reports. The only change it makes to the entry (special
   * numbers in the numbers' array decoded in place) is one {@linkcode #block}
   * makes too.
   */
  #fastBlock(v: unknown, labels: Group["labels"], groupPairs: GroupPart): SeriesBlock | undefined {
    if (!Array.isArray(v) || v.length < 5 || v.length > 7) return undefined;
    const h = v[0], lastPushMs = v[1], setRefs = v[3], shapeRefs = v[2], values = v[4];
    if (typeof h !== "number" || !(h >= 0 && h < this.#heads.length) || !Number.isInteger(h)) {
      return undefined;
    }
    if (typeof lastPushMs !== "number" || !Array.isArray(setRefs) || !Array.isArray(values)) {
      return undefined;
    }
    const whole = v.length === 7;
    if ((whole && v[6] !== 1) || (v.length >= 6 && v[5] !== 0)) return undefined;
    const n = setRefs.length;
    const fileSets = this.#sets;
    for (let i = 0; i < n; i++) {
      const ref = setRefs[i];
      if (typeof ref !== "number" || !(ref >= 0 && ref < fileSets.length)) return undefined;
      const file = fileSets[ref];
      if (file === undefined) return undefined; // not an integer
      if (!whole && file.set !== EMPTY_SET && !ownSetFits(file, labels)) return undefined;
    }
    let shapes: Shape[] | Shape;
    let width = 0;
    if (Array.isArray(shapeRefs)) {
      if (shapeRefs.length !== n) return undefined;
      for (let i = 0; i < n; i++) {
        const shape = this.#fastShape(shapeRefs[i]);
        if (shape === undefined) return undefined;
        width += shape.width;
      }
      shapes = shapeRefs as Shape[]; // its references are replaced once every check passed
    } else {
      const shape = this.#fastShape(shapeRefs);
      if (shape === undefined) return undefined;
      shapes = shape;
      width = n * shape.width;
    }
    if (values.length !== width) return undefined;
    for (let i = 0; i < width; i++) {
      const x = values[i];
      if (typeof x === "number") continue;
      const decoded = decodeNumber(x);
      if (decoded === undefined) return undefined;
      values[i] = decoded;
    }
    // Every check passed: the references are replaced in place (no new arrays to collect).
    const sets = setRefs as LabelSet[];
    for (let i = 0; i < n; i++) sets[i] = fileSets[setRefs[i] as number]!.set;
    if (Array.isArray(shapes)) {
      for (let i = 0; i < n; i++) {
        shapes[i] = this.#fastShape(shapes[i])!;
      }
    }
    const part = whole ? EMPTY_PART : groupPairs;
    return buildBlock(this.#heads[h]!, lastPushMs, part, sets, shapes, values, undefined);
  }

  /** The shape a reference names, unless it is unknown or of series stored whole. */
  #fastShape(ref: unknown): Shape | undefined {
    const shape = typeof ref === "string"
      ? VALUE_SHAPES.get(ref)
      : typeof ref === "number"
      ? this.#shapes[ref]
      : undefined;
    return shape === undefined || shape.kind === ShapeKind.RICH ? undefined : shape;
  }

  #block(v: unknown, labels: Group["labels"], groupPairs: GroupPart): SeriesBlock {
    const e = array(v);
    if (e.length < 5 || e.length > 7) throw new FieldError("expected 5 to 7 fields");
    const at = <T>(i: number, decode: (x: unknown) => T): T => {
      try {
        return decode(e[i]);
      } catch (err) {
        rethrowAt(`[${i}]`, err);
      }
    };
    const head = this.#heads[at(0, (x) => index(x, this.#heads.length, "head"))]!;
    const lastPushMs = at(1, num);
    const whole = e.length === 7 && at(6, (x) => {
      if (x !== 1) throw new FieldError("expected 1");
      return true;
    });
    const part = whole ? EMPTY_PART : groupPairs;
    const sets = at(3, (x) =>
      array(x).map((ref, i) => {
        try {
          const file = this.#sets[index(ref, this.#sets.length, "label set")]!;
          if (!whole && file.set !== EMPTY_SET) checkOwn(file, labels);
          return file.set;
        } catch (err) {
          rethrowAt(`[${i}]`, err);
        }
      }));
    const n = sets.length;
    const shapes = at(2, (x) => {
      if (!Array.isArray(x)) return new Array<Shape>(n).fill(this.#shapeOf(x));
      if (x.length !== n) throw new FieldError("expected one shape per series");
      return x.map((ref) => this.#shapeOf(ref));
    });
    let width = 0;
    let richRows = 0;
    for (const s of shapes) {
      width += s.width;
      if (s.kind === ShapeKind.RICH) richRows++;
    }
    const numbers = at(4, (x) => {
      const values = array(x);
      if (values.length !== width) {
        throw new FieldError(`expected ${width} numbers for the series' shapes`);
      }
      for (let i = 0; i < values.length; i++) {
        if (typeof values[i] === "number") continue;
        const n = decodeNumber(values[i]);
        if (n === undefined) rethrowAt(`[${i}]`, new FieldError("expected a number"));
        values[i] = n;
      }
      return values as number[];
    });
    let rich: (Metric | undefined)[] | undefined;
    if (richRows > 0) {
      const list = at(5, (x) => {
        const l = array(x);
        if (l.length !== richRows) throw new FieldError(`expected ${richRows} whole series`);
        return l.map((m, i) => {
          try {
            const { label, ...rest } = decodeMetric(m);
            if (label.length > 0) throw new FieldError("labels belong in the label sets");
            return rest as Metric;
          } catch (err) {
            rethrowAt(`[${i}]`, err);
          }
        });
      });
      rich = new Array(n).fill(undefined);
      for (let i = 0, k = 0; i < n; i++) {
        if (shapes[i]!.kind === ShapeKind.RICH) rich[i] = list[k++];
      }
    } else if (e.length >= 6 && e[5] !== 0) {
      rethrowAt("[5]", new FieldError("no series of this family is stored whole"));
    }
    return buildBlock(head, lastPushMs, part, sets, shapes, numbers, rich);
  }
}

/** Orders blocks by family name. */
function byHeadName(a: SeriesBlock, b: SeriesBlock): number {
  return a.head.name < b.head.name ? -1 : a.head.name > b.head.name ? 1 : 0;
}

/** Whether a label set can be merged with the grouping labels `labels` ({@linkcode checkOwn}). */
function ownSetFits(file: FileSet, labels: Group["labels"]): boolean {
  if (!file.sorted) return false;
  const pairs = file.set.pairs;
  for (let i = 0; i < pairs.length; i++) if (Object.hasOwn(labels, pairs[i]!.name)) return false;
  return true;
}

/** Checks that a label set can be merged with the grouping labels `labels`. */
function checkOwn(file: FileSet, labels: Group["labels"]): void {
  if (!file.sorted) {
    throw new FieldError("label names not sorted (a family whose labels are whole says so)");
  }
  for (const p of file.set.pairs) {
    if (Object.hasOwn(labels, p.name)) {
      throw new FieldError(`label set holds the grouping label ${JSON.stringify(p.name)}`);
    }
  }
}
