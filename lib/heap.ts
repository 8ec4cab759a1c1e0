/**
 * Gives the heap's unused capacity back to the operating system.
 *
 * A restore allocates fast and keeps nearly everything, so V8 grows the young
 * generation to its maximum and keeps it: measured at 10,000 groups, 24 MiB
 * of young generation (and the restore's dead old-space pages) stayed
 * committed for a store of ~30 MiB, and V8's own memory reducer did not
 * return them while the gateway idled. One "last resort" collection (the one
 * V8 runs under memory pressure: full collections until nothing more is
 * freed, then the young generation shrunk and free pages released) returns
 * them, ~35 MiB of resident memory for ~0.1–0.2 s once.
 *
 * It needs V8's `gc` function, exposed by `--v8-flags=--expose-gc` (set in
 * `deno task start` and in the release's compile flags); without it nothing
 * happens. When it runs is the trimmer's choice (`heap_trim.ts`):
 * at a quiet moment after a restore or a load, and after bursts of writes.
 *
 * @module
 */

/** The options V8's exposed `gc` takes (its `gc` extension). */
interface GcOptions {
  type: "major" | "minor";
  flavor?: "regular" | "last-resort";
}

type GcFunction = (options?: GcOptions) => void;

/** V8's `gc` function when `--expose-gc` exposed it, else `undefined`. */
function exposedGc(): GcFunction | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? gc as GcFunction : undefined;
}

/**
 * Collects everything that can be collected and releases the free capacity,
 * synchronously (the event loop waits).
 *
 * @returns How long it took (ms), or `undefined` when `gc` is not exposed.
 */
export function compactHeap(): number | undefined {
  const gc = exposedGc();
  if (gc === undefined) return undefined;
  const started = performance.now();
  gc({ type: "major", flavor: "last-resort" });
  return performance.now() - started;
}
