/**
 * A pool of equal immutable values shared by the stored series (label sets,
 * value shapes, family heads): one object per distinct key. Objects no
 * stored series uses any more are dropped by a sweep, which the store runs
 * when a pool has doubled since its last sweep. Nothing relies on two equal
 * values being one object: a pool only saves memory.
 *
 * @module
 */

/** What the store does with every pool: adopt restored values, sweep, clear. */
export interface ValuePool<T extends object> {
  /** Number of pooled values. */
  readonly size: number;
  /** Pools `value` when no equal one is pooled; returns the pooled one. */
  adopt(value: T): T;
  /** Whether the pool has grown enough since the last sweep to sweep again. */
  readonly shouldSweep: boolean;
  /** Keeps only the values `live` yields (repeats are fine). */
  sweep(live: Iterable<T>): void;
  /** Counts every pooled value as live (e.g. after a restore pooled exactly the stored ones). */
  markSwept(): void;
  /** Forgets every value. */
  clear(): void;
}

/** Whether a pool of `size` values last swept at `swept` should be swept again. */
function growthCallsForSweep(size: number, swept: number): boolean {
  return size > 256 && size > 2 * swept;
}

/** Pooled values of one kind, by a string key (for values few and small: heads, shapes). */
export class Pool<T extends object> implements ValuePool<T> {
  readonly #keyOf: (value: T) => string;
  #values = new Map<string, T>();
  #swept = 0;

  /** A pool keyed by `keyOf` (equal values must have equal keys, unequal ones unequal keys). */
  constructor(keyOf: (value: T) => string) {
    this.#keyOf = keyOf;
  }

  /** Number of pooled values. */
  get size(): number {
    return this.#values.size;
  }

  /**
   * The pooled value with this key, made by `make` and pooled when there is none.
   *
   * @param key The value's key.
   * @param make Makes the value (called at most once).
   * @returns The pooled value.
   */
  get(key: string, make: () => T): T {
    let value = this.#values.get(key);
    if (value === undefined) {
      value = make();
      this.#values.set(key, value);
    }
    return value;
  }

  /** Pools `value` when no equal one is pooled; returns the pooled one. */
  adopt(value: T): T {
    const key = this.#keyOf(value);
    const pooled = this.#values.get(key);
    if (pooled !== undefined) return pooled;
    this.#values.set(key, value);
    return value;
  }

  /** Whether the pool has grown enough since the last sweep to sweep again. */
  get shouldSweep(): boolean {
    return growthCallsForSweep(this.#values.size, this.#swept);
  }

  /**
   * Keeps only the values `live` yields (repeats are fine).
   *
   * @param live Every value stored series use.
   */
  sweep(live: Iterable<T>): void {
    const kept = new Map<string, T>();
    for (const value of live) {
      const key = this.#keyOf(value);
      if (!kept.has(key)) kept.set(key, this.#values.get(key) ?? value);
    }
    this.#values = kept;
    this.#swept = kept.size;
  }

  /** Counts every pooled value as live: the next sweep waits until the pool has doubled. */
  markSwept(): void {
    this.#swept = this.size;
  }

  /** Forgets every value. */
  clear(): void {
    this.#values.clear();
    this.#swept = 0;
  }
}

/**
 * Pooled values of one kind by a 31-bit hash, told apart by an equality test
 * on collision: for values whose string key would be as large as the value
 * (label sets, whose key would copy every name and value), so the pool holds
 * no key strings. `T` must not be an array (a hash's values are kept as one
 * value or an array of them).
 */
export class HashPool<T extends object> implements ValuePool<T> {
  readonly #hashOf: (value: T) => number;
  readonly #equal: (a: T, b: T) => boolean;
  #values = new Map<number, T | T[]>();
  #size = 0;
  #swept = 0;

  /**
   * @param hashOf A 31-bit integer hash (equal values hash equally).
   * @param equal Whether two values are equal.
   */
  constructor(hashOf: (value: T) => number, equal: (a: T, b: T) => boolean) {
    this.#hashOf = hashOf;
    this.#equal = equal;
  }

  /** Number of pooled values. */
  get size(): number {
    return this.#size;
  }

  /**
   * The pooled value of this hash that `matches`, else the one `make` makes, pooled.
   *
   * @param hash The value's {@linkcode HashPool} hash.
   * @param matches Whether a pooled value is the one wanted.
   * @param make Makes the value (called at most once).
   * @returns The pooled value.
   */
  find(hash: number, matches: (value: T) => boolean, make: () => T): T {
    const found = this.#values.get(hash);
    if (found !== undefined) {
      if (!Array.isArray(found)) {
        if (matches(found)) return found;
      } else {
        for (const v of found) if (matches(v)) return v;
      }
    }
    const value = make();
    if (found === undefined) this.#values.set(hash, value);
    else if (Array.isArray(found)) found.push(value);
    else this.#values.set(hash, [found, value]);
    this.#size++;
    return value;
  }

  /** Pools `value` when no equal one is pooled; returns the pooled one. */
  adopt(value: T): T {
    return this.find(this.#hashOf(value), (v) => this.#equal(v, value), () => value);
  }

  /** Whether the pool has grown enough since the last sweep to sweep again. */
  get shouldSweep(): boolean {
    return growthCallsForSweep(this.#size, this.#swept);
  }

  /** Keeps only the values `live` yields (repeats are fine); the pooled object of each. */
  sweep(live: Iterable<T>): void {
    const old = this.#values;
    this.#values = new Map();
    this.#size = 0;
    for (const value of live) {
      const hash = this.#hashOf(value);
      const matches = (v: T) => v === value || this.#equal(v, value);
      this.find(hash, matches, () => {
        const pooled = old.get(hash);
        if (pooled === undefined) return value;
        if (!Array.isArray(pooled)) return matches(pooled) ? pooled : value;
        return pooled.find(matches) ?? value;
      });
    }
    this.#swept = this.#size;
  }

  /** Counts every pooled value as live: the next sweep waits until the pool has doubled. */
  markSwept(): void {
    this.#swept = this.size;
  }

  /** Forgets every value. */
  clear(): void {
    this.#values.clear();
    this.#size = 0;
    this.#swept = 0;
  }
}
