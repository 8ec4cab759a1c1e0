import { assertEquals } from "@std/assert";
import { DeadlineHeap } from "@lib/store/deadline_heap.ts";

interface E {
  due: number;
  id: number;
}

/** A small deterministic pseudo-random sequence. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648);
}

Deno.test("DeadlineHeap pops entries in order of due time, whatever the order pushed", () => {
  const rand = lcg(7);
  const heap = new DeadlineHeap<E>();
  const all: E[] = [];
  for (let id = 0; id < 2000; id++) {
    const e = { due: rand() % 500, id };
    all.push(e);
    heap.push(e);
    // Interleave pops with pushes.
    if (id % 3 === 0) all.splice(all.indexOf(heap.pop() as E), 1);
  }
  assertEquals(heap.size, all.length);
  const popped: number[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(e.due);
  assertEquals(popped, all.map((e) => e.due).sort((a, b) => a - b));
  assertEquals(heap.peek(), undefined);
});

Deno.test("DeadlineHeap.compact() keeps the live entries in heap order", () => {
  const rand = lcg(11);
  const heap = new DeadlineHeap<E>();
  for (let id = 0; id < 1000; id++) heap.push({ due: rand() % 100, id });
  heap.compact((e) => e.id % 2 === 0);
  assertEquals(heap.size, 500);
  let last = -Infinity;
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
    assertEquals(e.id % 2, 0);
    assertEquals(e.due >= last, true);
    last = e.due;
  }
  heap.push({ due: 3, id: 1 });
  heap.clear();
  assertEquals(heap.size, 0);
});
