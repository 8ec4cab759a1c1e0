import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "@lib/http/app.ts";
import type { AppConfig } from "@lib/http/context.ts";
import { ttlFromHeader } from "@lib/http/push.ts";
import { testAppContext } from "@lib/http/test_context.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import { OWN_FAMILIES } from "@lib/http/self_metrics.ts";
import { PUSH_EXPIRY_TIME_METRIC } from "@lib/store/types.ts";

const NOW = 1_700_000_000_000;

function setup(defaultTtlMs = 0, config: Partial<AppConfig> = {}) {
  const store = new InMemoryStore({ own: OWN_FAMILIES, defaultTtlMs });
  const ctx = testAppContext(config, { store, now: () => NOW });
  const app = createApp(ctx);
  const send = (method: string, path: string, body?: string, headers: HeadersInit = {}) =>
    app(new Request(`http://gw${path}`, { method, body, headers }));
  return { ctx, store, send };
}

Deno.test("ttlFromHeader() reads the flags' duration syntax and refuses bad values with 400", () => {
  const h = (v?: string) => new Headers(v === undefined ? {} : { "Pushgateway-TTL": v });
  assertEquals(ttlFromHeader(h()), undefined);
  assertEquals(ttlFromHeader(h("90s")), 90_000);
  assertEquals(ttlFromHeader(h("1d")), 86_400_000);
  assertEquals(ttlFromHeader(h("1w")), 604_800_000);
  assertEquals(ttlFromHeader(h("0")), 0);
  assertEquals(ttlFromHeader(h("1.5h")), 5_400_000);
  for (
    const [value, why] of [
      ["-1m", "negative duration"],
      ["abc", 'time: invalid duration "abc"'],
      ["5", 'time: missing unit in duration "5"'],
      ["1y", 'time: unknown unit "y" in duration "1y"'],
      ["", 'time: invalid duration ""'],
    ]
  ) {
    try {
      ttlFromHeader(h(value));
      throw new Error(`accepted ${value}`);
    } catch (err) {
      assertEquals((err as { status?: number }).status, 400, value);
      assertEquals((err as Error).message, `invalid Pushgateway-TTL header "${value}": ${why}`);
    }
  }
});

Deno.test("a push with Pushgateway-TTL gets a deadline and push_expiry_time_seconds everywhere", async () => {
  const { send } = setup();
  const res = await send("PUT", "/metrics/job/batch", "m 1\n", { "Pushgateway-TTL": "10m" });
  assertEquals(res.status, 200);
  const metrics = await (await send("GET", "/metrics")).text();
  assertStringIncludes(
    metrics,
    "# HELP push_expiry_time_seconds Unix time when this group will be removed from the " +
      "Pushgateway, from its time to live.\n# TYPE push_expiry_time_seconds gauge\n" +
      'push_expiry_time_seconds{instance="",job="batch"} 1.7000006e+09\n',
  );
  const api = await (await send("GET", "/api/v1/metrics")).json();
  const family = api.data[0][PUSH_EXPIRY_TIME_METRIC];
  assertEquals(family.type, "GAUGE");
  assertEquals(family.metrics, [{
    labels: { instance: "", job: "batch" },
    value: "1.7000006e+09", // Go's fmt.Sprint of the float, as for push_time_seconds
  }]);
  assertEquals(family.time_stamp, new Date(NOW).toISOString().replace(".000Z", "Z"));
});

Deno.test("without any TTL nothing new appears: no push_expiry_time_seconds anywhere", async () => {
  const { send } = setup();
  assertEquals((await send("PUT", "/metrics/job/batch", "m 1\n")).status, 200);
  const metrics = await (await send("GET", "/metrics")).text();
  assert(!metrics.includes(PUSH_EXPIRY_TIME_METRIC));
  const api = await (await send("GET", "/api/v1/metrics")).text();
  assert(!api.includes(PUSH_EXPIRY_TIME_METRIC));
});

Deno.test("a bad Pushgateway-TTL is refused with 400 and changes nothing; DELETE ignores it", async () => {
  const { store, send } = setup(60_000);
  const bad = await send("PUT", "/metrics/job/batch", "m 1\n", { "Pushgateway-TTL": "-5s" });
  assertEquals(bad.status, 400);
  assertEquals(await bad.text(), 'invalid Pushgateway-TTL header "-5s": negative duration\n');
  assertEquals(store.view.size, 0, "not even a failure time");
  assertEquals((await send("PUT", "/metrics/job/batch", "m 1\n")).status, 200);
  const before = store.view.group({ job: "batch" });
  const again = await send("POST", "/metrics/job/batch", "m 2\n", { "Pushgateway-TTL": "soon" });
  assertEquals(again.status, 400);
  assertEquals(store.view.group({ job: "batch" }), before, "the group is untouched");
  const del = await send("DELETE", "/metrics/job/batch", undefined, { "Pushgateway-TTL": "bad" });
  assertEquals(del.status, 202);
  assertEquals(store.view.size, 0);
});

Deno.test("the default TTL applies without the header; a header of 0 means never", async () => {
  const { store, send } = setup(60_000);
  await send("PUT", "/metrics/job/a", "m 1\n");
  await send("PUT", "/metrics/job/b", "m 1\n", { "pushgateway-ttl": "0" });
  assertEquals(store.view.group({ job: "a" })?.ttl, {
    fromHeader: false,
    deadlineMs: NOW + 60_000,
  });
  assertEquals(store.view.group({ job: "b" })?.ttl, { fromHeader: true, deadlineMs: undefined });
  const metrics = await (await send("GET", "/metrics")).text();
  assertStringIncludes(metrics, `push_expiry_time_seconds{instance="",job="a"} `);
  assert(!metrics.includes(`push_expiry_time_seconds{instance="",job="b"}`));
});

Deno.test("a pushed push_expiry_time_seconds family is dropped like push_time_seconds", async () => {
  const { send } = setup();
  const body = "# TYPE push_expiry_time_seconds counter\npush_expiry_time_seconds 5\nm 1\n";
  assertEquals((await send("PUT", "/metrics/job/a", body)).status, 200);
  const metrics = await (await send("GET", "/metrics")).text();
  assert(!metrics.includes(PUSH_EXPIRY_TIME_METRIC));
  assertStringIncludes(metrics, 'm{instance="",job="a"} 1\n');
});
