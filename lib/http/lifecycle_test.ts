/**
 * `/-/healthy`, `/-/ready` and `/-/quit` in-process. That a granted quit
 * really ends the process is `tests/lifecycle_test.ts`'s job.
 */

import { assertEquals } from "@std/assert";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";

const TEXT = "text/plain; charset=utf-8";

Deno.test("/-/healthy and /-/ready answer 200 OK", async () => {
  const { app } = appFromFlags();
  for (const path of ["/-/healthy", "/-/ready"]) {
    const res = await request(app, "GET", path);
    assertEquals([res.status, res.text, res.headers.get("content-type")], [200, "OK", TEXT]);
  }
  const head = await request(app, "HEAD", "/-/healthy");
  assertEquals([head.status, head.headers.get("allow")], [405, "GET, OPTIONS"]);
});

Deno.test("/-/quit without --web.enable-lifecycle: 403 and no quit requested", async () => {
  let quits = 0;
  const { app } = appFromFlags([], { requestQuit: () => quits++ });
  for (const method of ["PUT", "POST"]) {
    const res = await request(app, method, "/-/quit");
    assertEquals(
      [res.status, res.text, res.headers.get("content-type")],
      [403, "Lifecycle API is not enabled.", TEXT],
    );
  }
  const get = await request(app, "GET", "/-/quit");
  assertEquals([get.status, get.text], [405, "Only POST or PUT requests allowed."]);
  assertEquals(get.headers.get("allow"), null);
  assertEquals((await request(app, "GET", "/-/healthy")).status, 200);
  assertEquals(quits, 0);
});

for (const method of ["PUT", "POST"]) {
  Deno.test(`${method} /-/quit with --web.enable-lifecycle answers and requests the quit once`, async () => {
    let quits = 0;
    const { app } = appFromFlags(["--web.enable-lifecycle"], { requestQuit: () => quits++ });
    const get = await request(app, "GET", "/-/quit");
    assertEquals([get.status, quits], [405, 0], "a GET does not quit");
    const res = await request(app, method, "/-/quit");
    assertEquals(
      [res.status, res.text, res.headers.get("content-type")],
      [200, "Requesting termination... Goodbye!", TEXT],
    );
    assertEquals(quits, 1);
  });
}
