/**
 * The application's routing in-process: the router's 404/405/OPTIONS
 * answers, and the route prefix from `--web.external-url` and
 * `--web.route-prefix`.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";

Deno.test("router: HEAD 405, OPTIONS Allow, wrong method 405, unknown 404", async () => {
  const { app } = appFromFlags();
  const head = await request(app, "HEAD", "/metrics");
  assertEquals([head.status, head.headers.get("allow")], [405, "GET, OPTIONS"]);
  const opt = await request(app, "OPTIONS", "/metrics/job/x");
  assertEquals([opt.status, opt.headers.get("allow")], [200, "DELETE, OPTIONS, POST, PUT"]);
  const get = await request(app, "GET", "/metrics/job/x");
  assertEquals([get.status, get.text], [405, "Method Not Allowed\n"]);
  const nf = await request(app, "GET", "/nope");
  assertEquals([nf.status, nf.text], [404, "404 page not found\n"]);
  assertEquals((await request(app, "GET", "/-/healthy")).text, "OK");
});

Deno.test("--web.external-url with a path: routes under it, /ext → 301 /ext/, unprefixed 404", async () => {
  let quits = 0;
  const { app } = appFromFlags(
    ["--web.external-url=http://example.com/ext/", "--web.enable-lifecycle"],
    { requestQuit: () => quits++ },
  );
  assertEquals((await request(app, "PUT", "/ext/metrics/job/x", "m 1\n")).status, 200);
  assertStringIncludes(
    (await request(app, "GET", "/ext/metrics")).text,
    'm{instance="",job="x"} 1',
  );
  assertEquals((await request(app, "GET", "/ext/-/healthy")).text, "OK");
  assertEquals((await request(app, "GET", "/ext/-/ready")).text, "OK");
  const status = JSON.parse((await request(app, "GET", "/ext/api/v1/status")).text);
  assertEquals(status.data.flags["web.route-prefix"], "/ext");
  assertEquals(status.data.flags["web.external-url"], "http://example.com/ext/");
  const redirect = await request(app, "GET", "/ext");
  assertEquals([redirect.status, redirect.headers.get("location")], [301, "/ext/"]);
  for (const path of ["/", "/metrics", "/-/healthy", "/api/v1/status"]) {
    const res = await request(app, "GET", path);
    assertEquals([res.status, res.text], [404, "404 page not found\n"], path);
  }
  assertEquals((await request(app, "PUT", "/metrics/job/x", "m 1\n")).status, 404);
  // The bare GET /-/quit quirk stays at the root.
  assertEquals((await request(app, "GET", "/-/quit")).status, 405);
  assertEquals(quits, 0);
  const quit = await request(app, "PUT", "/ext/-/quit");
  assertEquals([quit.status, quits], [200, 1]);
});

Deno.test("--web.route-prefix wins over the external URL's path", async () => {
  const { app } = appFromFlags([
    "--web.external-url=http://example.com/ext/",
    "--web.route-prefix=/pfx/",
  ]);
  assertEquals((await request(app, "GET", "/pfx/-/healthy")).status, 200);
  assertEquals((await request(app, "GET", "/ext/-/healthy")).status, 404);
  const flags = JSON.parse((await request(app, "GET", "/pfx/api/v1/status")).text).data.flags;
  assertEquals(flags["web.route-prefix"], "/pfx");
});

Deno.test("--web.route-prefix=/ is the root, even with an external URL path", async () => {
  const { app } = appFromFlags([
    "--web.external-url=http://example.com/pg/",
    "--web.route-prefix=/",
  ]);
  assertEquals((await request(app, "GET", "/-/healthy")).status, 200);
  assertEquals((await request(app, "PUT", "/metrics/job/r", "m 1\n")).status, 200);
  const flags = JSON.parse((await request(app, "GET", "/api/v1/status")).text).data.flags;
  assertEquals(flags["web.route-prefix"], "");
});
