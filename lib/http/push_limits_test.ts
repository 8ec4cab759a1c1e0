import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { gzipSync } from "node:zlib";
import { createApp } from "@lib/http/app.ts";
import type { AppConfig } from "@lib/http/context.ts";
import { buildLabels, OWN_FAMILIES, SelfMetrics, withOwnFamilies } from "@lib/http/self_metrics.ts";
import { TEST_BUILD_INFO, testAppContext } from "@lib/http/test_context.ts";
import type { StoreView } from "@lib/store/store.ts";
import { MetricType } from "@lib/model/metric.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { InMemoryStore, type InMemoryStoreOptions } from "@lib/store/memory_store.ts";
import { STORE_OWN_FAMILIES, storeOwnMetrics } from "@lib/store/own_metrics.ts";
import { PUSH_FAILURE_TIME_METRIC, pushGaugeValue } from "@lib/store/types.ts";

const NOW = 1_700_000_000_000;
const PROTO = PROTO_DELIMITED;

function setup(
  config: Partial<AppConfig> = {},
  store: InMemoryStoreOptions = {},
  self?: SelfMetrics,
) {
  const s = new InMemoryStore({ own: OWN_FAMILIES, ...store });
  const ctx = testAppContext(config, { store: s, now: () => NOW, ...(self ? { self } : {}) });
  const app = createApp(ctx);
  const send = (
    method: string,
    path: string,
    body?: string | Uint8Array | ReadableStream<Uint8Array>,
    headers: HeadersInit = {},
  ) => {
    const init = body instanceof Uint8Array ? new Uint8Array(body) : body;
    return app(new Request(`http://gw${path}`, { method, body: init as BodyInit, headers }));
  };
  return { ctx, store: s, send };
}

function lines(n: number, line: (i: number) => string): string {
  let out = "";
  for (let i = 0; i < n; i++) out += line(i) + "\n";
  return out;
}

function failureTime(store: InMemoryStore, job: string): number | undefined {
  const group = store.view.group({ job });
  return group && pushGaugeValue(group, PUSH_FAILURE_TIME_METRIC);
}

Deno.test("a push past --push.max-series-per-push gets 413 naming the limit, and its failure time", async () => {
  const { store, send } = setup({ maxSeriesPerPush: 10 });
  assertEquals(
    (await send("PUT", "/metrics/job/ok", lines(10, (i) => `m{i="${i}"} 1`))).status,
    200,
  );
  for (const disableConsistencyCheck of [false, true]) {
    const { store, send } = setup({ maxSeriesPerPush: 10, disableConsistencyCheck });
    const res = await send("PUT", "/metrics/job/big", lines(11, (i) => `m{i="${i}"} 1`));
    assertEquals(res.status, 413);
    assertEquals(
      await res.text(),
      "too many series in one push: more than 10 (--push.max-series-per-push=10)\n",
    );
    assertEquals(failureTime(store, "big"), NOW / 1000);
    assertEquals(store.view.group({ job: "big" })?.families.has("m"), false);
  }
  assert(store.view.group({ job: "ok" }) !== undefined);
});

Deno.test("--push.max-series-per-push=0 sets no per-push limit, in text, protobuf and OpenMetrics", async () => {
  const { send } = setup({ maxSeriesPerPush: 0 });
  const text = lines(2000, (i) => `m{i="${i}"} 1`);
  const res = await send("PUT", "/metrics/job/text", text);
  assertEquals(res.status, 200, await res.text());
  assertEquals(
    (await send("PUT", "/metrics/job/om", `# TYPE o gauge\n${text.replaceAll("m{", "o{")}# EOF\n`, {
      "content-type": "application/openmetrics-text; version=1.0.0",
    })).status,
    200,
  );
  const family = {
    name: "p",
    type: MetricType.GAUGE,
    metric: Array.from({ length: 2000 }, (_, i) => ({
      label: [{ name: "i", value: String(i) }],
      gauge: { value: i },
    })),
  };
  const pb = await send("PUT", "/metrics/job/pb", encodeDelimited([family]), {
    "content-type": PROTO,
  });
  assertEquals(pb.status, 200);
});

Deno.test("labels and values are bounded too: 16 per allowed series", async () => {
  const { send } = setup({ maxSeriesPerPush: 2 });
  const hist = "# TYPE h histogram\n" + lines(33, (i) => `h_bucket{le="${i}"} ${i}`);
  const res = await send("PUT", "/metrics/job/h", hist);
  assertEquals(res.status, 413);
  assertEquals(
    await res.text(),
    "too many labels and values in one push: more than 32 " +
      "(16 per series allowed by --push.max-series-per-push=2)\n",
  );
  const fits = "# TYPE h histogram\n" + lines(32, (i) => `h_bucket{le="${i}"} ${i}`);
  assertEquals((await send("PUT", "/metrics/job/h", fits)).status, 200);
});

Deno.test("a protobuf push past the limit is refused before it is decoded", async () => {
  const { store, send } = setup({ maxSeriesPerPush: 100 });
  const family = {
    name: "m",
    type: MetricType.GAUGE,
    metric: Array.from({ length: 101 }, (_, i) => ({
      label: [{ name: "i", value: String(i) }],
      gauge: { value: i },
    })),
  };
  const res = await send("PUT", "/metrics/job/pb", encodeDelimited([family]), {
    "content-type": PROTO,
  });
  assertEquals(res.status, 413);
  assertStringIncludes(await res.text(), "more than 100 (--push.max-series-per-push=100)");
  assertEquals(failureTime(store, "pb"), NOW / 1000);
});

Deno.test("with the check on, repeated samples are refused with the gatherer's text at the first repeat", async () => {
  const { send } = setup({ maxSeriesPerPush: 1000 });
  const body = "a 1\n".repeat(200_000); // 800 kB of one sample: stops at the second line
  const res = await send("PUT", "/metrics/job/j", body);
  assertEquals(res.status, 400);
  assertEquals(
    await res.text(),
    "pushed metrics are invalid or inconsistent with existing metrics: collected metric " +
      '"a" { label:<name:"instance" value:"" > label:<name:"job" value:"j" > ' +
      "untyped:<value:1 > } was collected before with the same name and label values\n",
  );
  // With the check off upstream would store them all; here the series limit stops them.
  const off = setup({ maxSeriesPerPush: 1000, disableConsistencyCheck: true });
  const res2 = await off.send("PUT", "/metrics/job/j", body);
  assertEquals(res2.status, 413);
  await res2.body?.cancel();
});

Deno.test("a push past --storage.max-series gets 507 with the count, its failure recorded", async () => {
  const { store, send } = setup({}, { maxSeries: 12 });
  assertEquals(
    (await send("PUT", "/metrics/job/a", lines(10, (i) => `m{i="${i}"} 1`))).status,
    200,
  );
  assertEquals(store.view.seriesCount, 12);
  for (const disableConsistencyCheck of [false, true]) {
    const { send } = setup({ disableConsistencyCheck }, { maxSeries: 12 });
    await send("PUT", "/metrics/job/a", lines(10, (i) => `m{i="${i}"} 1`));
    const res = await send("POST", "/metrics/job/a", "other 1\n");
    assertEquals(res.status, 507);
    assertEquals(
      await res.text(),
      "storing this push would raise the number of series to 13, over the limit of 12 " +
        "(--storage.max-series)\n",
    );
  }
  await send("POST", "/metrics/job/a", "other 1\n");
  assertEquals(failureTime(store, "a"), NOW / 1000);
  // Replacing the group with fewer series is fine.
  assertEquals((await send("PUT", "/metrics/job/a", "m 1\n")).status, 200);
});

Deno.test("/metrics shows the stored series count, both limits and the expired groups", async () => {
  let view = () => undefined as unknown as StoreView;
  const self = new SelfMetrics(buildLabels(TEST_BUILD_INFO), Date.now, [
    storeOwnMetrics({ view: () => view(), expired: () => 3, maxSeries: 0, maxSeriesPerPush: 500 }),
  ]);
  const { store, send } = setup(
    { maxSeriesPerPush: 500 },
    { own: withOwnFamilies(STORE_OWN_FAMILIES) },
    self,
  );
  view = () => store.view;
  await send("PUT", "/metrics/job/a", "x 1\ny 2\n");
  const text = await (await send("GET", "/metrics")).text();
  for (
    const line of [
      "pushgateway_stored_series 4",
      "pushgateway_push_max_series 500",
      "pushgateway_storage_max_series 0",
      "# TYPE pushgateway_groups_expired_total counter\npushgateway_groups_expired_total 3",
    ]
  ) assertStringIncludes(text, line);
});

/** A request body the test feeds chunk by chunk (no Content-Length). */
function heldBody(): { body: ReadableStream<Uint8Array>; send(s: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    body,
    send: (s) => controller.enqueue(new TextEncoder().encode(s)),
    end: () => controller.close(),
  };
}

Deno.test("past --push.max-concurrent-body-size a push gets 503 with Retry-After at once", async () => {
  const { store, send } = setup({ maxConcurrentBodyBytes: 64 });
  // One push holds 40 bytes of the budget while its body is still arriving.
  const held = heldBody();
  const first = send("PUT", "/metrics/job/first", held.body);
  held.send("a 1\n".repeat(10));
  await new Promise((r) => setTimeout(r, 0));
  const second = await send("PUT", "/metrics/job/second", "b 1\n".repeat(10));
  assertEquals(second.status, 503);
  assertEquals(second.headers.get("retry-after"), "1");
  assertEquals(
    await second.text(),
    "too many push bodies are being read at the same time: this one would pass " +
      "--push.max-concurrent-body-size=64B; retry later\n",
  );
  assertEquals(store.view.group({ job: "second" }), undefined, "nothing recorded");
  held.end();
  assertEquals((await first).status, 400, "repeated samples, but read and answered");
  // The budget is free again.
  assertEquals((await send("PUT", "/metrics/job/second", "b 1\nc 2\n".repeat(8))).status, 400);
  assertEquals((await send("PUT", "/metrics/job/second", "b 1\nc 2\n")).status, 200);
});

Deno.test("the budget counts decompressed bytes: 503 past it, 413 past the body cap", async () => {
  const { send } = setup({ maxConcurrentBodyBytes: 1000, maxBodyBytes: 4000 });
  const body = lines(100, (i) => `m{i="${i}"} 1`); // about 1.5 kB decoded
  const gz = { "content-encoding": "gzip" };
  const res = await send("PUT", "/metrics/job/z", gzipSync(body), gz);
  assertEquals(res.status, 503);
  await res.body?.cancel();
  const small = setup({ maxConcurrentBodyBytes: 100_000, maxBodyBytes: 1000 });
  const res2 = await small.send("PUT", "/metrics/job/z", gzipSync(body), gz);
  assertEquals(res2.status, 413);
  await res2.body?.cancel();
  const fine = setup({ maxConcurrentBodyBytes: 100_000, maxBodyBytes: 4000 });
  assertEquals((await fine.send("PUT", "/metrics/job/z", gzipSync(body), gz)).status, 200);
});
