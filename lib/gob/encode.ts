/**
 * An encoder of Go `encoding/gob` streams for values described by a small
 * schema: the basic types, maps, slices, structs, and types that encode
 * themselves (`GobEncoder`). It writes what Go's `Encoder.Encode` writes for
 * one value: a message per type definition (ids from 65 in depth-first order,
 * each type once), then the value's message. Struct fields holding their zero
 * value are left out, as Go does. Pure: no I/O.
 *
 * @module
 */

import { BuiltinId } from "@lib/gob/decode.ts";
import { FIRST_USER_ID } from "@lib/gob/wire.ts";
import { GobError, GobWriter } from "@lib/gob/wire.ts";

/** The basic types and their predefined ids. */
const BASIC_IDS: Readonly<Record<GobBasicKind, number>> = {
  bool: BuiltinId.BOOL,
  int: BuiltinId.INT,
  uint: BuiltinId.UINT,
  float: BuiltinId.FLOAT,
  bytes: BuiltinId.BYTES,
  string: BuiltinId.STRING,
};

/** A field of a {@linkcode GobSchema} struct. */
export interface GobSchemaField {
  /** The field's Go name. */
  readonly name: string;
  /** The field's type. */
  readonly type: GobSchema;
}

/** The basic Go types a schema can name: each has a predefined gob type id. */
export type GobBasicKind = "bool" | "int" | "uint" | "float" | "bytes" | "string";

/**
 * The Go type of a value to encode. Values are: `boolean` for bool, `number`
 * or `bigint` for int and uint, `number` for float, `Uint8Array` for bytes and
 * for a `gobEncoder` (its `GobEncode` output), `string`, an iterable of
 * `[key, value]` for a map, an array for a slice, and an object keyed by field
 * name for a struct (an `undefined` field is left out).
 */
export type GobSchema =
  | { readonly kind: GobBasicKind }
  | {
    readonly kind: "map";
    readonly name: string;
    readonly key: GobSchema;
    readonly elem: GobSchema;
  }
  | { readonly kind: "slice"; readonly name: string; readonly elem: GobSchema }
  | { readonly kind: "struct"; readonly name: string; readonly fields: readonly GobSchemaField[] }
  | { readonly kind: "gobEncoder"; readonly name: string };

/** The parts of a composite type, in Go's order. */
function parts(schema: GobSchema): GobSchema[] {
  switch (schema.kind) {
    case "slice":
      return [schema.elem];
    case "map":
      return [schema.key, schema.elem];
    case "struct":
      return schema.fields.map((f) => f.type);
    default:
      return [];
  }
}

/** Writes one gob stream. */
class StreamEncoder {
  readonly #ids = new Map<GobSchema, number>();
  readonly #out = new GobWriter();
  #next = FIRST_USER_ID;

  /** The id of `schema`: predefined for basic types, else assigned on first sight. */
  #id(schema: GobSchema): number {
    if (schema.kind in BASIC_IDS) return BASIC_IDS[schema.kind as keyof typeof BASIC_IDS];
    return this.#ids.get(schema) as number;
  }

  /**
   * Assigns ids depth-first (a type before its parts, each type once) and sends the definitions
   * in that order, as Go's encoder does; returns the id of `schema`.
   */
  define(schema: GobSchema): number {
    const order: GobSchema[] = [];
    const assign = (t: GobSchema): void => {
      if (t.kind in BASIC_IDS || this.#ids.has(t)) return;
      this.#ids.set(t, this.#next++);
      order.push(t);
      for (const p of parts(t)) assign(p);
    };
    assign(schema);
    for (const t of order) this.#message(this.#definition(t));
    return this.#id(schema);
  }

  /** A `wireType` message body: `-id`, then the field of the kind and its struct. */
  #definition(schema: GobSchema): Uint8Array {
    const id = this.#id(schema);
    const body = new GobWriter();
    body.int(-id);
    const kindField = { slice: 2, struct: 3, map: 4, gobEncoder: 5 }[
      schema.kind as "slice" | "struct" | "map" | "gobEncoder"
    ];
    body.uint(kindField); // wireType fields: ArrayT 0, SliceT 1, StructT 2, MapT 3, GobEncoderT 4
    // Field 0 of every kind: CommonType{Name, Id}; a Name of "" is left out.
    body.uint(1);
    const name = (schema as { name: string }).name;
    if (name !== "") {
      body.uint(1);
      body.string(name);
      body.uint(1);
    } else body.uint(2);
    body.int(id);
    body.uint(0);
    switch (schema.kind) {
      case "slice":
        body.uint(1);
        body.int(this.#id(schema.elem));
        break;
      case "map":
        body.uint(1);
        body.int(this.#id(schema.key));
        body.uint(1);
        body.int(this.#id(schema.elem));
        break;
      case "struct":
        body.uint(1);
        body.uint(schema.fields.length);
        for (const f of schema.fields) {
          body.uint(1);
          body.string(f.name);
          body.uint(1);
          body.int(this.#id(f.type));
          body.uint(0);
        }
        break;
    }
    body.uint(0); // end of the kind's struct
    body.uint(0); // end of wireType
    return body.finish();
  }

  /** Writes the value message. */
  value(schema: GobSchema, value: unknown): void {
    const body = new GobWriter();
    body.int(this.define(schema));
    if (schema.kind !== "struct") body.uint(0); // a single value is a one-field struct
    this.#write(body, schema, value);
    this.#message(body.finish());
  }

  finish(): Uint8Array {
    return this.#out.finish();
  }

  #message(body: Uint8Array): void {
    this.#out.uint(body.length);
    this.#out.raw(body);
  }

  #write(w: GobWriter, schema: GobSchema, value: unknown): void {
    switch (schema.kind) {
      case "bool":
        if (typeof value !== "boolean") throw mismatch(schema, value);
        w.uint(value ? 1 : 0);
        return;
      case "int":
        w.int(integer(value, schema));
        return;
      case "uint":
        w.uint(integer(value, schema));
        return;
      case "float":
        if (typeof value !== "number") throw mismatch(schema, value);
        w.float(value);
        return;
      case "string":
        if (typeof value !== "string") throw mismatch(schema, value);
        w.string(value);
        return;
      case "bytes":
      case "gobEncoder":
        if (!(value instanceof Uint8Array)) throw mismatch(schema, value);
        w.bytesValue(value);
        return;
      case "slice": {
        if (!Array.isArray(value)) throw mismatch(schema, value);
        w.uint(value.length);
        for (const item of value) this.#write(w, schema.elem, item);
        return;
      }
      case "map": {
        if (value === null || typeof value !== "object" || !(Symbol.iterator in value)) {
          throw mismatch(schema, value);
        }
        const entries = [...(value as Iterable<[unknown, unknown]>)];
        w.uint(entries.length);
        for (const [k, v] of entries) {
          this.#write(w, schema.key, k);
          this.#write(w, schema.elem, v);
        }
        return;
      }
      case "struct": {
        if (value === null || typeof value !== "object") throw mismatch(schema, value);
        const record = value as Record<string, unknown>;
        let last = -1;
        schema.fields.forEach((f, i) => {
          const v = record[f.name];
          if (isZero(f.type, v)) return;
          w.uint(i - last);
          last = i;
          this.#write(w, f.type, v);
        });
        w.uint(0);
        return;
      }
    }
  }
}

/** Whether Go would leave a struct field with this value out. */
function isZero(schema: GobSchema, v: unknown): boolean {
  if (v === undefined) return true;
  switch (schema.kind) {
    case "bool":
      return v === false;
    case "int":
    case "uint":
      return v === 0 || v === 0n;
    case "float":
      return v === 0 && !Object.is(v, -0);
    case "string":
      return v === "";
    case "bytes":
    case "slice":
      return (v as { length?: number }).length === 0;
    case "map":
      return (v instanceof Map && v.size === 0) || (Array.isArray(v) && v.length === 0);
    default:
      return false; // structs and self-encoded values: present unless undefined
  }
}

function integer(value: unknown, schema: GobSchema): number | bigint {
  if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) {
    return value;
  }
  throw mismatch(schema, value);
}

function mismatch(schema: GobSchema, value: unknown): GobError {
  return new GobError(`cannot encode ${typeof value} as gob ${schema.kind}`);
}

/**
 * Encodes one value as a complete gob stream, as `gob.NewEncoder(w).Encode(value)` does.
 *
 * @param schema The value's Go type.
 * @param value The value (see {@linkcode GobSchema} for the JavaScript shapes).
 * @returns The stream: the type definitions, then the value.
 * @throws {GobError} When `value` does not fit `schema`.
 *
 * @example Usage
 * ```ts
 * import { encodeGob } from "@lib/gob/encode.ts";
 * import { decodeGob, GobStruct } from "@lib/gob/decode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const point = {
 *   kind: "struct" as const,
 *   name: "Point",
 *   fields: [{ name: "X", type: { kind: "int" as const } }, { name: "Y", type: { kind: "int" as const } }],
 * };
 * const bytes = encodeGob(point, { X: 22, Y: 33 });
 * assertEquals(decodeGob(bytes).value, new GobStruct("Point", new Map([["X", 22], ["Y", 33]])));
 * ```
 */
export function encodeGob(schema: GobSchema, value: unknown): Uint8Array {
  const enc = new StreamEncoder();
  enc.value(schema, value);
  return enc.finish();
}
