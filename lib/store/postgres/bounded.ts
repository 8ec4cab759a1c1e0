/**
 * Bounded waits: every database request of the shared store races a timer,
 * so that a write is answered (or refused) within a few seconds even when the
 * network or the server stalls; and the store loop's own wait.
 *
 * @module
 */

/** A wait that took longer than its bound. */
export class TimeoutError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Resolves or rejects like `promise`, or rejects with {@linkcode TimeoutError}
 * after `ms`. A late failure of `promise` is
 * not reported as unhandled.
 *
 * @example
 * ```ts
 * import { bounded, TimeoutError } from "@lib/store/postgres/bounded.ts";
 * const never = new Promise<void>(() => {});
 * await bounded(never, 10).catch((err) => console.log(err instanceof TimeoutError)); // true
 * ```
 */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new TimeoutError(`PostgreSQL did not answer within ${ms / 1000} s`));
    }, ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A wait that a wake-up ends early (the store loop's idle wait). */
export class Sleeper {
  #wake: (() => void) | undefined;

  /** Waits `ms` or until {@linkcode wake}; true when the time ran out. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(true);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(false);
      };
    });
  }

  /** Ends the current wait, if any. */
  wake(): void {
    this.#wake?.();
  }
}
