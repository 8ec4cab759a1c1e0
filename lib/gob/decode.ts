/**
 * A generic decoder of Go `encoding/gob` streams: reads the type definitions
 * a stream carries and decodes its first value into plain data, whatever its
 * Go type. Type definitions that no value uses are read and kept, never
 * interpreted, so an encoder's extra definitions (upstream's `dto.Metric` and
 * friends, which differ between builds) do not matter.
 *
 * A stream is a sequence of messages, each an unsigned byte count followed by a
 * signed type id: a negative id `-n` defines type `n` (a `wireType` value
 * follows), a positive id is the type of the value that follows. A value that
 * is not a struct is sent as a one-field struct: a `0` field delta, then the
 * value. Structs are (field delta, value) pairs ending in a `0` delta; zero
 * fields are left out. Maps, slices and arrays are a count and their elements;
 * a type implementing `GobEncoder`, `BinaryMarshaler` or `TextMarshaler` is a
 * byte string its own decoder reads. See the documentation of Go's
 * `encoding/gob`.
 *
 * Interface values are not supported (no Pushgateway file holds one). Pure: no I/O.
 *
 * @module
 */

import { FIRST_USER_ID, GobError, GobReader, TOO_BIG } from "@lib/gob/wire.ts";

/** The ids Go predefines: basic types, then the wire-type descriptions. */
export const BuiltinId = {
  BOOL: 1,
  INT: 2,
  UINT: 3,
  FLOAT: 4,
  BYTES: 5,
  STRING: 6,
  COMPLEX: 7,
  INTERFACE: 8,
} as const;

/** A field of a struct type definition. */
export interface GobField {
  /** The field's Go name. */
  readonly name: string;
  /** The id of the field's type. */
  readonly id: number;
}

/** A type definition (Go's `wireType`), by kind. */
export type GobType =
  | { readonly kind: "array"; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: "slice"; readonly name: string; readonly elem: number }
  | { readonly kind: "struct"; readonly name: string; readonly fields: readonly GobField[] }
  | { readonly kind: "map"; readonly name: string; readonly key: number; readonly elem: number }
  | {
    readonly kind: "gobEncoder" | "binaryMarshaler" | "textMarshaler";
    readonly name: string;
  };

/** A struct value: its type's name and the fields that were sent (zero fields are absent). */
export class GobStruct {
  /** The struct type's name as the encoder sent it. */
  readonly typeName: string;
  /** Field name → value, for the fields present in the stream. */
  readonly fields: Map<string, GobValue>;

  /** Creates a struct value. */
  constructor(typeName: string, fields: Map<string, GobValue> = new Map()) {
    this.typeName = typeName;
    this.fields = fields;
  }
}

/** A map value: its entries in stream order. */
export class GobMap {
  /** The map type's name as the encoder sent it. */
  readonly typeName: string;
  /** Key/value pairs in stream order. */
  readonly entries: [GobValue, GobValue][];

  /** Creates a map value. */
  constructor(typeName: string, entries: [GobValue, GobValue][] = []) {
    this.typeName = typeName;
    this.entries = entries;
  }
}

/** The bytes of a value a type encoded itself (`GobEncode`, `MarshalBinary` or `MarshalText`). */
export class GobEncoded {
  /** The type's name as the encoder sent it. */
  readonly typeName: string;
  /** Which interface produced the bytes. */
  readonly kind: "gobEncoder" | "binaryMarshaler" | "textMarshaler";
  /** The bytes, for the type's own decoder (a view into the decoded input). */
  readonly data: Uint8Array;

  /** Creates an encoded value. */
  constructor(
    typeName: string,
    kind: "gobEncoder" | "binaryMarshaler" | "textMarshaler",
    data: Uint8Array,
  ) {
    this.typeName = typeName;
    this.kind = kind;
    this.data = data;
  }
}

/**
 * A decoded value. Integers are numbers when they are safe integers, else
 * bigints; `[]byte` is a `Uint8Array`; a complex number is `{ re, im }`.
 */
export type GobValue =
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | { readonly re: number; readonly im: number }
  | GobValue[]
  | GobStruct
  | GobMap
  | GobEncoded;

/** The result of {@linkcode decodeGob}. */
export interface GobDocument {
  /** Every type the stream defined, by id. */
  readonly types: ReadonlyMap<number, GobType>;
  /** The id of the first value's type. */
  readonly typeId: number;
  /** The first value. */
  readonly value: GobValue;
  /** Bytes of the input the first value's messages took; anything after is not read. */
  readonly consumed: number;
}

/** Values nest at most this deep (a guard against a stack overflow on hostile input). */
const MAX_DEPTH = 1000;

const utf8 = new TextDecoder();

/** Decodes a `wireType` struct (the built-in type 16) into a {@linkcode GobType}. */
function readWireType(r: GobReader): GobType {
  let field = -1;
  let result: GobType | undefined;
  for (;;) {
    const delta = r.uint();
    if (delta === 0) break;
    field += delta;
    if (result !== undefined) throw new GobError("type definition with more than one kind");
    switch (field) {
      case 0: { // ArrayT
        const [common, rest] = readCommon(r, ["Elem", "Len"]);
        result = { kind: "array", name: common, elem: rest[0] ?? 0, len: rest[1] ?? 0 };
        break;
      }
      case 1: { // SliceT
        const [common, rest] = readCommon(r, ["Elem"]);
        result = { kind: "slice", name: common, elem: rest[0] ?? 0 };
        break;
      }
      case 2: // StructT
        result = readStructType(r);
        break;
      case 3: { // MapT
        const [common, rest] = readCommon(r, ["Key", "Elem"]);
        result = { kind: "map", name: common, key: rest[0] ?? 0, elem: rest[1] ?? 0 };
        break;
      }
      case 4:
      case 5:
      case 6: { // GobEncoderT, BinaryMarshalerT, TextMarshalerT
        const [common] = readCommon(r, []);
        const kind = field === 4 ? "gobEncoder" : field === 5 ? "binaryMarshaler" : "textMarshaler";
        result = { kind, name: common };
        break;
      }
      default:
        throw new GobError(`unknown field ${field} in a type definition`);
    }
  }
  if (result === undefined) throw new GobError("empty type definition");
  return result;
}

/** Reads a `CommonType` struct (`Name string; Id int`); returns the name. */
function readCommonType(r: GobReader): string {
  let field = -1;
  let name = "";
  for (;;) {
    const delta = r.uint();
    if (delta === 0) return name;
    field += delta;
    if (field === 0) name = utf8.decode(r.bytesValue());
    else if (field === 1) r.int(); // the id, repeated
    else throw new GobError(`unknown field ${field} in a type's common part`);
  }
}

/**
 * Reads a struct whose field 0 is the embedded `CommonType` and whose further fields are type
 * ids or ints named `extra`; returns the name and those ints.
 */
function readCommon(r: GobReader, extra: readonly string[]): [string, number[]] {
  let field = -1;
  let name = "";
  const values: number[] = [];
  for (;;) {
    const delta = r.uint();
    if (delta === 0) return [name, values];
    field += delta;
    if (field === 0) name = readCommonType(r);
    else if (field <= extra.length) values[field - 1] = r.int();
    else throw new GobError(`unknown field ${field} in a type definition`);
  }
}

/** Reads a `structType` (`CommonType; Field []*fieldType`). */
function readStructType(r: GobReader): GobType {
  let field = -1;
  let name = "";
  const fields: GobField[] = [];
  for (;;) {
    const delta = r.uint();
    if (delta === 0) return { kind: "struct", name, fields };
    field += delta;
    if (field === 0) name = readCommonType(r);
    else if (field === 1) {
      const count = r.uint();
      if (count > r.remaining) throw new GobError("field count exceeds the data");
      for (let i = 0; i < count; i++) fields.push(readFieldType(r));
    } else throw new GobError(`unknown field ${field} in a struct type definition`);
  }
}

/** Reads a `fieldType` (`Name string; Id typeId`). */
function readFieldType(r: GobReader): GobField {
  let field = -1;
  let name = "";
  let id = 0;
  for (;;) {
    const delta = r.uint();
    if (delta === 0) return { name, id };
    field += delta;
    if (field === 0) name = utf8.decode(r.bytesValue());
    else if (field === 1) id = r.int();
    else throw new GobError(`unknown field ${field} in a struct field definition`);
  }
}

/** Decodes values of the types in `types` from a reader. */
class ValueReader {
  readonly #types: ReadonlyMap<number, GobType>;
  #depth = 0;

  constructor(types: ReadonlyMap<number, GobType>) {
    this.#types = types;
  }

  /** Reads one value of type `id`. */
  value(r: GobReader, id: number): GobValue {
    switch (id) {
      case BuiltinId.BOOL: {
        const v = r.uintBig();
        if (v > 1n) throw new GobError(`invalid bool ${v}`);
        return v === 1n;
      }
      case BuiltinId.INT:
        return narrow(r.intBig());
      case BuiltinId.UINT:
        return narrow(r.uintBig());
      case BuiltinId.FLOAT:
        return r.float();
      case BuiltinId.BYTES:
        return r.bytesValue().slice();
      case BuiltinId.STRING:
        return utf8.decode(r.bytesValue());
      case BuiltinId.COMPLEX:
        return { re: r.float(), im: r.float() };
      case BuiltinId.INTERFACE:
        throw new GobError("interface values are not supported");
    }
    const type = this.#types.get(id);
    if (type === undefined) throw new GobError(`value of undefined type id ${id}`);
    if (++this.#depth > MAX_DEPTH) throw new GobError("values nest too deeply");
    try {
      return this.#composite(r, type);
    } finally {
      this.#depth--;
    }
  }

  #composite(r: GobReader, type: GobType): GobValue {
    switch (type.kind) {
      case "struct":
        return this.struct(r, type.name, type.fields);
      case "map": {
        const count = countOf(r);
        const entries: [GobValue, GobValue][] = [];
        for (let i = 0; i < count; i++) {
          const key = this.value(r, type.key);
          entries.push([key, this.value(r, type.elem)]);
        }
        return new GobMap(type.name, entries);
      }
      case "slice":
      case "array": {
        const count = countOf(r);
        if (type.kind === "array" && count !== type.len) {
          throw new GobError(`array of length ${type.len} sent with ${count} elements`);
        }
        const items: GobValue[] = [];
        for (let i = 0; i < count; i++) items.push(this.value(r, type.elem));
        return items;
      }
      default:
        return new GobEncoded(type.name, type.kind, r.bytesValue());
    }
  }

  /** Reads a struct's (delta, value) pairs up to the closing `0`. */
  struct(r: GobReader, name: string, fields: readonly GobField[]): GobStruct {
    const out = new GobStruct(name);
    let field = -1;
    for (;;) {
      const delta = r.uint();
      if (delta === 0) return out;
      field += delta;
      const def = fields[field];
      if (def === undefined) throw new GobError(`field number ${field} out of range in ${name}`);
      out.fields.set(def.name, this.value(r, def.id));
    }
  }
}

/** Reads an element count, which cannot exceed the bytes left (every element takes one at least). */
function countOf(r: GobReader): number {
  const count = r.uint();
  if (count > r.remaining) throw new GobError(`count ${count} exceeds the data`);
  return count;
}

/** A number when it is a safe integer, else the bigint. */
function narrow(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/**
 * Decodes the first value of a gob stream together with the type definitions
 * before it. Bytes after that value are not read (Go's `Decoder.Decode`
 * reads one value too).
 *
 * @param bytes The stream.
 * @returns The type table, the value's type id, the value and the bytes it took.
 * @throws {GobError} When the stream is truncated, malformed, defines a type
 * twice, or holds an interface value.
 *
 * @example Usage
 * ```ts
 * import { decodeGob, GobStruct } from "@lib/gob/decode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // `gob.NewEncoder(w).Encode(Point{22, 33})`, from the documentation of encoding/gob.
 * const bytes = Uint8Array.from([
 *   0x1f, 0xff, 0x81, 0x03, 0x01, 0x01, 0x05, 0x50, 0x6f, 0x69, 0x6e, 0x74, 0x01, 0xff, 0x82, 0x00,
 *   0x01, 0x02, 0x01, 0x01, 0x58, 0x01, 0x04, 0x00, 0x01, 0x01, 0x59, 0x01, 0x04, 0x00, 0x00, 0x00,
 *   0x07, 0xff, 0x82, 0x01, 0x2c, 0x01, 0x42, 0x00,
 * ]);
 * const doc = decodeGob(bytes);
 * assertEquals(doc.value, new GobStruct("Point", new Map([["X", 22], ["Y", 33]])));
 * ```
 */
export function decodeGob(bytes: Uint8Array): GobDocument {
  const types = new Map<number, GobType>();
  const reader = new ValueReader(types);
  let pos = 0;
  for (;;) {
    if (pos >= bytes.length) {
      throw new GobError(types.size === 0 ? "empty stream" : "stream ends before a value");
    }
    const head = new GobReader(bytes, pos);
    const size = head.uint();
    if (size >= TOO_BIG) throw new GobError(`message size ${size} is too large`);
    if (size === 0) throw new GobError("empty message");
    if (size > head.remaining) throw new GobError("stream ends inside a message");
    const msg = new GobReader(bytes, head.pos, head.pos + size);
    pos = head.pos + size;
    const id = msg.int();
    if (id < 0) {
      if (-id < FIRST_USER_ID) throw new GobError(`definition of reserved type id ${-id}`);
      if (types.has(-id)) throw new GobError(`type id ${-id} defined twice`);
      types.set(-id, readWireType(msg));
      if (msg.remaining > 0) throw new GobError("extra data after a type definition");
      continue;
    }
    if (id === 0) throw new GobError("value of type id 0");
    const type = types.get(id);
    let value: GobValue;
    if (type?.kind === "struct") {
      value = reader.struct(msg, type.name, type.fields);
    } else {
      if (msg.uint() !== 0) throw new GobError("non-zero field delta before a single value");
      value = reader.value(msg, id);
    }
    if (msg.remaining > 0) throw new GobError(`${msg.remaining} bytes of extra data after a value`);
    return { types, typeId: id, value, consumed: pos };
  }
}
