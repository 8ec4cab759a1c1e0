/**
 * End-to-end tests of expiry and the push limits against the real gateway
 * process: deadlines across restarts (kept, recomputed from a changed
 * default, passed while down), a group expiring in a running gateway, and
 * each limit's status and message. Refusals and status codes are checked,
 * never timings.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { request as send } from "@lib/http/test_client.ts";
import { type RunningGateway, withGateway } from "./helpers/gateway.ts";
import { poll } from "./helpers/poll.ts";

/** Every group's `push_expiry_time_seconds` (Unix seconds) by job, from the JSON API. */
async function deadlines(gw: RunningGateway): Promise<Record<string, number | undefined>> {
  const api = JSON.parse((await send(gw, "GET", "/api/v1/metrics")).text);
  const out: Record<string, number | undefined> = {};
  for (const group of api.data) {
    const value = group.push_expiry_time_seconds?.metrics[0]?.value;
    out[group.labels.job] = value === undefined ? undefined : Number(value);
  }
  return out;
}

/** The group's `push_time_seconds` (Unix seconds), from the JSON API. */
async function pushTime(gw: RunningGateway, job: string): Promise<number> {
  const api = JSON.parse((await send(gw, "GET", "/api/v1/metrics")).text);
  const group = api.data.find((g: { labels: { job: string } }) => g.labels.job === job);
  return Number(group.push_time_seconds.metrics[0].value);
}

const HOUR = 3600;

Deno.test("deadlines across restarts: header TTLs kept, default ones follow the flag, passed ones removed at start", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `--persistence.file=${join(dir, "p.data")}`;
    const first = await withGateway([file, "--push.default-ttl=1h"], async (gw) => {
      const ttl = (v: string) => ({ "Pushgateway-TTL": v });
      assertEquals((await send(gw, "PUT", "/metrics/job/header", "m 1\n", ttl("2h"))).status, 200);
      assertEquals((await send(gw, "PUT", "/metrics/job/default", "m 1\n")).status, 200);
      assertEquals((await send(gw, "PUT", "/metrics/job/never", "m 1\n", ttl("0"))).status, 200);
      const d = await deadlines(gw);
      assertEquals(d.header, (await pushTime(gw, "header")) + 2 * HOUR);
      assertEquals(d.default, (await pushTime(gw, "default")) + HOUR);
      assertEquals(d.never, undefined);
      return { d, defaultPush: await pushTime(gw, "default") };
    });
    // A longer default: the default group's deadline moves, the header one stays.
    await withGateway([file, "--push.default-ttl=3h"], async (gw) => {
      const d = await deadlines(gw);
      assertEquals(d.header, first.result.d.header);
      assertEquals(d.default, first.result.defaultPush + 3 * HOUR);
      assertEquals(d.never, undefined);
    });
    // No default: the default group has no deadline any more.
    await withGateway([file], async (gw) => {
      const d = await deadlines(gw);
      assertEquals(d, { header: first.result.d.header, default: undefined, never: undefined });
    });
    // A default of 1ms: the default group's deadline passed while the gateway was down;
    // it is gone before the first request is served, logged and counted.
    const last = await withGateway([file, "--push.default-ttl=1ms"], async (gw) => {
      assertEquals(Object.keys(await deadlines(gw)).sort(), ["header", "never"]);
      const metrics = (await send(gw, "GET", "/metrics")).text;
      assertStringIncludes(metrics, "\npushgateway_groups_expired_total 1\n");
    });
    const expired = last.logs.filter((l) => l.includes('msg="group expired"'));
    assertEquals(expired.length, 1, last.logs.join("\n"));
    assertMatch(expired[0] as string, /level=info .*group="\{job=\\"default\\"\}"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a running gateway removes a group when its TTL passes, with its push times", async () => {
  await withGateway([], async (gw) => {
    await send(gw, "PUT", "/metrics/job/short", "m 1\n", { "Pushgateway-TTL": "200ms" });
    await send(gw, "PUT", "/metrics/job/long", "m 1\n", { "Pushgateway-TTL": "1h" });
    await poll("the short group to expire", async () => {
      const d = await deadlines(gw);
      return "short" in d ? undefined : d;
    }, { attempts: 150, intervalMs: 100 });
    const metrics = (await send(gw, "GET", "/metrics")).text;
    assert(!metrics.includes('job="short"'), "no series of the group is left");
    assertStringIncludes(metrics, 'push_time_seconds{instance="",job="long"}');
    assertStringIncludes(metrics, "\npushgateway_groups_expired_total 1\n");
    await poll(
      "the expiry log line",
      () =>
        gw.logs.some((l) => /msg="group expired" group="\{job=\\"short\\"\}"/.test(l)) || undefined,
    );
  });
});

Deno.test("each limit answers with its status and message", async () => {
  const args = [
    "--push.max-series-per-push=5",
    "--storage.max-series=12",
    "--push.max-concurrent-body-size=1KiB",
  ];
  await withGateway(args, async (gw) => {
    const series = (n: number) => Array.from({ length: n }, (_, i) => `m{i="${i}"} 1\n`).join("");
    const tooMany = await send(gw, "PUT", "/metrics/job/a", series(6));
    assertEquals([tooMany.status, tooMany.text], [
      413,
      "too many series in one push: more than 5 (--push.max-series-per-push=5)\n",
    ]);
    // The refused push recorded its failure time (creating the group, as upstream does).
    const failed = JSON.parse((await send(gw, "GET", "/api/v1/metrics")).text).data;
    assertEquals(failed.length, 1);
    assertEquals(failed[0].last_push_successful, false);
    assertEquals(failed[0].m, undefined, "nothing of the push is stored");
    assertEquals((await send(gw, "PUT", "/metrics/job/a", series(5))).status, 200);
    assertEquals((await send(gw, "PUT", "/metrics/job/b", series(3))).status, 200);
    const full = await send(gw, "PUT", "/metrics/job/c", series(3));
    assertEquals([full.status, full.text], [
      507,
      "storing this push would raise the number of series to 17, over the limit of 12 " +
      "(--storage.max-series)\n",
    ]);
    const big = await send(gw, "PUT", "/metrics/job/d", "x 1\n" + "#".repeat(2000) + "\n");
    assertEquals(big.status, 503);
    assertEquals(big.headers.get("retry-after"), "1");
    assertStringIncludes(big.text, "--push.max-concurrent-body-size=1KiB");
    const badTtl = await send(gw, "PUT", "/metrics/job/a", "m 1\n", { "Pushgateway-TTL": "-1s" });
    assertEquals([badTtl.status, badTtl.text], [
      400,
      'invalid Pushgateway-TTL header "-1s": negative duration\n',
    ]);
    const api = JSON.parse((await send(gw, "GET", "/api/v1/metrics")).text);
    const byJob = Object.fromEntries(
      api.data.map((g: { labels: { job: string } }) => [g.labels.job, g]),
    );
    assertEquals(Object.keys(byJob).sort(), ["a", "b"], "c was not created: the store is full");
    assertEquals(byJob.a.last_push_successful, true);
    const metrics = (await send(gw, "GET", "/metrics")).text;
    for (
      const line of [
        "pushgateway_stored_series 12",
        "pushgateway_push_max_series 5",
        "pushgateway_storage_max_series 12",
      ]
    ) assertStringIncludes(metrics, `\n${line}\n`);
  });
});
