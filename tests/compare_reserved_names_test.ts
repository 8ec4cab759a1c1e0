/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): pushed families
 * named like the gateway's own series. `push_time_seconds` and
 * `push_failure_time_seconds` (docs/upstream.md §4.4), whose values the
 * comparison masks, so each scenario also asserts the stored values on both
 * sides; and the request counter and push summaries with another HELP
 * (docs/upstream.md §6.1), which the scrape comparison leaves out.
 */

import { assert, assertEquals } from "@std/assert";
import { request, sampleLines } from "@lib/http/test_client.ts";
import {
  compareScenarios,
  type CompareStep,
  type Pair,
  post,
  put,
  type Target,
} from "./helpers/compare.ts";

const FAILURE = "push_failure_time_seconds";
const PUSHED = "push_time_seconds";
const FAILURE_HELP = "Last Unix time when changing this group in the Pushgateway failed.";
const PUSHED_HELP = "Last Unix time when changing this group in the Pushgateway succeeded.";

/** A family of one group in `/api/v1/metrics`. */
interface ApiFamily {
  readonly time_stamp: string;
  readonly type: string;
  readonly help?: string;
  readonly metrics: { readonly labels: Record<string, string>; readonly value?: string }[];
}

/** A group of `/api/v1/metrics`: its labels, success flag and families by name. */
type ApiGroup = Record<string, unknown> & {
  readonly labels: Record<string, string>;
  readonly last_push_successful: boolean;
};

/** Runs `fn` for the reference, then for ours. */
async function bothSides(pair: Pair, fn: (side: string, target: Target) => Promise<void>) {
  await fn("reference", pair.ref);
  await fn("ours", pair.ours);
}

/** The group `{job="<job>"}` as `/api/v1/metrics` shows it. */
async function apiGroup(side: string, target: Target, job: string): Promise<ApiGroup> {
  const res = await request(target, "GET", "/api/v1/metrics");
  const groups = (JSON.parse(res.text) as { data: ApiGroup[] }).data;
  const found = groups.find((g) => g.labels.job === job && Object.keys(g.labels).length === 1);
  assert(found, `${side}: no group {job="${job}"} in ${res.text}`);
  return found;
}

/** Seconds since the epoch of an RFC 3339 time with up to nine decimals. */
function epochSeconds(stamp: string): number {
  const m = /^(.{19})(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(stamp);
  assert(m, `not an RFC 3339 time: ${stamp}`);
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(`0${m[2] ?? ""}`);
}

/** What a timestamp family must hold: its type, HELP (undefined: none) and one value. */
interface Want {
  readonly type: string;
  readonly help: string | undefined;
  /** The exact value, or "push time": the family's own `time_stamp`. */
  readonly value: string | "push time";
}

/** Asserts the family `name` of group `{job}` in the API: type, HELP, one series, its value. */
function assertApiFamily(side: string, group: ApiGroup, name: string, want: Want): string {
  const where = `${side} {job="${group.labels.job}"} ${name}`;
  const family = group[name] as ApiFamily | undefined;
  assert(family, `${where}: missing`);
  assertEquals([family.type, family.help], [want.type, want.help], where);
  assertEquals(family.metrics.length, 1, where);
  const metric = family.metrics[0] as ApiFamily["metrics"][number];
  assertEquals(metric.labels, { instance: "", job: group.labels.job ?? "" }, where);
  const value = metric.value as string;
  if (want.value === "push time") {
    const at = epochSeconds(family.time_stamp);
    assert(at > 1e9 && Math.abs(Number(value) - at) < 1e-3, `${where}: ${value} is not ${at}`);
  } else assertEquals(value, want.value, where);
  return value;
}

/** The HELP and TYPE lines and the sample lines of `name` in a scrape. */
function exposed(text: string, name: string): { help?: string; type?: string; samples: string[] } {
  const line = (kind: string) => new RegExp(`^# ${kind} ${name} (.*)$`, "m").exec(text)?.[1];
  return { help: line("HELP"), type: line("TYPE"), samples: sampleLines(text, name) };
}

/** The value of `name{instance="",job="<job>"}` in a scrape. */
function scraped(samples: readonly string[], name: string, job: string): string | undefined {
  const head = `${name}{instance="",job="${job}"} `;
  return samples.find((l) => l.startsWith(head))?.slice(head.length);
}

/**
 * Asserts, on both sides, groups `{job}` by the API and the scrape: the
 * failure family as `failure` says, `push_time_seconds` the gauge holding its
 * push time, and the scrape showing the same values under the same TYPE and
 * HELP (when `scrapeHelp` is given; several groups' HELPs come in Go map order
 * upstream).
 */
function timestamps(
  jobs: Record<string, { failure: Want; successful: boolean }>,
  scrapeHelp?: { failure: string | undefined },
): (pair: Pair) => Promise<void> {
  return (pair) =>
    bothSides(pair, async (side, target) => {
      const text = (await request(target, "GET", "/metrics")).text;
      const failure = exposed(text, FAILURE);
      const pushed = exposed(text, PUSHED);
      assertEquals(pushed.type, "gauge", `${side}: ${PUSHED} TYPE`);
      assertEquals(pushed.help, PUSHED_HELP, `${side}: ${PUSHED} HELP`);
      const types = new Set<string>();
      for (const [job, want] of Object.entries(jobs)) {
        const group = await apiGroup(side, target, job);
        assertEquals(group.last_push_successful, want.successful, `${side} ${job}: success`);
        const f = assertApiFamily(side, group, FAILURE, want.failure);
        const p = assertApiFamily(side, group, PUSHED, {
          type: "GAUGE",
          help: PUSHED_HELP,
          value: "push time",
        });
        assertEquals(scraped(failure.samples, FAILURE, job), f, `${side} ${job}: scraped failure`);
        assertEquals(scraped(pushed.samples, PUSHED, job), p, `${side} ${job}: scraped push time`);
        types.add(want.failure.type.toLowerCase());
      }
      assertEquals(failure.type, [...types].join(), `${side}: ${FAILURE} TYPE`);
      if (scrapeHelp) assertEquals(failure.help, scrapeHelp.failure, `${side}: ${FAILURE} HELP`);
    });
}

const ZERO: Want = { type: "GAUGE", help: FAILURE_HELP, value: "0" };
const FAILED: Want = { type: "GAUGE", help: FAILURE_HELP, value: "push time" };
/** A failure family with HELP `mine` and of another type. */
const counterFailure = (v: number) =>
  `# HELP ${FAILURE} mine\n# TYPE ${FAILURE} counter\n${FAILURE} ${v}\n`;
const counterPushTime = `# HELP ${PUSHED} mine\n# TYPE ${PUSHED} counter\n${PUSHED} 5\n`;
const statusOnly = (step: CompareStep): CompareStep => ({ ...step, statusOnly: true });

compareScenarios("compare: pushed push and failure times (docs/upstream.md §4.4)", [], [
  {
    name: "a new group: a pushed failure time is 0, a pushed push time the push time",
    steps: [
      put("/metrics/job/n1", counterFailure(9) + counterPushTime + "m 1\n"),
      post("/metrics/job/n2", `${FAILURE} 9\n${PUSHED} 5\n`),
      put("/metrics/job/n3", `# TYPE ${FAILURE} gauge\n${FAILURE} 9\n`),
    ],
    api: true,
    check: timestamps({
      n1: { failure: ZERO, successful: true },
      n2: { failure: ZERO, successful: true },
      n3: { failure: ZERO, successful: true },
    }, { failure: FAILURE_HELP }),
  },
  {
    name: "an existing group, POST: an untyped failure family without HELP is kept as pushed",
    steps: [
      put("/metrics/job/e", "m 1\n"),
      post("/metrics/job/e", `${FAILURE} 9\n${PUSHED} 5\n`),
    ],
    api: true,
    check: timestamps({
      e: { failure: { type: "UNTYPED", help: undefined, value: "9" }, successful: true },
    }, { failure: undefined }),
  },
  {
    name: "an existing group, PUT: a gauge failure family with HELP is kept as pushed",
    steps: [
      put("/metrics/job/e", "m 1\n"),
      put("/metrics/job/e", `# HELP ${FAILURE} mine\n# TYPE ${FAILURE} gauge\n${FAILURE} 9e9\n`),
    ],
    api: true,
    // A gauge later than the push time: the last push reads as failed.
    check: timestamps({
      e: { failure: { type: "GAUGE", help: "mine", value: "9e+09" }, successful: false },
    }, { failure: "mine" }),
  },
  {
    name: "an existing group, POST: a counter failure family with HELP is kept as pushed",
    steps: [
      put("/metrics/job/e", "m 1\n"),
      post("/metrics/job/e", counterFailure(7) + counterPushTime),
    ],
    api: true,
    // Not a gauge: "last push successful" reads it as 0.
    check: timestamps({
      e: { failure: { type: "COUNTER", help: "mine", value: "7" }, successful: true },
    }, { failure: "mine" }),
  },
  {
    name: "beside another group: a gauge failure family without HELP is kept as pushed",
    steps: [
      put("/metrics/job/a", "m 1\n"),
      put("/metrics/job/b", "m 1\n"),
      put("/metrics/job/b", `# TYPE ${FAILURE} gauge\n${FAILURE} 9\n`),
    ],
    api: true,
    // Upstream shows the HELP of whichever group its map iteration reaches first.
    scrape: false,
    check: timestamps({
      a: { failure: ZERO, successful: true },
      b: { failure: { type: "GAUGE", help: undefined, value: "9" }, successful: true },
    }),
  },
  {
    name: "beside another group's gauge: a failure family of another type is refused",
    steps: [
      put("/metrics/job/a", "m 1\n"),
      put("/metrics/job/b", "m 1\n"),
      // Upstream's 400 names either group's series, in Go map order.
      statusOnly(post("/metrics/job/b", `${FAILURE} 9\n`)),
      statusOnly(put("/metrics/job/b", counterFailure(9))),
    ],
    api: true,
    check: async (pair) => {
      await timestamps({
        a: { failure: ZERO, successful: true },
        b: { failure: FAILED, successful: false },
      }, { failure: FAILURE_HELP })(pair);
      await bothSides(pair, async (side, target) => {
        const b = await apiGroup(side, target, "b");
        assert(b.m !== undefined, `${side}: the refused PUT left the group as it was`);
      });
    },
  },
]);

const REQUESTS = "pushgateway_http_requests_total";
const DURATION = "pushgateway_http_push_duration_seconds";
const SIZE = "pushgateway_http_push_size_bytes";
const OWN_HELP: Record<string, string> = {
  [REQUESTS]: "Total HTTP requests processed by the Pushgateway, excluding scrapes.",
  [DURATION]: "HTTP request duration for pushes to the Pushgateway.",
  [SIZE]: "HTTP request size for pushes to the Pushgateway.",
};
const requests = (help: string, type = "counter") =>
  `# HELP ${REQUESTS} ${help}\n# TYPE ${REQUESTS} ${type}\n${REQUESTS}{code="200"} 1\n`;
const summary = (name: string, help: string) =>
  `# HELP ${name} ${help}\n# TYPE ${name} summary\n${name}{quantile="0.5"} 3\n` +
  `${name}_sum 1\n${name}_count 1\n`;

compareScenarios("compare: pushes named like the request metrics (docs/upstream.md §6.1)", [], [
  {
    name: "after a counted push, another HELP (or none) gets client_golang's gatherer error",
    steps: [
      // The push summaries have series only after a push.
      put("/metrics/job/warm", "m 1\n"),
      put("/metrics/job/h1", requests("other")),
      put("/metrics/job/h2", summary(DURATION, "other")),
      post("/metrics/job/h3", `${SIZE} 1\n`),
      put("/metrics/job/h4", requests(OWN_HELP[REQUESTS] as string, "gauge")),
    ],
    api: true,
    // Refused, so each group holds nothing but its timestamps, the failure one set.
    check: (pair) =>
      bothSides(pair, async (side, target) => {
        for (const job of ["h1", "h2", "h3", "h4"]) {
          const group = await apiGroup(side, target, job);
          assertEquals(
            Object.keys(group).sort(),
            ["labels", "last_push_successful", FAILURE, PUSHED],
            `${side} ${job}`,
          );
          assertApiFamily(side, group, FAILURE, FAILED);
        }
      }),
  },
  {
    name: "the gateway's own HELP and type: accepted, the series join the gateway's family",
    steps: [
      put("/metrics/job/h5", requests(OWN_HELP[REQUESTS] as string)),
      put("/metrics/job/h6", summary(DURATION, OWN_HELP[DURATION] as string)),
      post("/metrics/job/h7", summary(SIZE, OWN_HELP[SIZE] as string)),
    ],
    api: true,
    check: (pair) =>
      bothSides(pair, async (side, target) => {
        const text = (await request(target, "GET", "/metrics")).text;
        for (const [name, help] of Object.entries(OWN_HELP)) {
          assertEquals(exposed(text, name).help, help, `${side}: ${name} HELP`);
        }
        for (
          const line of [
            `${REQUESTS}{code="200",instance="",job="h5"} 1`,
            `${DURATION}{instance="",job="h6",quantile="0.5"} 3`,
            `${DURATION}_sum{instance="",job="h6"} 1`,
            `${SIZE}_count{instance="",job="h7"} 1`,
          ]
        ) assert(text.includes(`\n${line}\n`), `${side}: no ${line}`);
        for (const job of ["h5", "h6", "h7"]) {
          const group = await apiGroup(side, target, job);
          assertEquals(group.last_push_successful, true, `${side} ${job}`);
          assertApiFamily(side, group, FAILURE, ZERO);
        }
      }),
  },
]);
