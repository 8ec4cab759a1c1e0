import { assert, assertEquals } from "@std/assert";
import { compactHeap } from "@lib/heap.ts";

const global = globalThis as { gc?: unknown };

Deno.test("compactHeap() does nothing without an exposed gc", () => {
  const saved = global.gc;
  delete global.gc;
  try {
    assertEquals(compactHeap(), undefined);
  } finally {
    if (saved !== undefined) global.gc = saved;
  }
});

Deno.test("compactHeap() asks V8's gc for a last-resort major collection and times it", () => {
  const saved = global.gc;
  const calls: unknown[] = [];
  global.gc = (options: unknown) => calls.push(options);
  try {
    const ms = compactHeap();
    assert(ms !== undefined && ms >= 0, String(ms));
    assertEquals(calls, [{ type: "major", flavor: "last-resort" }]);
  } finally {
    if (saved === undefined) delete global.gc;
    else global.gc = saved;
  }
});
