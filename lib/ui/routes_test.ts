import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { type AppConfig, type AppContext } from "@lib/http/context.ts";
import { createApp } from "@lib/http/app.ts";
import { TEST_BUILD_INFO, testAppContext } from "@lib/http/test_context.ts";
import { CONTENT_SECURITY_POLICY, createUiRoutes, linkPrefix } from "@lib/ui/routes.ts";
import type { BuildInfo } from "@lib/version.ts";

const BUILD: BuildInfo = { ...TEST_BUILD_INFO, version: "9.8.7", revision: "rev123" };

function makeCtx(config: Partial<AppConfig> = {}): AppContext {
  return testAppContext(
    { flagValues: { "web.listen-address": ":9091", "log.level": "info" }, ...config },
    { buildInfo: BUILD, startTimeMs: 1700000000000, now: () => 1700000100000 },
  );
}

async function push(
  ctx: AppContext,
  labels: Record<string, string>,
  body = "m 1\n",
): Promise<void> {
  const res = await ctx.store.submit({
    kind: "push",
    labels,
    families: parseText(body),
    replace: true,
    timeMs: 1700000050000,
  });
  assert(res.ok, JSON.stringify(res));
}

function setup(config: Partial<AppConfig> = {}) {
  const ctx = makeCtx(config);
  const app = createApp(ctx, createUiRoutes(ctx));
  const get = (path: string, headers: HeadersInit = {}) =>
    app(new Request(`http://gw${path}`, { headers }));
  return { ctx, app, get };
}

function requestCount(ctx: AppContext, handler: string, code: string): number {
  const family = ctx.self.collect().find((f) => f.name === "pushgateway_http_requests_total");
  const metric = family?.metric.find((m) =>
    m.label.some((l) => l.name === "handler" && l.value === handler) &&
    m.label.some((l) => l.name === "code" && l.value === code)
  );
  return metric?.counter?.value ?? 0;
}

Deno.test("GET / lists the groups with their labels and families", async () => {
  const { ctx, get } = setup();
  await push(ctx, { job: "batch", instance: "h1" }, "# HELP m Some help.\n# TYPE m gauge\nm 42\n");
  await push(ctx, { job: "alpha" }, "other 1\n");
  const res = await get("/");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
  assertEquals(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  const html = await res.text();
  assertStringIncludes(html, "2 groups.");
  // Sorted by grouping key: job="alpha" before instance="h1",job="batch" ("instance" < "job").
  const jobs = [...html.matchAll(/<span class="badges"><span class="lbl job">job=&quot;(\w+)/g)];
  assertEquals(jobs.map((m) => m[1]), ["batch", "alpha"]);
  assertStringIncludes(html, `<span class="help">Some help.</span>`);
  assertStringIncludes(html, `<span class="val">42</span>`);
  assertStringIncludes(html, `<span class="fname">push_time_seconds</span>`);
  assertEquals(html.includes("data-wipe"), false);
  assertEquals(requestCount(ctx, "status", "200"), 1);
});

Deno.test("GET / escapes labels, values and help", async () => {
  const { ctx, get } = setup();
  push(
    ctx,
    { job: `<img src=x onerror="alert(1)">` },
    '# HELP m <b>bold</b>\nm{v="</td><script>"} 1\n',
  );
  const html = await (await get("/")).text();
  assertEquals(html.includes("<img src=x"), false);
  assertEquals(html.includes("<script>"), false);
  assertEquals(html.includes("<b>"), false);
  assertStringIncludes(html, "&lt;img src=x onerror=\\&quot;alert(1)\\&quot;&gt;");
  assertStringIncludes(html, "&lt;b&gt;bold&lt;/b&gt;");
  assertStringIncludes(html, "&lt;/td&gt;&lt;script&gt;");
});

Deno.test("GET / pages and filters the groups", async () => {
  const { ctx, get } = setup();
  for (let i = 0; i < 120; i++) await push(ctx, { job: `job${String(i).padStart(3, "0")}` });
  const count = (html: string) => [...html.matchAll(/<details class="group"/g)].length;

  const first = await (await get("/")).text();
  assertEquals(count(first), 50);
  assertStringIncludes(first, "Showing 1&ndash;50 of 120 groups.");
  assertStringIncludes(first, "job=&quot;job000&quot;");

  const last = await (await get("/?page=3")).text();
  assertEquals(count(last), 20);
  assertStringIncludes(last, "job=&quot;job119&quot;");
  assertStringIncludes(last, "Page 3 of 3");

  const beyond = await (await get("/?page=99")).text();
  assertEquals(count(beyond), 20);

  const filtered = await (await get("/?q=JOB11")).text();
  assertEquals(count(filtered), 10);
  assertStringIncludes(filtered, "10 groups matching &ldquo;JOB11&rdquo; (120 groups in total).");

  const none = await (await get("/?q=nope")).text();
  assertEquals(count(none), 0);
  assertStringIncludes(none, "No group matches");
});

Deno.test("GET / highlights a group whose last push failed", async () => {
  const { ctx, app, get } = setup();
  await push(ctx, { job: "ok" });
  await push(ctx, { job: "bad" });
  const res = await app(
    new Request("http://gw/metrics/job/bad", { method: "PUT", body: "m 1 1234\n" }),
  );
  await res.body?.cancel();
  assertEquals(res.status, 400);
  const html = await (await get("/")).text();
  const panels = html.split('<details class="group').slice(1);
  const bad = panels.find((p) => p.includes("job=&quot;bad&quot;")) ?? "";
  const ok = panels.find((p) => p.includes("job=&quot;ok&quot;")) ?? "";
  assert(bad.startsWith(" failed"), bad.slice(0, 40));
  assertStringIncludes(bad, "Last push failed!");
  assertEquals(ok.includes("Last push failed!"), false);
});

Deno.test("GET / shows 'Delete All N Groups' only with the admin API", async () => {
  for (const enableAdminApi of [false, true]) {
    const { ctx, get } = setup({ enableAdminApi });
    await push(ctx, { job: "a" });
    await push(ctx, { job: "b" });
    const html = await (await get("/")).text();
    assertEquals(html.includes("Delete All 2 Groups"), enableAdminApi);
  }
});

Deno.test("the Delete Group URL, resolved against the page, deletes the group", async () => {
  const cases: [Partial<AppConfig>, string][] = [
    [{}, "/"],
    [{ routePrefix: "/pg", externalPathPrefix: "/pg" }, "/pg/"],
    [{ routePrefix: "/pg", externalPathPrefix: "/pg" }, "/pg/status"],
  ];
  for (const [config, pagePath] of cases) {
    const { ctx, app, get } = setup(config);
    await push(ctx, { job: "a/b", instance: "", zone: "ü" });
    await push(ctx, { job: "keep" });
    const html = await (await get(config.routePrefix ? "/pg/" : "/")).text();
    const rel = html.match(/data-delete="([^"]+)"/)?.[1] ?? "";
    assert(rel.startsWith("metrics/job@base64/"), rel);
    const url = new URL(rel, `http://gw${pagePath}`);
    const res = await app(new Request(url, { method: "DELETE" }));
    await res.body?.cancel();
    assertEquals(res.status, 202, url.href);
    assertEquals(ctx.store.view.groups().map((g) => g.labels.job), ["keep"]);
  }
});

Deno.test("links and asset URLs use the external path prefix, '.' when empty", async () => {
  const cases: [Partial<AppConfig>, string, string][] = [
    [{}, "/", "."],
    [{ routePrefix: "/pg", externalPathPrefix: "/pg" }, "/pg/", "/pg"],
    // A proxy strips /proxy: the gateway serves at the root, links keep the prefix.
    [{ routePrefix: "", externalPathPrefix: "/proxy" }, "/", "/proxy"],
    // Route prefix without an external URL: relative links.
    [{ routePrefix: "/internal", externalPathPrefix: "" }, "/internal/", "."],
  ];
  for (const [config, path, prefix] of cases) {
    const { get } = setup(config);
    for (const page of [path, path + "status"]) {
      const res = await get(page);
      assertEquals(res.status, 200, page);
      const html = await res.text();
      assert(new RegExp(`href="${prefix}/static/app\\.css\\?v=\\w+"`).test(html), page);
      assert(new RegExp(`src="${prefix}/static/app\\.js\\?v=\\w+"`).test(html), page);
      assertStringIncludes(html, `href="${prefix}/status"`);
      if (page === path) assertStringIncludes(html, `action="${prefix}/"`);
    }
  }
  assertEquals(linkPrefix(""), ".");
  const { get } = setup({ routePrefix: "/pg", externalPathPrefix: "/pg" });
  const res = await get("/");
  await res.body?.cancel();
  assertEquals(res.status, 404);
});

Deno.test("GET /status shows build information, start time and every flag", async () => {
  const { ctx, get } = setup();
  const html = await (await get("/status")).text();
  for (const key of ["branch", "buildDate", "buildUser", "goVersion", "revision", "version"]) {
    assertStringIncludes(html, `<th scope="row">${key}</th>`);
  }
  assertStringIncludes(html, "<td>rev123</td>");
  assertStringIncludes(html, "<td>1m 40s</td>");
  const flags = [...html.matchAll(/<th scope="row">([a-z.-]+)<\/th>/g)].map((m) => m[1]);
  assertEquals(flags.slice(-2), ["log.level", "web.listen-address"]);
  assertEquals(html.includes(`class="groups"`), false);
  assertEquals(requestCount(ctx, "status", "200"), 1);
});

Deno.test("static assets: content types, ETag, 304 and 404, counted as 'static'", async () => {
  const { ctx, get } = setup({ routePrefix: "/pg", externalPathPrefix: "/pg" });
  const css = await get("/pg/static/app.css");
  assertEquals(css.status, 200);
  assertEquals(css.headers.get("content-type"), "text/css; charset=utf-8");
  const etag = css.headers.get("etag") ?? "";
  assert(etag.startsWith('"'), etag);
  assertStringIncludes(await css.text(), "details.group");

  const js = await get("/pg/static/app.js");
  assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  await js.body?.cancel();

  const again = await get("/pg/static/app.css", { "if-none-match": etag });
  assertEquals(again.status, 304);
  assertEquals(await again.text(), "");

  const missing = await get("/pg/static/missing.css");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();

  assertEquals(requestCount(ctx, "static", "200"), 2);
  assertEquals(requestCount(ctx, "static", "304"), 1);
  assertEquals(requestCount(ctx, "static", "404"), 1);
});

Deno.test("GET / says when a group with a time to live expires", async () => {
  const { ctx, get } = setup();
  const res = await ctx.store.submit({
    kind: "push",
    labels: { job: "ttl" },
    families: parseText("m 1\n"),
    replace: true,
    timeMs: 1700000050000,
    ttlMs: 3_600_000,
  });
  assert(res.ok);
  await push(ctx, { job: "plain" });
  const html = await (await get("/")).text();
  assertStringIncludes(html, "expires in 59m 10s: <time");
  assertEquals(html.split("expires in").length, 2, "only the group with a deadline");
});
