/**
 * The budget of push-body bytes held at the same time across all requests
 * (`--push.max-concurrent-body-size`): raw bytes as they are read and decoded
 * bytes as they are decompressed count against it until the push is answered.
 * A push that would pass it is refused at once with 503 and `Retry-After`,
 * never queued, so memory stays bounded however many large pushes arrive
 * together.
 *
 * @module
 */

import { formatBytesSize } from "@lib/gocompat/bytes_size.ts";
import { HttpError } from "@lib/http/errors.ts";

/** Seconds a client refused for the budget is asked to wait. */
export const BUDGET_RETRY_AFTER_SECONDS = 1;

/** The shared budget; 0 bytes means no budget. */
export class BodyBudget {
  readonly #max: number;
  #used = 0;

  /** Creates a budget of `maxBytes` (0: unlimited). */
  constructor(maxBytes: number) {
    this.#max = maxBytes > 0 ? maxBytes : Infinity;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Bytes still free. */
  get available(): number {
    return this.#max - this.#used;
  }

  /** Opens a lease for one request; release it when the request is answered. */
  lease(): BodyLease {
    return new BodyLease(this);
  }

  /** Takes `bytes` if they fit; false (and nothing taken) otherwise. */
  tryTake(bytes: number): boolean {
    if (this.#used + bytes > this.#max) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives `bytes` back. */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }

  /** The 503 for a push that does not fit. */
  refusal(): HttpError {
    return new HttpError(
      503,
      "too many push bodies are being read at the same time: this one would pass " +
        `--push.max-concurrent-body-size=${formatBytesSize(this.#max)}; retry later`,
      { headers: { "retry-after": String(BUDGET_RETRY_AFTER_SECONDS) } },
    );
  }
}

/** One request's share of a {@linkcode BodyBudget}. */
export class BodyLease {
  readonly #budget: BodyBudget;
  #held = 0;

  /** A lease on `budget` holding nothing yet. */
  constructor(budget: BodyBudget) {
    this.#budget = budget;
  }

  /** Bytes this lease holds. */
  get held(): number {
    return this.#held;
  }

  /** Bytes the budget still has free. */
  get available(): number {
    return this.#budget.available;
  }

  /** Holds `bytes` more; throws the 503 {@linkcode HttpError} when they do not fit. */
  grow(bytes: number): void {
    if (!this.#budget.tryTake(bytes)) throw this.#budget.refusal();
    this.#held += bytes;
  }

  /** The 503 for this budget (for callers that found out themselves). */
  refusal(): HttpError {
    return this.#budget.refusal();
  }

  /** Gives everything back (idempotent). */
  release(): void {
    this.#budget.give(this.#held);
    this.#held = 0;
  }
}
