/**
 * Micro-benchmark: the cost of one checked push (parse, check, apply) as the
 * store grows from 0 to 10,000 groups, in-process through the HTTP app (no
 * socket). Push cost must stay flat: the consistency check is incremental.
 *
 *     deno run --allow-read --allow-env scripts/push_cost_bench.ts [--groups 0,1000,10000] [--pushes 3000]
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { createApp } from "@lib/http/app.ts";
import { testAppContext } from "@lib/http/test_context.ts";

/** A group body like the benchmark's: 5 families, 12 samples, about 1 kB of text. */
function groupBody(i: number): string {
  return `# HELP job_runs_total Runs of the job.
# TYPE job_runs_total counter
job_runs_total{result="ok"} ${i}
job_runs_total{result="failed"} 1
job_runs_total{result="skipped"} 2
# HELP job_last_success_seconds Last success.
# TYPE job_last_success_seconds gauge
job_last_success_seconds 1.7e9
# HELP job_duration_seconds Duration.
# TYPE job_duration_seconds histogram
job_duration_seconds_bucket{le="1"} 1
job_duration_seconds_bucket{le="10"} 2
job_duration_seconds_bucket{le="+Inf"} 3
job_duration_seconds_sum 12.5
job_duration_seconds_count 3
# HELP job_batch_size Batch size.
# TYPE job_batch_size summary
job_batch_size{quantile="0.5"} 10
job_batch_size_sum 100
job_batch_size_count 8
job_processed_bytes 123456
`;
}

const args = parseArgs(Deno.args, { string: ["groups", "pushes"] });
const sizes = (args.groups ?? "0,1000,10000").split(",").map(Number);
const pushes = Number(args.pushes ?? 3000);

const ctx = testAppContext({ maxBodyBytes: 64 << 20 });
const store = ctx.store;
const app = createApp(ctx);

async function put(group: number): Promise<void> {
  const res = await app(
    new Request(`http://bench/metrics/job/bench/instance/i${group}`, {
      method: "PUT",
      body: groupBody(group),
    }),
  );
  if (res.status !== 200) throw new Error(`push ${group}: ${res.status} ${await res.text()}`);
}

console.log("stored groups | pushes | µs per checked push (mean) | p50 | p99");
let filled = 0;
for (const size of sizes) {
  while (filled < size) await put(filled++);
  const times: number[] = [];
  for (let i = 0; i < pushes; i++) {
    const t0 = performance.now();
    await put(size + (i % 50)); // re-push into a small set of groups beside the stored ones
    times.push((performance.now() - t0) * 1000);
  }
  for (let i = 0; i < 50; i++) {
    await store.submit({ kind: "delete", labels: { job: "bench", instance: `i${size + i}` } });
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const pct = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  console.log(
    `${String(size).padStart(13)} | ${String(pushes).padStart(6)} | ${
      mean.toFixed(1).padStart(26)
    } | ${pct(0.5).toFixed(1)} | ${pct(0.99).toFixed(1)}`,
  );
}
