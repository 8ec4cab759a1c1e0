/**
 * Reading snapshots (format in `snapshot.ts`): the validating decoder, which names the field
 * path of any error, and {@linkcode SnapshotDecoder}, which checks header, checksum and trailer
 * and tries the fast path (`snapshot_fast.ts`) first for each group line.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import type { Group, GroupingLabels, GroupTtl, StoredFamily } from "@lib/store/types.ts";
import { groupingKey } from "@lib/store/types.ts";
import {
  type Bucket,
  type BucketSpan,
  type Counter,
  type Exemplar,
  type Histogram,
  type LabelPair,
  type Metric,
  type MetricFamily,
  MetricType,
  type Quantile,
  type Summary,
  type Timestamp,
} from "@lib/model/metric.ts";
import {
  assignDefined,
  decodeNumber,
  isObject,
  type Json,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSIONS,
  SnapshotError,
  TYPES_BY_NAME,
} from "@lib/store/snapshot.ts";
import { fastGroup } from "@lib/store/snapshot_fast.ts";

/**
 * Thrown inside the decoder. The field path is prepended segment by segment
 * as the error propagates, so decoding builds no path strings unless it fails.
 */
class FieldError extends Error {
  path = "";
}

/** Rethrows `err` with `segment` prepended to its path. */
function rethrowAt(segment: string, err: unknown): never {
  if (err instanceof FieldError) err.path = segment + err.path;
  throw err;
}

function obj(v: unknown): Json {
  if (!isObject(v)) throw new FieldError("expected an object");
  return v;
}

function str(v: unknown): string {
  if (typeof v !== "string") throw new FieldError("expected a string");
  return v;
}

function num(v: unknown): number {
  const n = decodeNumber(v);
  if (n === undefined) throw new FieldError("expected a number");
  return n;
}

/** Decodes the required field `key`. */
function req<T>(o: Json, key: string, decode: (v: unknown) => T): T {
  try {
    return decode(o[key]);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the optional field `key`; `undefined` when absent. */
function opt<T>(o: Json, key: string, decode: (v: unknown) => T): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  try {
    return decode(v);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the repeated field `key`; `[]` when absent. */
function list<T>(o: Json, key: string, decode: (v: unknown) => T): T[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) rethrowAt(`.${key}`, new FieldError("expected an array"));
  const out: T[] = new Array(v.length);
  let i = 0;
  try {
    for (; i < v.length; i++) out[i] = decode(v[i]);
  } catch (err) {
    rethrowAt(`.${key}[${i}]`, err);
  }
  return out;
}

function decodeLabel(v: unknown): LabelPair {
  const o = obj(v);
  return { name: req(o, "name", str), value: req(o, "value", str) };
}

function decodeTimestamp(v: unknown): Timestamp {
  const o = obj(v);
  return { seconds: req(o, "seconds", num), nanos: req(o, "nanos", num) };
}

function decodeExemplar(v: unknown): Exemplar {
  const o = obj(v);
  return assignDefined<Exemplar>({ label: list(o, "label", decodeLabel) }, {
    value: opt(o, "value", num),
    timestamp: opt(o, "timestamp", decodeTimestamp),
  });
}

function decodeValue(v: unknown): { value?: number } {
  const o = obj(v);
  return assignDefined({}, { value: opt(o, "value", num) });
}

function decodeCounter(v: unknown): Counter {
  const o = obj(v);
  return assignDefined<Counter>({}, {
    value: opt(o, "value", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeQuantile(v: unknown): Quantile {
  const o = obj(v);
  return assignDefined<Quantile>({}, {
    quantile: opt(o, "quantile", num),
    value: opt(o, "value", num),
  });
}

function decodeSummary(v: unknown): Summary {
  const o = obj(v);
  return assignDefined<Summary>({ quantile: list(o, "quantile", decodeQuantile) }, {
    sampleCount: opt(o, "sampleCount", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeBucket(v: unknown): Bucket {
  const o = obj(v);
  return assignDefined<Bucket>({}, {
    cumulativeCount: opt(o, "cumulativeCount", num),
    cumulativeCountFloat: opt(o, "cumulativeCountFloat", num),
    upperBound: opt(o, "upperBound", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
  });
}

function decodeSpan(v: unknown): BucketSpan {
  const o = obj(v);
  return assignDefined<BucketSpan>({}, {
    offset: opt(o, "offset", num),
    length: opt(o, "length", num),
  });
}

function decodeHistogram(v: unknown): Histogram {
  const o = obj(v);
  const h: Histogram = {
    bucket: list(o, "bucket", decodeBucket),
    negativeSpan: list(o, "negativeSpan", decodeSpan),
    negativeDelta: list(o, "negativeDelta", num),
    negativeCount: list(o, "negativeCount", num),
    positiveSpan: list(o, "positiveSpan", decodeSpan),
    positiveDelta: list(o, "positiveDelta", num),
    positiveCount: list(o, "positiveCount", num),
    exemplars: list(o, "exemplars", decodeExemplar),
  };
  return assignDefined(h, {
    sampleCount: opt(o, "sampleCount", num),
    sampleCountFloat: opt(o, "sampleCountFloat", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
    schema: opt(o, "schema", num),
    zeroThreshold: opt(o, "zeroThreshold", num),
    zeroCount: opt(o, "zeroCount", num),
    zeroCountFloat: opt(o, "zeroCountFloat", num),
  });
}

function decodeMetric(v: unknown): Metric {
  const o = obj(v);
  return assignDefined<Metric>({ label: list(o, "label", decodeLabel) }, {
    gauge: opt(o, "gauge", decodeValue),
    counter: opt(o, "counter", decodeCounter),
    summary: opt(o, "summary", decodeSummary),
    untyped: opt(o, "untyped", decodeValue),
    histogram: opt(o, "histogram", decodeHistogram),
    timestampMs: opt(o, "timestampMs", num),
  });
}

function metricType(v: unknown): MetricType {
  const type = TYPES_BY_NAME.get(str(v));
  if (type === undefined) throw new FieldError("unknown metric type");
  return type;
}

function decodeFamily(v: unknown): StoredFamily {
  const o = obj(v);
  const family = assignDefined<MetricFamily>({
    name: req(o, "name", str),
    type: req(o, "type", metricType),
    metric: list(o, "metric", decodeMetric),
  }, {
    help: opt(o, "help", str),
    unit: opt(o, "unit", str),
  });
  return { family, lastPushMs: req(o, "lastPushMs", num) };
}

function decodeLabels(v: unknown): GroupingLabels {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(obj(v))) {
    if (typeof value !== "string") {
      rethrowAt(`[${JSON.stringify(name)}]`, new FieldError("expected a string"));
    }
    // defineProperty: a label named "__proto__" must stay an ordinary entry.
    Object.defineProperty(labels, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return labels;
}

function bool(v: unknown): boolean {
  if (typeof v !== "boolean") throw new FieldError("expected a boolean");
  return v;
}

function decodeTtl(v: unknown): GroupTtl {
  const o = obj(v);
  return { fromHeader: req(o, "fromHeader", bool), deadlineMs: opt(o, "deadlineMs", num) };
}

/** Decodes a group line of format `version` (version 1 has no `ttl`). */
function decodeGroup(v: unknown, version: number): Group {
  const o = obj(v);
  const labels = req(o, "labels", decodeLabels);
  const ttl = version >= 2 ? opt(o, "ttl", decodeTtl) : undefined;
  const families = new Map<string, StoredFamily>();
  list(o, "families", decodeFamily).forEach((stored, i) => {
    if (families.has(stored.family.name)) {
      const err = new FieldError(`duplicate family ${JSON.stringify(stored.family.name)}`);
      rethrowAt(`.families[${i}]`, err);
    }
    families.set(stored.family.name, stored);
  });
  return ttl === undefined ? { labels, families } : { labels, families, ttl };
}

function parseLine(line: string, lineNo: number, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new SnapshotError("malformed", `${what} is not valid JSON`, lineNo);
  }
}

/**
 * Decodes a snapshot incrementally: feed text with
 * {@linkcode SnapshotDecoder.push} in any chunking, then call
 * {@linkcode SnapshotDecoder.finish}. Groups are only handed out once the
 * trailer's checksum and count have been verified.
 */
export class SnapshotDecoder {
  #pending = "";
  #lineNo = 0;
  #hash: Hash = createHash("sha256");
  #groups: Group[] = [];
  #keys = new Set<string>();
  #state: "header" | "groups" | "done" = "header";
  #version = 0;
  /** Family names and helps seen so far, so equal strings are stored once. */
  #pool = new Map<string, string>();

  /**
   * Feeds the next piece of text.
   *
   * @param chunk Any slice of the snapshot text, in order.
   * @throws {SnapshotError} As soon as a complete line is found to be invalid.
   */
  push(chunk: string): void {
    const text = this.#pending + chunk;
    let start = 0;
    // The checksum covers every complete line before the trailer; it is fed
    // once per chunk (not per line) from `hashFrom`.
    let hashFrom = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      if (this.#line(text.slice(start, nl), text, hashFrom, start)) hashFrom = nl + 1;
      start = nl + 1;
    }
    if (this.#state !== "done" && hashFrom < start) {
      this.#hash.update(text.slice(hashFrom, start), "utf8");
    }
    this.#pending = text.slice(start);
  }

  /**
   * Checks that the snapshot is complete and returns its groups.
   *
   * @returns The groups, in file order.
   * @throws {SnapshotError} If the text ended early or the checksum failed.
   */
  finish(): Group[] {
    if (this.#pending !== "") {
      if (this.#state === "header" && this.#lineNo === 0) {
        this.#line(this.#pending, "", 0, 0); // reports a bad header before "truncated"
      }
      throw new SnapshotError("truncated", "last line has no newline", this.#lineNo + 1);
    }
    if (this.#state === "header") throw new SnapshotError("truncated", "file is empty");
    if (this.#state === "groups") {
      throw new SnapshotError("truncated", `trailer missing after ${this.#groups.length} groups`);
    }
    return this.#groups;
  }

  /** Handles one line; true when it was the trailer (`text[hashFrom, start)` is then hashed first). */
  #line(line: string, text: string, hashFrom: number, start: number): boolean {
    const lineNo = ++this.#lineNo;
    switch (this.#state) {
      case "header":
        this.#header(line, lineNo);
        this.#state = "groups";
        return false;
      case "groups": {
        const value = parseLine(line, lineNo, "line");
        if (isObject(value) && "sha256" in value) {
          if (hashFrom < start) this.#hash.update(text.slice(hashFrom, start), "utf8");
          this.#trailer(value, lineNo);
          this.#state = "done";
          return true;
        }
        this.#group(value, lineNo);
        return false;
      }
      case "done":
        throw new SnapshotError("malformed", "data after the trailer", lineNo);
    }
  }

  #header(line: string, lineNo: number): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SnapshotError("header", "not a pushgateway-deno snapshot", lineNo);
    }
    if (!isObject(value) || value.format !== SNAPSHOT_FORMAT) {
      throw new SnapshotError("header", "not a pushgateway-deno snapshot", lineNo);
    }
    if (typeof value.version !== "number" || !SNAPSHOT_VERSIONS.includes(value.version)) {
      throw new SnapshotError(
        "version",
        `unsupported format version ${JSON.stringify(value.version)} (supported: ${
          SNAPSHOT_VERSIONS.join(", ")
        })`,
        lineNo,
      );
    }
    this.#version = value.version;
  }

  #group(value: unknown, lineNo: number): void {
    let group: Group | undefined;
    try {
      group = fastGroup(value, this.#pool, this.#version) ??
        decodeGroup(value, this.#version);
    } catch (err) {
      if (err instanceof FieldError) {
        const path = err.path === "" ? "group" : err.path.replace(/^\./, "");
        throw new SnapshotError("malformed", `malformed group: ${path}: ${err.message}`, lineNo);
      }
      throw err;
    }
    const key = groupingKey(group.labels);
    if (this.#keys.has(key)) {
      throw new SnapshotError("malformed", "duplicate group", lineNo);
    }
    this.#keys.add(key);
    this.#groups.push(group);
  }

  #trailer(value: Json, lineNo: number): void {
    const digest = this.#hash.digest("hex");
    if (typeof value.sha256 !== "string" || typeof value.groups !== "number") {
      throw new SnapshotError("malformed", "malformed trailer", lineNo);
    }
    if (value.sha256 !== digest) {
      throw new SnapshotError("checksum", "checksum mismatch", lineNo);
    }
    if (value.groups !== this.#groups.length) {
      throw new SnapshotError(
        "malformed",
        `trailer counts ${value.groups} groups, found ${this.#groups.length}`,
        lineNo,
      );
    }
  }
}

/**
 * Decodes a complete snapshot.
 *
 * @param text The whole file as text.
 * @returns The groups, in file order.
 * @throws {SnapshotError} With the reason when the snapshot is not valid.
 */
export function decodeSnapshot(text: string): Group[] {
  const decoder = new SnapshotDecoder();
  decoder.push(text);
  return decoder.finish();
}
