/**
 * Bounded polling for the tests that wait on a process (a log line, a file,
 * an answer that settles asynchronously).
 *
 * @module
 */

/** Options of {@linkcode poll}. */
export interface PollOptions {
  /** Maximum number of calls (default 100). */
  readonly attempts?: number;
  /** Pause between calls in ms (default 200). */
  readonly intervalMs?: number;
}

/**
 * Calls `fn` until it returns something other than `undefined` and returns
 * that, at most `attempts` times; a call that throws counts as "not yet".
 * Then throws, naming `what` and the last error seen (also its `cause`).
 */
export async function poll<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  options: PollOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 100;
  const intervalMs = options.intervalMs ?? 200;
  let last: unknown = "no result";
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (i + 1 < attempts) await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts: ${String(last)}`, {
    cause: last,
  });
}
