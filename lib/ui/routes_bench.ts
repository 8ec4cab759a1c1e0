/**
 * Benchmarks of the Metrics page with 10,000 groups (each with three pushed
 * families of five series plus the two push-time gauges): the first page,
 * a late page, and a filtered page. Run with `deno bench lib/ui/routes_bench.ts`.
 *
 * @module
 */

import { parseText } from "@lib/expfmt/text_parse.ts";
import { createApp } from "@lib/http/app.ts";
import { OWN_FAMILIES } from "@lib/http/self_metrics.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { createUiRoutes } from "@lib/ui/routes.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";

const GROUPS = 10_000;

function body(i: number): string {
  let text = "# HELP jobs_done Jobs done.\n# TYPE jobs_done counter\n";
  for (let s = 0; s < 5; s++) text += `jobs_done{shard="${s}"} ${i * 10 + s}\n`;
  text += "# TYPE duration_seconds summary\n";
  for (let s = 0; s < 5; s++) {
    text += `duration_seconds{shard="${s}",quantile="0.5"} 0.${s}\n`;
    text += `duration_seconds_sum{shard="${s}"} ${s}\nduration_seconds_count{shard="${s}"} 3\n`;
  }
  text += "# TYPE last_ok gauge\n";
  for (let s = 0; s < 5; s++) text += `last_ok{shard="${s}"} 1.7e9\n`;
  return text;
}

const store = new InMemoryStore({ own: OWN_FAMILIES });
for (let i = 0; i < GROUPS; i++) {
  store.submit({
    kind: "push",
    labels: { job: `job${i % 100}`, instance: `host-${i}` },
    families: parseText(body(i)),
    replace: true,
    timeMs: Date.now(),
  });
}
const ctx = testAppContext({ enableAdminApi: true }, { store });
const app = createApp(ctx, createUiRoutes(ctx));

async function page(path: string): Promise<number> {
  const res = await app(new Request(`http://gw${path}`));
  return (await res.text()).length;
}

Deno.bench("Metrics page 1 of 10k groups", async () => {
  await page("/");
});

Deno.bench("Metrics page 150 of 10k groups", async () => {
  await page("/?page=150");
});

Deno.bench("Metrics page filtered (?q=host-99) of 10k groups", async () => {
  await page("/?q=host-99");
});

Deno.bench("Metrics page 1 of 10k groups after a write (group list re-sorted)", async () => {
  store.submit({
    kind: "push",
    labels: { job: "bench", instance: "x" },
    families: parseText("last_ok 1\n"),
    replace: true,
    timeMs: Date.now(),
  });
  await page("/");
});
