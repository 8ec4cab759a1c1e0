/**
 * Reading snapshots (format in `snapshot.ts`): {@linkcode SnapshotDecoder}
 * checks header, checksum and trailer, and hands each group line to the
 * decoder of its version: format 3's {@linkcode V3Reader}, or for formats 1
 * and 2 the fast path (`snapshot_fast.ts`) and then the validating decoder
 * (`snapshot_json.ts`), which names the field path of any error.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import type { Group } from "@lib/store/types.ts";
import { groupingKey } from "@lib/store/types.ts";
import {
  isObject,
  type Json,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSIONS,
  SnapshotError,
} from "@lib/store/snapshot.ts";
import { fastGroup } from "@lib/store/snapshot_fast.ts";
import { decodeGroup, FieldError } from "@lib/store/snapshot_json.ts";
import { V3Reader } from "@lib/store/snapshot_v3.ts";

function parseLine(line: string, lineNo: number, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new SnapshotError("malformed", `${what} is not valid JSON`, lineNo);
  }
}

const NEWLINE = 0x0a;
const utf8 = new TextEncoder();
const lenientUtf8 = new TextDecoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes UTF-8. A fatal `TextDecoder` is about 30× slower than a lenient one
 * here, so the strict check only runs when the lenient result holds U+FFFD (a
 * replaced bad sequence, or a genuine U+FFFD in the data).
 *
 * @throws {SnapshotError} When the bytes are not valid UTF-8.
 */
function decodeUtf8(bytes: Uint8Array): string {
  const text = lenientUtf8.decode(bytes);
  if (text.includes("\uFFFD")) {
    try {
      strictUtf8.decode(bytes);
    } catch {
      throw new SnapshotError("malformed", "not valid UTF-8");
    }
  }
  return text;
}

/**
 * Decodes a snapshot incrementally: feed text with
 * {@linkcode SnapshotDecoder.push} in any chunking, or bytes of whole lines
 * with {@linkcode SnapshotDecoder.pushLines}, then call
 * {@linkcode SnapshotDecoder.finish}. Groups are only handed out once the
 * trailer's checksum and count have been verified.
 */
export class SnapshotDecoder {
  #pending = "";
  #lineNo = 0;
  /**
   * The running checksum, or undefined when the caller checks it
   * ({@linkcode SnapshotDecoder.finishWithDigest}). SHA-256 in JavaScript:
   * `node:crypto`'s would start Deno's Node.js layer (~30 ms) at every start.
   */
  readonly #hash: ReturnType<typeof sha256.create> | undefined;
  /** Bytes fed with {@linkcode SnapshotDecoder.pushLines} so far. */
  #fed = 0;
  /** Where the trailer line starts, in bytes fed (-1 until it is read). */
  #trailerAt = -1;
  /** The trailer and its line, kept for the caller's digest (no running checksum). */
  #deferred: { readonly value: Json; readonly lineNo: number } | undefined;
  #groups: Group[] = [];
  #keys = new Set<string>();
  #state: "header" | "groups" | "done" = "header";
  #version = 0;
  /** Family names and helps seen so far, so equal strings are stored once (formats 1 and 2). */
  #pool = new Map<string, string>();
  #v3: V3Reader | undefined;

  /**
   * A decoder that checks the checksum as it goes; with `{ hash: false }`,
   * one that leaves it to the caller, which holds the bytes fed with
   * {@linkcode SnapshotDecoder.pushLines} and hashes the first
   * {@linkcode SnapshotDecoder.hashedBytes} of them (see
   * {@linkcode decodeSnapshotFile}).
   */
  constructor(options: { readonly hash?: boolean } = {}) {
    this.#hash = options.hash === false ? undefined : sha256.create();
  }

  /**
   * Feeds the next piece of text.
   *
   * @param chunk Any slice of the snapshot text, in order.
   * @throws {SnapshotError} As soon as a complete line is found to be invalid.
   */
  push(chunk: string): void {
    const hash = this.#hash;
    if (hash === undefined) throw new Error("push() needs the running checksum: use pushLines()");
    const text = this.#pending + chunk;
    let start = 0;
    // The checksum covers every complete line before the trailer; it is fed
    // once per chunk (not per line) from `hashFrom`.
    let hashFrom = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const trailer = this.#line(text.slice(start, nl));
      if (trailer !== undefined) {
        if (hashFrom < start) hash.update(utf8.encode(text.slice(hashFrom, start)));
        this.#trailer(trailer);
        hashFrom = nl + 1;
      }
      start = nl + 1;
    }
    if (this.#state !== "done" && hashFrom < start) {
      hash.update(utf8.encode(text.slice(hashFrom, start)));
    }
    this.#pending = text.slice(start);
  }

  /**
   * Feeds whole lines as UTF-8 bytes (what a file reader has): the checksum
   * is computed over the bytes themselves, without encoding text again.
   *
   * @param bytes Lines, each ending with `\n`, following what was fed before (only the last
   * piece of a file may end without one: {@linkcode SnapshotDecoder.finish} reports it).
   * @throws {SnapshotError} As soon as a line is found to be invalid, or the bytes not UTF-8.
   */
  pushLines(bytes: Uint8Array): void {
    const text = decodeUtf8(bytes);
    let start = 0, byteStart = 0, hashFrom = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const byteEnd = bytes.indexOf(NEWLINE, byteStart);
      const trailer = this.#line(text.slice(start, nl));
      if (trailer !== undefined) {
        if (hashFrom < byteStart) this.#hash?.update(bytes.subarray(hashFrom, byteStart));
        this.#trailerAt = this.#fed + byteStart;
        this.#trailer(trailer);
        hashFrom = byteEnd + 1;
      }
      start = nl + 1;
      byteStart = byteEnd + 1;
    }
    if (start !== text.length) this.#pending = text.slice(start);
    if (this.#state !== "done" && hashFrom < byteStart) {
      this.#hash?.update(bytes.subarray(hashFrom, byteStart));
    }
    this.#fed += bytes.length;
  }

  /**
   * The bytes the checksum covers (those fed before the trailer line), once
   * the trailer was read; -1 before.
   */
  get hashedBytes(): number {
    return this.#trailerAt;
  }

  /**
   * Checks that the snapshot is complete and returns its groups.
   *
   * @returns The groups, in file order.
   * @throws {SnapshotError} If the text ended early or the checksum failed.
   */
  finish(): Group[] {
    if (this.#hash === undefined) throw new Error("no running checksum: use finishWithDigest()");
    this.#complete();
    return this.#groups;
  }

  /**
   * Like {@linkcode SnapshotDecoder.finish}, for a decoder made with
   * `{ hash: false }`: checks the trailer against `sha256`, the caller's
   * digest of the first {@linkcode SnapshotDecoder.hashedBytes} bytes fed.
   *
   * @param sha256 The digest, in lowercase hex.
   * @returns The groups, in file order.
   * @throws {SnapshotError} If the text ended early or the checksum failed.
   */
  finishWithDigest(sha256: string): Group[] {
    this.#complete();
    const trailer = this.#deferred;
    if (trailer === undefined) {
      throw new Error("finishWithDigest() needs a decoder made with { hash: false }");
    }
    this.#checkTrailer(trailer.value, trailer.lineNo, sha256);
    return this.#groups;
  }

  /** Throws unless the input ended right after a trailer. */
  #complete(): void {
    if (this.#pending !== "") {
      if (this.#state === "header" && this.#lineNo === 0) {
        this.#line(this.#pending); // reports a bad header before "truncated"
      }
      throw new SnapshotError("truncated", "last line has no newline", this.#lineNo + 1);
    }
    if (this.#state === "header") throw new SnapshotError("truncated", "file is empty");
    if (this.#state === "groups") {
      throw new SnapshotError("truncated", `trailer missing after ${this.#groups.length} groups`);
    }
  }

  /** Handles one line; returns the trailer's JSON when it is the trailer (checked by the caller once hashed). */
  #line(line: string): Json | undefined {
    const lineNo = ++this.#lineNo;
    switch (this.#state) {
      case "header":
        this.#header(line, lineNo);
        this.#state = "groups";
        return undefined;
      case "groups": {
        const value = parseLine(line, lineNo, "line");
        if (isObject(value) && "sha256" in value) {
          this.#state = "done";
          return value;
        }
        this.#group(value, lineNo);
        return undefined;
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
    if (this.#version >= 3) this.#v3 = new V3Reader();
  }

  #group(value: unknown, lineNo: number): void {
    let group: Group | undefined;
    try {
      group = this.#v3 !== undefined
        ? this.#v3.line(value)
        : fastGroup(value, this.#pool, this.#version) ?? decodeGroup(value, this.#version);
    } catch (err) {
      if (err instanceof FieldError) {
        const path = err.path === "" ? "line" : err.path.replace(/^\./, "");
        throw new SnapshotError("malformed", `malformed group: ${path}: ${err.message}`, lineNo);
      }
      throw err;
    }
    if (group === undefined) return; // a table line (format 3)
    const key = groupingKey(group.labels);
    if (this.#keys.has(key)) {
      throw new SnapshotError("malformed", "duplicate group", lineNo);
    }
    this.#keys.add(key);
    this.#groups.push(group);
  }

  #trailer(value: Json): void {
    const lineNo = this.#lineNo;
    if (typeof value.sha256 !== "string" || typeof value.groups !== "number") {
      throw new SnapshotError("malformed", "malformed trailer", lineNo);
    }
    if (this.#hash === undefined) this.#deferred = { value, lineNo };
    else this.#checkTrailer(value, lineNo, this.#hash.digest().toHex());
  }

  #checkTrailer(value: Json, lineNo: number, digest: string): void {
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

/** Bytes handed to the decoder at a time by {@linkcode decodeSnapshotFile} (whole lines). */
const DECODE_CHUNK_BYTES = 4 << 20;

/**
 * Decodes a whole snapshot file held in memory. Its checksum is computed by
 * WebCrypto on another thread while this one decodes the lines (the trailer
 * is the file's last line, so what it covers is known before decoding), and
 * the lines are decoded a few MiB at a time (one string per piece, never one
 * of the whole file).
 *
 * @param bytes The file's content.
 * @param chunkBytes About how many bytes are decoded at a time (whole lines).
 * @returns The groups, in file order.
 * @throws {SnapshotError} With the reason when the snapshot is not valid.
 */
export async function decodeSnapshotFile(
  bytes: Uint8Array<ArrayBuffer>,
  chunkBytes: number = DECODE_CHUNK_BYTES,
): Promise<Group[]> {
  // The last line (the file ends with its newline) is the trailer when the file is sound.
  const lastLine = bytes.lastIndexOf(NEWLINE, bytes.length - 2) + 1;
  const digest = (length: number) =>
    crypto.subtle.digest("SHA-256", bytes.subarray(0, length)).then((d) =>
      new Uint8Array(d).toHex()
    );
  const early = digest(lastLine);
  early.catch(() => {}); // decoding may fail first
  const decoder = new SnapshotDecoder({ hash: false });
  for (let start = 0; start < bytes.length;) {
    const newline = start + chunkBytes < bytes.length
      ? bytes.indexOf(NEWLINE, start + chunkBytes)
      : -1;
    const end = newline === -1 ? bytes.length : newline + 1;
    decoder.pushLines(bytes.subarray(start, end));
    start = end;
  }
  const covered = decoder.hashedBytes;
  return decoder.finishWithDigest(
    covered === lastLine ? await early : covered < 0 ? "" : await digest(covered),
  );
}
