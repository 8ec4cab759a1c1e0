import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { ASSETS, serveAsset, servedAssets } from "@lib/ui/assets.ts";

Deno.test("serveAsset() serves each embedded asset with its content type and an ETag", async () => {
  const cases: [string, string, string][] = [
    ["/app.css", "text/css; charset=utf-8", "details.group"],
    ["/app.js", "text/javascript; charset=utf-8", "sessionStorage"],
    ["/favicon.svg", "image/svg+xml", "<svg"],
  ];
  for (const [path, type, content] of cases) {
    const res = await serveAsset(new Request(`http://gw/static${path}`), path);
    assertEquals(res.status, 200, path);
    assertEquals(res.headers.get("content-type"), type);
    assertEquals(res.headers.get("x-content-type-options"), "nosniff");
    assertEquals(res.headers.get("cache-control"), "no-cache");
    assert(
      /^"[0-9a-f]+-[A-Za-z0-9+/]+"$/.test(res.headers.get("etag") ?? ""),
      res.headers.get("etag") ?? "",
    );
    assertStringIncludes(await res.text(), content);
  }
});

Deno.test("serveAsset() answers 304 to a matching If-None-Match", async () => {
  const first = await serveAsset(new Request("http://gw/static/app.js"), "/app.js");
  await first.body?.cancel();
  const etag = first.headers.get("etag") ?? "";
  const cases: [string, number][] = [
    [etag, 304],
    [`W/${etag}`, 304],
    [`"other", ${etag}`, 304],
    ["*", 304],
    [`"other"`, 200],
  ];
  for (const [header, status] of cases) {
    const res = await serveAsset(
      new Request("http://gw/static/app.js", { headers: { "if-none-match": header } }),
      "/app.js",
    );
    assertEquals(res.status, status, header);
    assertEquals(res.headers.get("etag"), etag);
    if (status === 304) assertEquals(await res.text(), "");
    else await res.body?.cancel();
  }
});

Deno.test("serveAsset() caches a URL with the current version for a long time", async () => {
  const version = (await servedAssets()).get("app.css")?.version ?? "";
  assert(/^[A-Za-z0-9]{8,}$/.test(version), version);
  const cases: [string, string][] = [
    [`?v=${version}`, "public, max-age=31536000, immutable"],
    ["?v=old", "no-cache"],
    ["", "no-cache"],
  ];
  for (const [query, cacheControl] of cases) {
    const res = await serveAsset(new Request(`http://gw/static/app.css${query}`), "/app.css");
    await res.body?.cancel();
    assertEquals(res.headers.get("cache-control"), cacheControl, query);
  }
});

Deno.test("serveAsset() answers 404 for unknown paths", async () => {
  for (const path of ["/", "/nope.js", "/app.css/x", "/../deno.json", "/APP.CSS"]) {
    const res = await serveAsset(new Request(`http://gw/static${path}`), path);
    assertEquals(res.status, 404, path);
    assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assertEquals(await res.text(), "404 page not found\n");
  }
});

Deno.test("ASSETS are embedded, not read at run time", () => {
  for (const [name, asset] of ASSETS) assert(asset.body.length > 100, name);
  assertEquals([...ASSETS.keys()].sort(), ["app.css", "app.js", "favicon.svg"]);
});
