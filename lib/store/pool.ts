/**
 * A pool of equal immutable values shared by the stored series (label sets,
 * value shapes, family heads): one object per distinct key. Objects no
 * stored series uses any more are dropped by a sweep, which the store runs
 * when a pool has doubled since its last sweep. Nothing relies on two equal
 * values being one object: a pool only saves memory.
 *
 * @module
 */

/** Pooled values of one kind, by key. */
export class Pool<T extends object> {
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
    return this.#values.size > 256 && this.#values.size > 2 * this.#swept;
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

  /** Forgets every value. */
  clear(): void {
    this.#values.clear();
    this.#swept = 0;
  }
}
