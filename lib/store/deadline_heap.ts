/**
 * A binary min-heap of deadlines: the one structure expiry keeps, so the next
 * deadline is found in O(1) and a new one added in O(log n), with no scan of
 * the groups. Entries are never updated in place: a caller that reschedules
 * adds a new entry and treats the old one as stale (see {@linkcode DeadlineHeap.compact}).
 *
 * @module
 */

/** One scheduled deadline. */
export interface DeadlineEntry {
  /** When the entry is due, Unix epoch milliseconds (the heap's key). */
  due: number;
}

/** A min-heap of entries ordered by {@linkcode DeadlineEntry.due}. */
export class DeadlineHeap<E extends DeadlineEntry> {
  #items: E[] = [];

  /** Number of entries, stale ones included. */
  get size(): number {
    return this.#items.length;
  }

  /** The entry due first, without removing it. */
  peek(): E | undefined {
    return this.#items[0];
  }

  /** Adds an entry. */
  push(entry: E): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as E).due <= entry.due) break;
      items[i] = items[parent] as E;
      i = parent;
    }
    items[i] = entry;
  }

  /** Removes and returns the entry due first. */
  pop(): E | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /**
   * Keeps only the entries `live` accepts and restores the heap order in
   * O(n): how stale entries are dropped in bulk once they outnumber live ones.
   */
  compact(live: (entry: E) => boolean): void {
    this.#items = this.#items.filter(live);
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  /** Removes every entry. */
  clear(): void {
    this.#items = [];
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const n = items.length;
    const entry = items[start] as E;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (items[right] as E).due < (items[child] as E).due) child = right;
      if ((items[child] as E).due >= entry.due) break;
      items[i] = items[child] as E;
      i = child;
    }
    items[i] = entry;
  }
}
