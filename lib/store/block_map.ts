/**
 * A group's families by name as one sorted array of blocks: what a `Map` of a
 * few entries gives, at a fraction of its memory (a `Map`'s hash table costs
 * hundreds of bytes per group, more after deletions).
 *
 * @module
 */

import type { SeriesBlock } from "@lib/store/series_block.ts";

/** Families by name, iterated in name order. */
export class BlockMap implements ReadonlyMap<string, SeriesBlock> {
  #blocks: SeriesBlock[];

  /** A map of `blocks`, which must be sorted by name with distinct names (default: empty). */
  constructor(blocks: SeriesBlock[] = []) {
    this.#blocks = blocks;
  }

  /** The position of `name`, or `-(insertion point) - 1`. */
  #find(name: string): number {
    const blocks = this.#blocks;
    let lo = 0, hi = blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = blocks[mid]!.head.name;
      if (n === name) return mid;
      if (n < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Number of families. */
  get size(): number {
    return this.#blocks.length;
  }

  /** The family of this name. */
  get(name: string): SeriesBlock | undefined {
    const i = this.#find(name);
    return i >= 0 ? this.#blocks[i] : undefined;
  }

  /** Whether there is a family of this name. */
  has(name: string): boolean {
    return this.#find(name) >= 0;
  }

  /** Stores `block` under its name (`name` must be `block.head.name`), replacing any other. */
  set(name: string, block: SeriesBlock): this {
    const i = this.#find(name);
    if (i >= 0) {
      this.#blocks[i] = block;
    } else {
      // A copy of exactly the new length: arrays grown by splice keep spare capacity.
      const at = -i - 1;
      const next: SeriesBlock[] = new Array(this.#blocks.length + 1);
      for (let k = 0; k < at; k++) next[k] = this.#blocks[k]!;
      next[at] = block;
      for (let k = at; k < this.#blocks.length; k++) next[k + 1] = this.#blocks[k]!;
      this.#blocks = next;
    }
    return this;
  }

  /** Removes the family of this name; whether there was one. */
  delete(name: string): boolean {
    const i = this.#find(name);
    if (i < 0) return false;
    this.#blocks = this.#blocks.filter((_, k) => k !== i);
    return true;
  }

  /** A copy that later changes to this map do not affect. */
  copy(): BlockMap {
    return new BlockMap(this.#blocks.slice());
  }

  /**
   * The blocks in name order (not to be modified). A getter, so that deep
   * equality (`assertEquals`) compares two maps by their content.
   */
  get contents(): readonly SeriesBlock[] {
    return this.#blocks;
  }

  /** Calls `fn` for each family, in name order. */
  forEach(
    fn: (value: SeriesBlock, key: string, map: ReadonlyMap<string, SeriesBlock>) => void,
    thisArg?: unknown,
  ): void {
    for (const b of this.#blocks.slice()) fn.call(thisArg, b, b.head.name, this);
  }

  /** Name and family pairs, in name order. */
  *entries(): MapIterator<[string, SeriesBlock]> {
    for (const b of this.#blocks.slice()) yield [b.head.name, b];
  }

  /** The names, in order. */
  *keys(): MapIterator<string> {
    for (const b of this.#blocks.slice()) yield b.head.name;
  }

  /** The families, in name order. */
  *values(): MapIterator<SeriesBlock> {
    yield* this.#blocks.slice();
  }

  /** Same as {@linkcode entries}. */
  [Symbol.iterator](): MapIterator<[string, SeriesBlock]> {
    return this.entries();
  }
}
