/**
 * Writing snapshots (format in `snapshot.ts`, version 3): one group at a time
 * (`snapshot_v3.ts` makes its lines), so a large store streams to disk, with
 * the running SHA-256 for the trailer.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import type { Group } from "@lib/store/types.ts";
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from "@lib/store/snapshot.ts";
import { encodeGroupLine } from "@lib/store/snapshot_json.ts";
import { V3Writer } from "@lib/store/snapshot_v3.ts";

const utf8 = new TextEncoder();

/**
 * Encodes the header line.
 *
 * @param version The format version (default: the one this module writes).
 * @returns The header line with its trailing newline.
 */
export function encodeHeaderLine(version: number = SNAPSHOT_VERSION): string {
  return JSON.stringify({ format: SNAPSHOT_FORMAT, version }) + "\n";
}

/**
 * Encodes the trailer line.
 *
 * @param groups The number of group lines written.
 * @param sha256 The hex SHA-256 of everything before the trailer.
 * @returns The trailer line with its trailing newline.
 */
export function encodeTrailerLine(groups: number, sha256: string): string {
  return JSON.stringify({ groups, sha256 }) + "\n";
}

/** A running SHA-256 of the snapshot's lines, fed as they are produced. */
export interface LineHash {
  /** Adds a line (or several), hashed as UTF-8. */
  update(text: string): void;
  /** The digest of everything added, in lowercase hex. */
  hex(): string;
}

/**
 * SHA-256 in JavaScript (`@noble/hashes`): no `node:` module to load, which
 * would start Deno's Node.js layer (~30 ms) at every start, but ~10× slower
 * than `node:crypto`'s, which the file writer uses (`persistence.ts`).
 */
export function jsLineHash(): LineHash {
  const hash = sha256.create();
  return {
    update: (text) => void hash.update(utf8.encode(text)),
    hex: () => hash.digest().toHex(),
  };
}

/**
 * Produces a snapshot piece by piece while keeping the running checksum:
 * call {@linkcode SnapshotEncoder.header} once, then
 * {@linkcode SnapshotEncoder.group} per group, then
 * {@linkcode SnapshotEncoder.trailer} once, and write the returned strings
 * in order.
 */
export class SnapshotEncoder {
  readonly #hash: LineHash;
  #groups = 0;
  readonly #writer = new V3Writer();

  /** An encoder checksumming with `hash` (default: {@linkcode jsLineHash}). */
  constructor(hash: LineHash = jsLineHash()) {
    this.#hash = hash;
  }

  /**
   * Returns the header line.
   *
   * @returns The header line with its newline.
   */
  header(): string {
    return this.#add(encodeHeaderLine());
  }

  /**
   * Returns the lines of one group: a table line when it uses new table
   * entries, then its group line.
   *
   * @param group The group.
   * @returns The lines, each with its newline.
   */
  group(group: Group): string {
    this.#groups++;
    return this.#add(this.#writer.group(group));
  }

  /**
   * Returns the trailer; the encoder must not be used afterwards.
   *
   * @returns The trailer line with its newline.
   */
  trailer(): string {
    return encodeTrailerLine(this.#groups, this.#hash.hex());
  }

  /** The number of groups encoded so far. */
  get groups(): number {
    return this.#groups;
  }

  #add(line: string): string {
    this.#hash.update(line);
    return line;
  }
}

/**
 * Encodes a whole snapshot into one string (for tests and small stores; the
 * file writer streams with {@linkcode SnapshotEncoder} instead).
 *
 * @param groups The groups.
 * @returns The complete snapshot text.
 */
export function encodeSnapshot(groups: Iterable<Group>): string {
  const encoder = new SnapshotEncoder();
  let text = encoder.header();
  for (const group of groups) text += encoder.group(group);
  return text + encoder.trailer();
}

/**
 * Encodes a whole snapshot in format version 2 (for tests and tools that need
 * a file of the earlier format; the gateway writes version 3).
 *
 * @param groups The groups.
 * @returns The complete snapshot text.
 */
export function encodeSnapshotV2(groups: Iterable<Group>): string {
  let text = encodeHeaderLine(2);
  let count = 0;
  for (const group of groups) {
    text += encodeGroupLine(group);
    count++;
  }
  return text + encodeTrailerLine(count, sha256(utf8.encode(text)).toHex());
}
