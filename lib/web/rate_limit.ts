/**
 * Token bucket rate limiter with the semantics of Go's `rate.NewLimiter(rate.Every(interval),
 * burst)`: the bucket starts full, gains one token per interval, holds at most `burst` tokens.
 *
 * @module
 */

import { errorResponse } from "@lib/http/errors.ts";

/** A token bucket reading time from an injected clock. */
export class TokenBucket {
  readonly #intervalMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /**
   * Creates a full bucket.
   *
   * @param intervalMs Milliseconds per token (must be positive).
   * @param burst Capacity; 0 refuses every request, as Go's limiter does.
   * @param now Clock in milliseconds.
   */
  constructor(intervalMs: number, burst: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /**
   * Takes one token when available.
   *
   * @returns `true` when the request may proceed.
   */
  allow(): boolean {
    const t = this.#now();
    if (t > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (t - this.#last) / this.#intervalMs);
      this.#last = t;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }
}

/**
 * The response upstream sends when the limit is hit.
 *
 * @returns A 429 `Too Many Requests` plain-text response.
 */
export function tooManyRequests(): Response {
  return errorResponse(429, "Too Many Requests");
}
