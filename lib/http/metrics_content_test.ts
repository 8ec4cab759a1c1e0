/**
 * What a scrape serves: everything on the telemetry path by default; the
 * pushed groups alone there when the own metrics are kept apart (the shared
 * store); the gateway's own metrics alone at `/-/metrics`.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "@lib/http/app.ts";
import { buildLabels, SelfMetrics } from "@lib/http/self_metrics.ts";
import { TEST_BUILD_INFO, testAppContext } from "@lib/http/test_context.ts";
import { MetricType } from "@lib/model/metric.ts";

const PUSH = "# TYPE some_metric gauge\nsome_metric 1\n# TYPE process_open_fds gauge\n" +
  "process_open_fds 7\n";

async function scrape(app: ReturnType<typeof createApp>, path: string): Promise<string> {
  const res = await app(new Request(`http://gw${path}`));
  assertEquals(res.status, 200, path);
  return await res.text();
}

async function pushed(ownMetricsApart?: boolean) {
  const ctx = testAppContext(ownMetricsApart === undefined ? {} : { ownMetricsApart });
  const app = createApp(ctx);
  const res = await app(new Request("http://gw/metrics/job/j", { method: "PUT", body: PUSH }));
  assertEquals(res.status, 200);
  return app;
}

Deno.test("the telemetry path serves pushed groups and own metrics by default", async () => {
  const text = await scrape(await pushed(), "/metrics");
  assertStringIncludes(text, 'some_metric{instance="",job="j"} 1\n');
  assertStringIncludes(text, "pushgateway_build_info{");
  assertStringIncludes(text, 'process_open_fds{instance="",job="j"} 7\n');
});

Deno.test("with the own metrics apart, the telemetry path serves the pushed groups only", async () => {
  const text = await scrape(await pushed(true), "/metrics");
  assertStringIncludes(text, 'some_metric{instance="",job="j"} 1\n');
  assertStringIncludes(text, 'process_open_fds{instance="",job="j"} 7\n');
  assert(!text.includes("pushgateway_build_info"), text);
  assert(!text.includes("pushgateway_http_requests_total"), text);
  assert(!/^process_open_fds \d/m.test(text), "the gateway's own series is not there");
});

Deno.test("/-/metrics serves the gateway's own metrics alone, whatever the mode", async () => {
  for (const apart of [undefined, true]) {
    const text = await scrape(await pushed(apart), "/-/metrics");
    assertStringIncludes(text, "pushgateway_build_info{");
    assertStringIncludes(text, 'pushgateway_http_requests_total{code="200",handler="push"');
    assert(!text.includes("some_metric"), text);
    assert(!text.includes('job="j"'), "no pushed series merged into own families");
  }
});

Deno.test("/-/metrics negotiates protobuf and gzip like the telemetry path", async () => {
  const app = await pushed(true);
  const res = await app(
    new Request("http://gw/-/metrics", {
      headers: {
        accept:
          "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
        "accept-encoding": "gzip",
      },
    }),
  );
  assertEquals(res.status, 200);
  assertStringIncludes(res.headers.get("content-type") ?? "", "application/vnd.google.protobuf");
  assertEquals(res.headers.get("content-encoding"), "gzip");
  const bytes = new Uint8Array(
    await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  assertStringIncludes(new TextDecoder().decode(bytes), "pushgateway_build_info");
});

Deno.test("SelfMetrics collects the families of extra collectors", async () => {
  const extra = {
    name: "pushgateway_storage_connected",
    help: "h",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 } }],
  };
  const self = new SelfMetrics(buildLabels(TEST_BUILD_INFO), Date.now, [() => [extra]]);
  assert(self.collect().includes(extra));
  const app = createApp(testAppContext({ ownMetricsApart: true }, { self }));
  assertStringIncludes(await scrape(app, "/-/metrics"), "pushgateway_storage_connected 1\n");
});
