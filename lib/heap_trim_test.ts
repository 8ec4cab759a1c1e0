import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { FakeClock } from "../tests/helpers/fake_clock.ts";
import {
  heapSlack,
  type HeapSpace,
  HeapTrimmer,
  IDLE_MS,
  INTERVAL_FACTOR,
  MIN_INTERVAL_MS,
  QUIET_MS,
  SLACK_BYTES,
  YOUNG_BASE_BYTES,
} from "@lib/heap_trim.ts";

const MIB = 1024 * 1024;

function spaces(youngMiB: number, oldUnusedMiB = 0): HeapSpace[] {
  return [
    { space_name: "new_space", space_size: youngMiB * MIB, space_used_size: 0.5 * MIB },
    { space_name: "old_space", space_size: (20 + oldUnusedMiB) * MIB, space_used_size: 20 * MIB },
  ];
}

/** A trimmer on a fake clock and heap; `compactions` lists each compaction's reason. */
function setup(heap: () => HeapSpace[], compactMs: number | "no gc" = 100) {
  const clock = new FakeClock();
  const compactions: (string | undefined)[] = [];
  let compacts = 0;
  const trimmer = new HeapTrimmer({
    clock,
    heapSpaces: () => Promise.resolve(heap()),
    compact: () => {
      compacts++;
      return compactMs === "no gc" ? undefined : compactMs;
    },
    onCompacted: (reason) => compactions.push(reason),
  });
  return { clock, trimmer, compactions, compacts: () => compacts };
}

Deno.test("heapSlack counts the young generation above its base and what other spaces leave unused", () => {
  assertEquals(YOUNG_BASE_BYTES, 8 * MIB, "--min-semi-space-size=4: two semi-spaces of 4 MiB");
  assertEquals(heapSlack(spaces(8)), 0);
  assertEquals(heapSlack(spaces(27)), 19 * MIB);
  assertEquals(heapSlack(spaces(8, 5)), 5 * MIB);
  assertEquals(heapSlack(spaces(0.25)), 0, "a young generation below its base is no slack");
});

Deno.test("HeapTrimmer compacts a heap with much unused capacity once the gateway is idle", async () => {
  const { clock, trimmer, compactions } = setup(() => spaces(27));
  trimmer.activity();
  await clock.advance(IDLE_MS - 1);
  assertEquals(compactions, [], "not before the idle period");
  await clock.advance(1);
  assertEquals(compactions, [undefined]);
  await clock.advance(60_000);
  assertEquals(compactions.length, 1, "nothing more without activity");
});

Deno.test("HeapTrimmer leaves a heap with little unused capacity alone", async () => {
  const small = (YOUNG_BASE_BYTES + SLACK_BYTES) / MIB - 0.5; // slack just below the threshold
  const { clock, trimmer, compactions } = setup(() => spaces(small));
  trimmer.activity();
  await clock.advance(10_000);
  assertEquals(compactions, []);
  assertEquals(clock.pending, 0, "no timer left behind");
});

Deno.test("HeapTrimmer waits for the idle period after the last activity and for requests in flight", async () => {
  const { clock, trimmer, compactions } = setup(() => spaces(27));
  trimmer.activity();
  await clock.advance(IDLE_MS - 100);
  trimmer.activity(); // a write
  await clock.advance(IDLE_MS - 100);
  assertEquals(compactions, [], "the write restarted the idle period");
  trimmer.requestStarted();
  await clock.advance(5_000);
  assertEquals(compactions, [], "a request in flight is not idle");
  trimmer.requestEnded();
  await clock.advance(IDLE_MS - 1);
  assertEquals(compactions, []);
  await clock.advance(1);
  assertEquals(compactions, [undefined], "idle from the end of the request");
});

Deno.test("HeapTrimmer compacts when asked at the next quiet moment, whatever the slack", async () => {
  const { clock, trimmer, compactions } = setup(() => spaces(1));
  trimmer.activity(); // a check of the slack is pending (in IDLE_MS)
  trimmer.compactWhenQuiet("heap compacted after the restore");
  trimmer.requestStarted(); // a readiness probe
  await clock.advance(1_000);
  trimmer.requestEnded();
  assertEquals(compactions, []);
  await clock.advance(QUIET_MS - 1);
  assertEquals(compactions, []);
  await clock.advance(1);
  assertEquals(compactions, ["heap compacted after the restore"], "after QUIET_MS, not IDLE_MS");
  trimmer.activity();
  await clock.advance(10_000);
  assertEquals(compactions.length, 1, "asked once, compacted once");
});

Deno.test("HeapTrimmer spaces compactions by 20 times the last one's duration, 2 s at least", async () => {
  const cases: [number, number, string | undefined][] = [
    [250, INTERVAL_FACTOR * 250, undefined], // the next compaction of the slack
    [10, MIN_INTERVAL_MS, "heap compacted after loading the shared state"], // one asked for
  ];
  for (const [ms, gap, reason] of cases) {
    const { clock, trimmer, compactions } = setup(() => spaces(27), ms);
    trimmer.activity();
    await clock.advance(IDLE_MS);
    assertEquals(compactions.length, 1);
    const first = clock.now();
    if (reason === undefined) trimmer.activity();
    else trimmer.compactWhenQuiet(reason);
    await clock.advance(gap - 1);
    assertEquals(compactions.length, 1, `not within ${gap} ms of a ${ms} ms compaction`);
    await clock.advance(1);
    assertEquals(compactions, [undefined, reason]);
    assertEquals(clock.now() - first, gap);
  }
});

Deno.test("HeapTrimmer gives up for good when the heap cannot be compacted (no exposed gc)", async () => {
  const { clock, trimmer, compactions, compacts } = setup(() => spaces(27), "no gc");
  trimmer.activity();
  await clock.advance(IDLE_MS);
  assertEquals(compacts(), 1);
  trimmer.compactWhenQuiet("heap compacted after the restore");
  await clock.advance(60_000);
  assertEquals(compacts(), 1, "not asked again");
  assertEquals(compactions, [], "nothing reported");
  assertEquals(clock.pending, 0);
});

Deno.test("HeapTrimmer.stop() cancels the pending check for good", async () => {
  const { clock, trimmer, compacts } = setup(() => spaces(27));
  trimmer.activity();
  trimmer.stop();
  assertEquals(clock.pending, 0);
  trimmer.activity();
  await clock.advance(60_000);
  assertEquals(compacts(), 0);
});

Deno.test("in a real V8 heap the trimmer gives the grown young generation back", async () => {
  // A child process with V8's gc exposed (as the gateway runs) grows its young generation by
  // allocating what survives, drops it, and lets the trimmer on the real clock see it quiet.
  const out = await runChild(
    `import v8 from "node:v8";
import { heapSlack, HeapTrimmer, SLACK_BYTES } from ${
      JSON.stringify(new URL("./heap_trim.ts", import.meta.url).href)
    };
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")!.space_size;
let kept: unknown[] = [];
// Until the heap holds four times the slack worth a compaction (what survives grows the young generation).
for (let round = 0; round < 100 && heapSlack(v8.getHeapSpaceStatistics()) < 4 * SLACK_BYTES; round++) {
  for (let i = 0; i < 20_000; i++) kept.push({ round, i, label: "x" + i });
  await new Promise((r) => setTimeout(r, 0));
}
const before = young();
const slack = heapSlack(v8.getHeapSpaceStatistics());
kept = [];
const reasons: string[] = [];
const trimmer = new HeapTrimmer({ onCompacted: (reason) => reasons.push(reason ?? "slack") });
trimmer.activity();
for (let waited = 0; reasons.length === 0 && waited < 10_000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
}
console.log(JSON.stringify({ before, slack, after: young(), reasons, kept: kept.length }));
`,
    "--expose-gc",
  );
  const r = JSON.parse(out.trim().split("\n").at(-1)!) as {
    before: number;
    slack: number;
    after: number;
    reasons: string[];
  };
  assert(r.slack >= 4 * SLACK_BYTES, `the heap grew: ${JSON.stringify(r)}`);
  assertEquals(r.reasons, ["slack"], "one compaction, for the slack");
  // The child runs without --min-semi-space-size: V8 shrinks the young generation below 1 MiB.
  assert(r.after <= 2 * MIB, `and it was given back: ${JSON.stringify(r)}`);
});

/** Runs `code` in a child Deno with `v8Flags`; its stdout and stderr together. */
async function runChild(code: string, v8Flags: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "child.ts");
    await Deno.writeTextFile(script, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--quiet",
        `--v8-flags=${v8Flags}`,
        `--config=${new URL("../deno.json", import.meta.url).pathname}`,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert(out.success, text.slice(-2000));
    return text;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("keepAlive() holds its objects through a compaction until the slot's next call", async () => {
  const out = await runChild(
    `import { keepAlive } from ${JSON.stringify(new URL("./heap_trim.ts", import.meta.url).href)};
import { compactHeap } from ${JSON.stringify(new URL("./heap.ts", import.meta.url).href)};
const ref = (() => { const o = { big: new Array(1000).fill(1) }; keepAlive("slot", [o]); return new WeakRef(o); })();
compactHeap();
const kept = ref.deref() !== undefined;
keepAlive("slot", []);
await new Promise((r) => setTimeout(r, 0)); // WeakRef targets stay alive for the current job
compactHeap();
console.log(JSON.stringify({ kept, released: ref.deref() === undefined }));
`,
    "--expose-gc",
  );
  assertEquals(JSON.parse(out.trim().split("\n").at(-1)!), { kept: true, released: true });
});

Deno.test("a compaction between pushes keeps the text parser's optimised code (its last parser is kept)", async () => {
  // V8 throws away optimised code whose embedded maps a full collection frees ("embedded weak
  // objects cleared"); text_parse.ts keeps its last small parser so that TextParser's map survives.
  const out = await runChild(
    `import { parseText } from ${
      JSON.stringify(new URL("./expfmt/text_parse.ts", import.meta.url).href)
    };
import { compactHeap } from ${JSON.stringify(new URL("./heap.ts", import.meta.url).href)};
const body = (i: number) => new TextEncoder().encode(
  "# TYPE jobs_total counter\\njobs_total{outcome=\\"ok\\"} " + i + "\\n# TYPE up gauge\\nup 1\\n",
);
for (let i = 0; i < 20_000; i++) parseText(body(i));
console.log("COMPACTING");
compactHeap();
for (let i = 0; i < 1_000; i++) parseText(body(i));
console.log("DONE");
`,
    "--expose-gc,--trace-opt,--trace-deopt",
  );
  const [before, after] = out.split("COMPACTING\n");
  assert(after !== undefined && after.includes("DONE"), out.slice(-2000));
  // The parser's methods were optimised before the compaction (else the check below proves nothing).
  assert(
    /completed (optimizing|compiling).*(readingValue|startOfLine|tokName)/.test(before!),
    before!.slice(-3000),
  );
  const cleared = after.split("\n").filter((l) =>
    l.includes("embedded weak objects cleared") &&
    /SharedFunctionInfo (readingValue|startOfLine|tokName|readingLabels|setOrCreateCurrentMF)>/
      .test(l)
  );
  assertEquals(cleared, [], "no parser method lost its code to the compaction");
});
