/**
 * Interop with a real Prometheus server (Debian's `/usr/bin/prometheus`): it
 * scrapes our gateway on 127.0.0.1 with `honor_labels: true`, and the test
 * reads what it ingested back through its HTTP API (`/api/v1/query`,
 * `/api/v1/targets`; with `--web.enable-openmetrics` and Prometheus'
 * exemplar storage also `/api/v1/query_exemplars` and `/api/v1/metadata`).
 *
 * Without Prometheus the test is skipped with a message, except under
 * `CI=true`, where it fails (`.ci/run` installs the `prometheus` package).
 */

import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { encodeBase64Url } from "@std/encoding/base64url";
import { request } from "@lib/http/test_client.ts";
import { hasProgram } from "./helpers/requirements.ts";
import { testWithGateway } from "./helpers/gateway.ts";
import { poll } from "./helpers/poll.ts";
import { fillGroups, groupBody, groupPath, LINES_PER_GROUP } from "./helpers/fill.ts";
import {
  PROMETHEUS_BIN,
  type PromSample,
  type RunningPrometheus,
  startPrometheus,
} from "./helpers/interop.ts";

const PROMETHEUS = {
  available: hasProgram(PROMETHEUS_BIN),
  reason: `${PROMETHEUS_BIN} not found (Debian package "prometheus")`,
};

/** A batch job's metrics, one family of each classic type, as a client would push them. */
const BODY = `# HELP batch_records_total Records processed.
# TYPE batch_records_total counter
batch_records_total{stage="load"} 1027
batch_records_total{stage="parse"} 3
# HELP batch_last_success_seconds Last success.
# TYPE batch_last_success_seconds gauge
batch_last_success_seconds 1.7e+09
# HELP batch_duration_seconds Duration of a run.
# TYPE batch_duration_seconds histogram
batch_duration_seconds_bucket{le="1"} 2
batch_duration_seconds_bucket{le="2"} 6
batch_duration_seconds_bucket{le="4"} 8
batch_duration_seconds_bucket{le="+Inf"} 8
batch_duration_seconds_sum 14.5
batch_duration_seconds_count 8
# HELP batch_latency_seconds Latency.
# TYPE batch_latency_seconds summary
batch_latency_seconds{quantile="0.5"} 0.25
batch_latency_seconds{quantile="0.99"} 1.5
batch_latency_seconds_sum 30
batch_latency_seconds_count 100
`;

/** `/var/spool/batch` travels base64-encoded; `empty` is an empty grouping label. */
const GROUP_PATH = `/metrics/job/batch/env/prod/dir@base64/${
  encodeBase64Url(new TextEncoder().encode("/var/spool/batch"))
}/empty@base64/=`;

/** The labels every pushed series should carry in Prometheus. */
const GROUP_LABELS = { job: "batch", env: "prod", dir: "/var/spool/batch" };

/** Polls `expr` until `accept` likes the result; returns that result. */
function waitQuery(
  prom: RunningPrometheus,
  expr: string,
  accept: (result: PromSample[]) => boolean,
): Promise<PromSample[]> {
  return poll(`query ${expr}`, async () => {
    const result = await prom.query(expr);
    if (accept(result)) return result;
    throw new Error(`last result ${JSON.stringify(result)}`);
  }, { attempts: 150, intervalMs: 200 });
}

/** Asserts that Prometheus' pushgateway target is up and no scrape of it failed since start. */
async function assertNoFailedScrape(prom: RunningPrometheus): Promise<void> {
  const target = (await prom.targets())[0];
  assertEquals([target?.health, target?.lastError], ["up", ""]);
  assertEquals(
    await prom.query(
      'sum_over_time(up{job="pushgateway"}[1h]) < count_over_time(up{job="pushgateway"}[1h])',
    ),
    [],
    "no failed scrape since start",
  );
}

/** The only sample of a result, with its labels checked against `labels`. */
function single(result: PromSample[], labels: Record<string, string>): PromSample {
  assertEquals(result.length, 1, JSON.stringify(result));
  const sample = result[0] as PromSample;
  for (const [name, value] of Object.entries(labels)) {
    assertEquals(sample.metric[name], value, `label ${name} of ${JSON.stringify(sample.metric)}`);
  }
  return sample;
}

testWithGateway(
  "Prometheus scrapes pushed counters, gauges, histograms and summaries; DELETE makes them stale",
  [],
  async (gw) => {
    let prom: RunningPrometheus | undefined;
    let status: Deno.CommandStatus | undefined;
    try {
      prom = await startPrometheus(`127.0.0.1:${gw.port}`);
      assertEquals((await request(gw, "PUT", GROUP_PATH, BODY)).status, 200);

      // The scrape itself is healthy.
      const up = await waitQuery(prom, 'up{job="pushgateway"}', (r) => r.length === 1);
      assertEquals(single(up, { instance: `127.0.0.1:${gw.port}` }).value, "1");
      const targets = await prom.targets();
      assertEquals(targets.length, 1);
      assertEquals(targets[0]?.scrapeUrl, `${gw.url}/metrics`);

      // honor_labels keeps the pushed job and grouping labels. The pushed `instance=""`
      // also wins over the target's instance, and an empty value is no label at all to
      // Prometheus: the series end up without `instance` (and without `empty`).
      const counters = await waitQuery(prom, "batch_records_total", (r) => r.length === 2);
      const byStage = Object.fromEntries(counters.map((s) => [s.metric.stage, s]));
      for (const stage of ["load", "parse"]) {
        const s = byStage[stage];
        assert(s !== undefined, `stage ${stage} in ${JSON.stringify(counters)}`);
        assertEquals(s.metric, {
          __name__: "batch_records_total",
          ...GROUP_LABELS,
          stage,
        });
      }
      assertEquals([byStage.load?.value, byStage.parse?.value], ["1027", "3"]);

      const gauge = await prom.query('batch_last_success_seconds{job="batch"}');
      assertEquals(single(gauge, GROUP_LABELS).value, "1700000000");

      const buckets = await prom.query('batch_duration_seconds_bucket{job="batch"}');
      assertEquals(
        Object.fromEntries(buckets.map((s) => [s.metric.le, s.value])),
        { "1": "2", "2": "6", "4": "8", "+Inf": "8" },
      );
      // 8 observations: the 4th lies in (1, 2] holding 4 of them, 2 below: 1 + (4-2)/4 = 1.5.
      const median = await prom.query(
        'histogram_quantile(0.5, batch_duration_seconds_bucket{job="batch"})',
      );
      assertAlmostEquals(Number(single(median, GROUP_LABELS).value), 1.5, 1e-9);
      const mean = await prom.query(
        'batch_duration_seconds_sum{job="batch"} / batch_duration_seconds_count{job="batch"}',
      );
      assertAlmostEquals(Number(single(mean, GROUP_LABELS).value), 14.5 / 8, 1e-9);

      const quantiles = await prom.query('batch_latency_seconds{job="batch"}');
      assertEquals(
        Object.fromEntries(quantiles.map((s) => [s.metric.quantile, s.value])),
        { "0.5": "0.25", "0.99": "1.5" },
      );
      const count = await prom.query('batch_latency_seconds_count{job="batch"}');
      assertEquals(single(count, GROUP_LABELS).value, "100");

      // The gateway's own per-group metrics arrive too, with a plausible push time.
      const pushTime = await prom.query('push_time_seconds{job="batch"}');
      const pushed = Number(single(pushTime, GROUP_LABELS).value);
      assert(pushed > 1.6e9 && pushed < 1e11, `push_time_seconds ${pushed}`);
      const failure = await prom.query('push_failure_time_seconds{job="batch"}');
      assertEquals(single(failure, GROUP_LABELS).value, "0");

      // A POST to the same group replaces only the families it carries.
      const post = await request(
        gw,
        "POST",
        GROUP_PATH,
        "# TYPE batch_last_success_seconds gauge\nbatch_last_success_seconds 1.8e+09\n",
      );
      assertEquals(post.status, 200);
      await waitQuery(
        prom,
        'batch_last_success_seconds{job="batch"}',
        (r) => r.length === 1 && r[0]?.value === "1800000000",
      );
      assertEquals((await prom.query('batch_records_total{job="batch"}')).length, 2);

      // DELETE: every series of the group goes stale at the next scrape.
      assertEquals((await request(gw, "DELETE", GROUP_PATH)).status, 202);
      await waitQuery(prom, '{job="batch"}', (r) => r.length === 0);
      for (
        const expr of [
          "batch_records_total",
          "batch_duration_seconds_bucket",
          "batch_latency_seconds",
          'push_time_seconds{job="batch"}',
        ]
      ) {
        assertEquals(await prom.query(expr), [], expr);
      }

      // Scraping stayed healthy throughout, including after the deletion.
      const after = await waitQuery(
        prom,
        'up{job="pushgateway"} == 1 and scrape_samples_scraped{job="pushgateway"} > 0',
        (r) => r.length === 1,
      );
      assertEquals(after[0]?.value, "1");
      await assertNoFailedScrape(prom);
    } finally {
      status = await prom?.stop();
    }
    assertEquals(status?.code, 0, `prometheus did not stop cleanly:\n${prom.logs.join("\n")}`);
  },
  { needs: PROMETHEUS },
);

/** What went through a {@linkcode startTap}: scrape requests and their responses' encodings. */
interface TapCounts {
  requests: number;
  requestsAcceptingGzip: number;
  responses: number;
  gzipResponses: number;
  /** Responses with an OpenMetrics 1.0.0 Content-Type. */
  openMetricsResponses: number;
}

/**
 * A TCP pass-through on a loopback port to `port`, counting the scrape
 * requests (and how many accept gzip) and the responses (and how many are
 * gzip-encoded) by the header lines going through it.
 */
function startTap(port: number): { port: number; counts: TapCounts; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const counts: TapCounts = {
    requests: 0,
    requestsAcceptingGzip: 0,
    responses: 0,
    gzipResponses: 0,
    openMetricsResponses: 0,
  };
  const latin1 = new TextDecoder("latin1");
  const count = (re: RegExp, text: string) => text.match(re)?.length ?? 0;
  const tap = (inspect: (text: string) => void) =>
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        inspect(latin1.decode(chunk));
        controller.enqueue(chunk);
      },
    });
  const open: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      open.push(client);
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
      open.push(upstream);
      client.readable.pipeThrough(tap((t) => {
        counts.requests += count(/^GET \/metrics HTTP\/1\.1\r$/gm, t);
        counts.requestsAcceptingGzip += count(/^accept-encoding: .*\bgzip\b.*\r$/gim, t);
      })).pipeTo(upstream.writable).catch(() => {});
      upstream.readable.pipeThrough(tap((t) => {
        counts.responses += count(/^HTTP\/1\.1 200 OK\r$/gm, t);
        counts.gzipResponses += count(/^content-encoding: gzip\r$/gim, t);
        counts.openMetricsResponses += count(
          /^content-type: application\/openmetrics-text; version=1\.0\.0; .*\r$/gim,
          t,
        );
      })).pipeTo(client.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    counts,
    close() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

testWithGateway(
  "Prometheus scrapes 2,000 groups gzip-compressed and sees a one-group push",
  [],
  async (gw) => {
    const groups = 2000;
    let prom: RunningPrometheus | undefined;
    let tap: ReturnType<typeof startTap> | undefined;
    let status: Deno.CommandStatus | undefined;
    try {
      await fillGroups(gw.url, groups);
      tap = startTap(gw.port);
      prom = await startPrometheus(`127.0.0.1:${tap.port}`, { scrapeInterval: "2s" });

      // Every series of every group arrived, with its values.
      await waitQuery(
        prom,
        'count({job="fill"})',
        (r) => r[0]?.value === String(groups * LINES_PER_GROUP),
      );
      assertEquals((await prom.query("count(fill_requests_total)"))[0]?.value, String(3 * groups));
      // fill_latency_seconds_count of group i is i + 1.
      assertEquals(
        (await prom.query("sum(fill_latency_seconds_count)"))[0]?.value,
        String(groups * (groups + 1) / 2),
      );

      // A one-group push shows in the next scrapes; nothing else changes.
      const res = await fetch(gw.url + groupPath(1234), {
        method: "PUT",
        body: groupBody(1234, 55555),
      });
      assertEquals(res.status, 200, await res.text());
      await waitQuery(
        prom,
        'fill_requests_total{instance="host-1234",code="200"}',
        (r) => r[0]?.value === "388885",
      );
      assertEquals(
        (await prom.query('count({job="fill"})'))[0]?.value,
        String(groups * LINES_PER_GROUP),
      );
      assertEquals(
        (await prom.query("sum(fill_latency_seconds_count)"))[0]?.value,
        String(groups * (groups + 1) / 2 - 1235 + 55556),
      );

      // Prometheus asked for gzip every time and got it every time.
      const counts = { ...tap.counts };
      assert(counts.requests >= 2, JSON.stringify(counts));
      assertEquals(counts.requestsAcceptingGzip, counts.requests, JSON.stringify(counts));
      assert(counts.responses >= counts.requests - 1, JSON.stringify(counts));
      assertEquals(counts.gzipResponses, counts.responses, JSON.stringify(counts));
      await assertNoFailedScrape(prom);
    } finally {
      status = await prom?.stop();
      tap?.close();
    }
    assertEquals(status?.code, 0, `prometheus did not stop cleanly:\n${prom.logs.join("\n")}`);
  },
  { needs: PROMETHEUS },
);

/** Exemplar timestamps of {@linkcode openMetricsBody}, seconds: a fixed offset from `now`. */
function openMetricsBody(now: number): string {
  return `# HELP shop_orders Orders placed.
# TYPE shop_orders counter
shop_orders_total{region="eu"} 42 # {trace_id="4bf92f3577b34da6"} 3.0 ${now - 60}.5
shop_orders_total{region="us"} 7 # {trace_id="00f067aa0ba902b7"} 1.0
# HELP shop_checkout_seconds Checkout time.
# TYPE shop_checkout_seconds histogram
# UNIT shop_checkout_seconds seconds
shop_checkout_seconds_bucket{le="0.5"} 3 # {trace_id="aaaa"} 0.25 ${now - 30}
shop_checkout_seconds_bucket{le="1.0"} 5
shop_checkout_seconds_bucket{le="+Inf"} 6 # {trace_id="bbbb",span_id="b1"} 4.5 ${now - 20}
shop_checkout_seconds_sum 9.5
shop_checkout_seconds_count 6
# TYPE shop_queue_length gauge
shop_queue_length 12
# TYPE shop_latency_seconds summary
# UNIT shop_latency_seconds seconds
shop_latency_seconds{quantile="0.5"} 0.2
shop_latency_seconds_sum 3.0
shop_latency_seconds_count 10
# TYPE shop_misc unknown
shop_misc 5
# EOF
`;
}

testWithGateway(
  "Prometheus with exemplar storage scrapes OpenMetrics (--web.enable-openmetrics): samples, exemplars and units",
  ["--web.enable-openmetrics"],
  async (gw) => {
    let prom: RunningPrometheus | undefined;
    let tap: ReturnType<typeof startTap> | undefined;
    let status: Deno.CommandStatus | undefined;
    const now = Math.floor(Date.now() / 1000);
    try {
      const push = await fetch(`${gw.url}/metrics/job/shop`, {
        method: "PUT",
        headers: { "content-type": "application/openmetrics-text; version=1.0.0; charset=utf-8" },
        body: openMetricsBody(now),
      });
      assertEquals(push.status, 200, await push.text());
      tap = startTap(gw.port);
      // Its default scrape protocols: OpenMetrics 1.0.0 first, gzip.
      prom = await startPrometheus(`127.0.0.1:${tap.port}`, {
        args: ["--enable-feature=exemplar-storage"],
      });

      const orders = await waitQuery(prom, "shop_orders_total", (r) => r.length === 2);
      assertEquals(
        Object.fromEntries(orders.map((s) => [s.metric.region, s.value])),
        { eu: "42", us: "7" },
      );
      assertEquals(
        single(orders.slice(0, 1), { job: "shop" }).metric.__name__,
        "shop_orders_total",
      );
      const buckets = await prom.query('shop_checkout_seconds_bucket{job="shop"}');
      assertEquals(
        Object.fromEntries(buckets.map((s) => [s.metric.le, s.value])),
        { "0.5": "3", "1.0": "5", "+Inf": "6" },
      );
      assertEquals(single(await prom.query("shop_checkout_seconds_sum"), {}).value, "9.5");
      assertEquals(single(await prom.query("shop_queue_length"), { job: "shop" }).value, "12");
      assertEquals(
        single(await prom.query('shop_latency_seconds{quantile="0.5"}'), {}).value,
        "0.2",
      );
      assertEquals(single(await prom.query("shop_latency_seconds_count"), {}).value, "10");
      assertEquals(single(await prom.query("shop_misc"), { job: "shop" }).value, "5");

      // The exemplars, with their labels, values and timestamps (the scrape's when none).
      const exemplars = (expr: string) =>
        poll(`exemplars of ${expr}`, async () => {
          const found = await prom!.exemplars(expr, now - 3600, now + 3600);
          if (found.reduce((n, s) => n + s.exemplars.length, 0) >= 2) return found;
          throw new Error(JSON.stringify(found));
        }, { attempts: 100, intervalMs: 200 });
      const counted = await exemplars("shop_orders_total");
      const byRegion = new Map(counted.map((s) => [s.seriesLabels.region, s.exemplars] as const));
      assertEquals(byRegion.get("eu")?.map((e) => [e.labels, e.value, e.timestamp]), [
        [{ trace_id: "4bf92f3577b34da6" }, "3", now - 60 + 0.5],
      ]);
      assertEquals(byRegion.get("us")?.map((e) => [e.labels, e.value]), [
        [{ trace_id: "00f067aa0ba902b7" }, "1"],
      ]);
      const scraped = byRegion.get("us")![0]!.timestamp;
      assert(scraped >= now - 5 && scraped < now + 600, `scrape-time exemplar at ${scraped}`);
      assertEquals(counted[0]?.seriesLabels.job, "shop");
      const bucketed = await exemplars("shop_checkout_seconds_bucket");
      assertEquals(
        bucketed.flatMap((s) =>
          s.exemplars.map((e) => [s.seriesLabels.le, e.labels, e.value, e.timestamp])
        ).sort(),
        [
          ["+Inf", { trace_id: "bbbb", span_id: "b1" }, "4.5", now - 20],
          ["0.5", { trace_id: "aaaa" }, "0.25", now - 30],
        ],
      );

      // Types, help and units as OpenMetrics carries them.
      const metadata = await prom.metadata();
      assertEquals(metadata.shop_orders, [{ type: "counter", help: "Orders placed.", unit: "" }]);
      assertEquals(metadata.shop_checkout_seconds, [
        { type: "histogram", help: "Checkout time.", unit: "seconds" },
      ]);
      assertEquals(metadata.shop_latency_seconds?.[0]?.unit, "seconds");
      assertEquals(metadata.shop_misc?.[0]?.type, "unknown");

      // Every scrape was answered in OpenMetrics 1.0.0, gzip-compressed, and none failed.
      const counts = { ...tap.counts };
      assert(counts.responses >= 1, JSON.stringify(counts));
      assertEquals(counts.openMetricsResponses, counts.responses, JSON.stringify(counts));
      assertEquals(counts.gzipResponses, counts.responses, JSON.stringify(counts));
      await assertNoFailedScrape(prom);
    } finally {
      status = await prom?.stop();
      tap?.close();
    }
    assertEquals(status?.code, 0, `prometheus did not stop cleanly:\n${prom?.logs.join("\n")}`);
  },
  { needs: PROMETHEUS },
);
