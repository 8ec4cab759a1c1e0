/**
 * The in-memory store: one process, the state in memory, every write applied
 * at once in the order it is submitted. Persistence to a snapshot file is a
 * subscriber of its writes (see {@link ./persistence.ts}), wired in `main.ts`.
 *
 * @module
 */

import { type StateSettings, StoreState } from "@lib/store/state.ts";
import {
  type AppliedWrite,
  type MetricStore,
  type OwnFamily,
  type ProbeResult,
  StoreUnavailableError,
  type StoreView,
  type WriteListener,
  type WriteRequest,
  type WriteResultOf,
} from "@lib/store/store.ts";
import type { Group } from "@lib/store/types.ts";

/** Options of {@linkcode InMemoryStore}: the own families and the state's settings. */
export interface InMemoryStoreOptions extends StateSettings {
  /** The gateway's own families, which pushed families must agree with. */
  own?: ReadonlyMap<string, OwnFamily>;
}

/**
 * A {@linkcode MetricStore} held in this process's memory. A submitted write
 * is applied and announced before `submit` returns (its promise is already
 * settled), so a write is visible to the next read at once.
 */
export class InMemoryStore implements MetricStore {
  readonly #state: StoreState;
  readonly #listeners = new Set<WriteListener>();
  #seq = 0;
  #closed = false;

  /** Creates an empty store. */
  constructor(options: InMemoryStoreOptions = {}) {
    this.#state = new StoreState(options.own, options);
  }

  /** The read side. */
  get view(): StoreView {
    return this.#state;
  }

  /** Applies `write` now; the returned promise is already settled. */
  submit<W extends WriteRequest>(write: W): Promise<WriteResultOf<W>> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError("the store is shut down"));
    const seq = ++this.#seq;
    const result = this.#state.apply(write, seq);
    this.#announce({ seq, request: write, result });
    return Promise.resolve(result);
  }

  /** See {@linkcode MetricStore.subscribe}. */
  subscribe(listener: WriteListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Always healthy: writes are applied in the caller's turn, nothing can queue up. */
  healthy(): ProbeResult {
    return undefined;
  }

  /** Always ready once constructed (a snapshot is restored before serving). */
  ready(): ProbeResult {
    return undefined;
  }

  /** Refuses later writes. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /**
   * Replaces the content with restored groups, write sequence 0, each with its
   * TTL (start-up only; not announced).
   */
  restore(groups: Iterable<Group>): void {
    this.#state.restore(
      [...groups].map((g) => ({
        labels: g.labels,
        families: g.families,
        ...(g.ttl === undefined ? {} : { ttl: g.ttl }),
      })),
    );
  }

  /** A point-in-time copy of every group, for the persister. */
  snapshot(): Group[] {
    return this.#state.snapshot();
  }

  #announce(write: AppliedWrite): void {
    for (const listener of this.#listeners) listener(write);
  }
}
