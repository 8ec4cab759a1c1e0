import { assertEquals } from "@std/assert";
import { cleanPath, Router } from "@lib/http/router.ts";

function router(): Router {
  const ok = (label: string) => (_req: Request, params: Record<string, string>) =>
    new Response(`${label} ${JSON.stringify(params)}`);
  return new Router()
    .on("GET", "/metrics", ok("metrics"))
    .on("GET", "/", ok("root"))
    .on("GET", "/static/*filepath", ok("static"))
    .on("PUT", "/metrics/job/:job/*labels", ok("push-labels"))
    .on("PUT", "/metrics/job/:job", ok("push"))
    .on("PUT", "/metrics/job@base64/:job", ok("push64"))
    .on("POST", "/metrics/job/:job", ok("post"))
    .on("DELETE", "/metrics/job/:job", ok("delete"));
}

async function call(method: string, path: string): Promise<[number, string, Headers]> {
  const res = await router().handle(new Request("http://x" + path, { method }), path, "");
  return [res.status, await res.text(), res.headers];
}

Deno.test("routes match params and catch-alls", async () => {
  assertEquals((await call("PUT", "/metrics/job/x"))[1], 'push {"job":"x"}');
  assertEquals((await call("PUT", "/metrics/job/x/"))[1], 'push-labels {"job":"x","labels":"/"}');
  assertEquals(
    (await call("PUT", "/metrics/job/x/a/b"))[1],
    'push-labels {"job":"x","labels":"/a/b"}',
  );
  assertEquals((await call("GET", "/static/app.css"))[1], 'static {"filepath":"/app.css"}');
});

Deno.test("wrong method gives 405 with a sorted Allow header including OPTIONS", async () => {
  const [status, body, headers] = await call("GET", "/metrics/job/x");
  assertEquals([status, body], [405, "Method Not Allowed\n"]);
  assertEquals(headers.get("allow"), "DELETE, OPTIONS, POST, PUT");
  const [s2, , h2] = await call("HEAD", "/metrics");
  assertEquals([s2, h2.get("allow")], [405, "GET, OPTIONS"]);
});

Deno.test("OPTIONS is answered automatically", async () => {
  const [status, body, headers] = await call("OPTIONS", "/metrics");
  assertEquals([status, body, headers.get("allow")], [200, "", "GET, OPTIONS"]);
});

Deno.test("trailing-slash and case redirects: 301 for GET, 307 otherwise", async () => {
  const [s1, , h1] = await call("GET", "/metrics/");
  assertEquals([s1, h1.get("location")], [301, "/metrics"]);
  const [s2, , h2] = await call("PUT", "/metrics/job/");
  assertEquals([s2, h2.get("location")], [307, "/metrics/job"]);
  const [s3, , h3] = await call("GET", "/static");
  assertEquals([s3, h3.get("location")], [301, "/static/"]);
  const [s4, , h4] = await call("GET", "/METRICS");
  assertEquals([s4, h4.get("location")], [301, "/metrics"]);
  const [s5, , h5] = await call("GET", "/Metrics/");
  assertEquals([s5, h5.get("location")], [301, "/metrics"]);
  assertEquals((await call("PUT", "/metrics/job@base64/"))[0], 404);
});

Deno.test("unknown paths give 404 page not found", async () => {
  assertEquals((await call("GET", "/nope")).slice(0, 2), [404, "404 page not found\n"]);
  assertEquals((await call("PUT", "/metrics")).slice(0, 2), [405, "Method Not Allowed\n"]);
});

Deno.test("cleanPath follows Go's ServeMux", () => {
  assertEquals(cleanPath("/metrics/job/ts//x/y"), "/metrics/job/ts/x/y");
  assertEquals(cleanPath("/a/./b/../c/"), "/a/c/");
  assertEquals(cleanPath("/"), "/");
  assertEquals(cleanPath("/a/.."), "/");
});
