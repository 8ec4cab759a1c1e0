import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { MetricType } from "@lib/model/metric.ts";
import type { Group, StoredFamily } from "@lib/store/types.ts";
import { paginate } from "@lib/ui/paging.ts";
import {
  formatUptime,
  type LayoutView,
  type MetricsPageView,
  renderGroup,
  renderLayout,
  renderMetricsPage,
  renderStatusPage,
} from "@lib/ui/render.ts";

function gauge(name: string, value: number): StoredFamily {
  return {
    family: { name, type: MetricType.GAUGE, metric: [{ label: [], gauge: { value } }] },
    lastPushMs: value * 1000,
  };
}

function group(labels: Record<string, string>, pushed: number, failed: number): Group {
  return {
    labels,
    families: new Map([
      ["push_time_seconds", gauge("push_time_seconds", pushed)],
      ["push_failure_time_seconds", gauge("push_failure_time_seconds", failed)],
    ]),
  };
}

const NOW_MS = 1700000100000;

const LAYOUT: LayoutView = {
  prefix: ".",
  assetVersions: { "app.css": "c55", "app.js": "j55", "favicon.svg": "f55" },
  version: "1.2.3",
};

function metricsView(over: Partial<MetricsPageView> = {}): MetricsPageView {
  const groups = [group({ job: "a" }, 1700000000, 0)];
  return {
    ...LAYOUT,
    groups: paginate(groups, 1, 50),
    totalGroups: groups.length,
    query: "",
    adminApi: false,
    utf8Names: false,
    nowMs: 1700000100000,
    ...over,
  };
}

Deno.test("renderLayout() builds asset and tab links from the prefix", () => {
  const cases: [string, string[]][] = [
    [".", [
      `href="./static/app.css?v=c55"`,
      `src="./static/app.js?v=j55"`,
      `href="./static/favicon.svg?v=f55"`,
      `href="./status"`,
      `href="./"`,
    ]],
    ["/pg/x", [
      `href="/pg/x/static/app.css?v=c55"`,
      `src="/pg/x/static/app.js?v=j55"`,
      `href="/pg/x/status"`,
      `href="/pg/x/"`,
    ]],
  ];
  for (const [prefix, wants] of cases) {
    const html = renderLayout({ ...LAYOUT, prefix }, "status", "<p>body</p>");
    for (const want of wants) assertStringIncludes(html, want, prefix);
    assertStringIncludes(html, `<a href="${prefix}/status" aria-current="page" class="active">`);
    assertStringIncludes(html, "<p>body</p>");
    assertEquals(/<script>|<style>|\sstyle=|\son\w+=/.test(html), false, "no inline code");
  }
});

Deno.test("renderGroup() shows labels job first, push times and the delete URL", () => {
  const html = renderGroup(
    group({ zone: "eu", job: "batch", instance: "h1" }, 1700000000, 0),
    false,
    NOW_MS,
  );
  const badges = [...html.matchAll(/<span class="lbl[^"]*">(\w+)=/g)].map((m) => m[1]);
  assertEquals(badges, ["job", "instance", "zone"]);
  assertStringIncludes(
    html,
    `data-delete="metrics/job@base64/YmF0Y2g=/instance@base64/aDE=/zone@base64/ZXU="`,
  );
  assertStringIncludes(
    html,
    `data-group="{job=&quot;batch&quot;, instance=&quot;h1&quot;, zone=&quot;eu&quot;}"`,
  );
  assertStringIncludes(html, "last push: <time");
  assertEquals(html.includes("Last push failed!"), false);
  assertEquals(html.includes("last failed push"), false);
  assertEquals(html.includes("expires"), false, "no time to live, no expiry");
  assert(html.startsWith(`<details class="group" `));
});

Deno.test("renderGroup() shows when a group with a deadline expires", () => {
  const g = group({ job: "j" }, 1700000000, 0);
  const families = new Map(g.families);
  families.set("push_expiry_time_seconds", gauge("push_expiry_time_seconds", 1700003661));
  const html = renderGroup({ ...g, families }, false, 1700000000000);
  assertStringIncludes(
    html,
    `<span class="when expires">expires in 1h 1m 1s: ` +
      `<time datetime="2023-11-14T23:14:21Z">2023-11-14T23:14:21Z</time></span>`,
  );
  // Past due (the delete is on its way): 0s, never negative.
  assertStringIncludes(renderGroup({ ...g, families }, false, 1800000000000), "expires in 0s");
});

Deno.test("renderGroup() highlights a failed last push", () => {
  const cases: [number, number, boolean][] = [
    [1700000000, 1700000001, true],
    [1700000002, 1700000001, false],
    [0, 1700000001, true],
  ];
  for (const [pushed, failed, isFailed] of cases) {
    const html = renderGroup(group({ job: "j" }, pushed, failed), false, NOW_MS);
    assertEquals(html.includes(`<span class="pill failed">Last push failed!</span>`), isFailed);
    assertEquals(html.startsWith(`<details class="group failed"`), isFailed);
    assertStringIncludes(html, "last failed push: <time");
    if (pushed === 0) assertStringIncludes(html, "last push: never");
  }
});

Deno.test("renderGroup() escapes hostile labels", () => {
  const hostile = group({ job: `<script>alert("x")</script>`, ["a'b"]: "'" }, 1, 0);
  const html = renderGroup(hostile, true, NOW_MS);
  assertEquals(html.includes("<script>"), false);
  assertStringIncludes(html, "&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;");
  assertStringIncludes(html, `&quot;a&#39;b&quot;=&quot;&#39;&quot;`);
});

Deno.test("renderMetricsPage() shows the wipe button only with the admin API", () => {
  assertEquals(renderMetricsPage(metricsView()).includes("data-wipe"), false);
  const html = renderMetricsPage(metricsView({ adminApi: true }));
  assertStringIncludes(
    html,
    `<button type="button" class="btn danger" data-wipe="api/v1/admin/wipe" data-count="1">Delete All 1 Groups</button>`,
  );
  const empty = renderMetricsPage(
    metricsView({ adminApi: true, groups: paginate([], 1, 50), totalGroups: 0 }),
  );
  assertStringIncludes(empty, `data-count="0" disabled>Delete All 0 Groups</button>`);
  assertStringIncludes(empty, "No metric groups have been pushed yet.");
});

Deno.test("renderMetricsPage() writes counts, the filter and pager links", () => {
  const groups = Array.from({ length: 120 }, (_, i) => group({ job: `j${i}` }, 1, 0));
  const html = renderMetricsPage(metricsView({
    groups: paginate(groups, 2, 50),
    totalGroups: 500,
    query: `a&b "c"`,
  }));
  assertStringIncludes(html, `value="a&amp;b &quot;c&quot;"`);
  assertStringIncludes(
    html,
    "Showing 51&ndash;100 of 120 groups matching &ldquo;a&amp;b &quot;c&quot;&rdquo; (500 groups in total).",
  );
  assertStringIncludes(html, `href="./?q=a%26b+%22c%22&amp;page=3"`);
  assertStringIncludes(html, `rel="first" href="./?q=a%26b+%22c%22"`);
  assertStringIncludes(html, "Page 2 of 3");
  assertStringIncludes(html, `<a class="btn" href="./">Clear</a>`);
  assertEquals([...html.matchAll(/<details class="group"/g)].length, 50);
  assertStringIncludes(html, "job=&quot;j50&quot;");
  assertEquals(html.includes("job=&quot;j49&quot;"), false);
});

Deno.test("renderMetricsPage() without filter or paging keeps it short", () => {
  const html = renderMetricsPage(metricsView());
  assertStringIncludes(html, `<p class="count">1 group.</p>`);
  assertEquals(html.includes(`class="pager"`), false);
  assertEquals(html.includes("Clear"), false);
  const none = renderMetricsPage(
    metricsView({ groups: paginate([], 1, 50), totalGroups: 4, query: "zz" }),
  );
  assertStringIncludes(none, "No group matches &ldquo;zz&rdquo; (4 groups in total).");
});

Deno.test("renderStatusPage() lists start time, build information and flags sorted", () => {
  const html = renderStatusPage({
    ...LAYOUT,
    startTimeMs: 1700000000000,
    nowMs: 1700000000000 + 90061000,
    buildInfo: { version: "1.2.3", branch: "main", revision: "abc" },
    flags: { "web.route-prefix": "/x", "log.level": "<info>" },
  });
  assertStringIncludes(html, '<tr><th scope="row">Uptime</th><td>1d 1h 1m 1s</td></tr>');
  const keys = [...html.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
  assertEquals(keys, [
    "Started",
    "Uptime",
    "branch",
    "revision",
    "version",
    "log.level",
    "web.route-prefix",
  ]);
  assertStringIncludes(html, "<td>&lt;info&gt;</td>");
  assertStringIncludes(html, `aria-current="page" class="active">Status</a>`);
});

Deno.test("formatUptime() writes days, hours, minutes and seconds", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [59_999, "59s"],
    [60_000, "1m 0s"],
    [3_600_000, "1h 0m 0s"],
    [90_061_000, "1d 1h 1m 1s"],
    [-5, "0s"],
  ];
  for (const [ms, want] of cases) assertEquals(formatUptime(ms), want);
});
