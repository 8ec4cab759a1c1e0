/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): health, quit
 * refused, the API's routes, the shape of `/api/v1/status`, admin wipe.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { request } from "@lib/http/test_client.ts";
import { compareScenarios, del, get, post, put, REFERENCE, withPair } from "./helpers/compare.ts";
import { testNeeding } from "./helpers/requirements.ts";

compareScenarios("compare: health, quit, API routes, status (docs/upstream.md §2, §7)", [], [
  {
    name: "health and ready, quit disabled, bare GET /-/quit",
    steps: [
      get("/-/healthy"),
      get("/-/ready"),
      put("/-/quit"),
      post("/-/quit"),
      get("/-/quit"),
      del("/-/quit"),
    ],
    scrape: false,
  },
  {
    name: "API routing: OPTIONS anywhere, 405, 404, /api/v1 redirect, wipe disabled",
    steps: [
      { method: "OPTIONS", path: "/api/v1/status" },
      { method: "OPTIONS", path: "/api/v1/anything/at/all" },
      { method: "OPTIONS", path: "/api/v1/" },
      { method: "POST", path: "/api/v1/status" },
      { method: "DELETE", path: "/api/v1/metrics" },
      get("/api/v1/nope"),
      get("/api/v1"),
      get("/api/v1/"),
      get("/api/v1/status/"),
      put("/api/v1/admin/wipe"),
      get("/api/v1/admin/wipe"),
      { method: "HEAD", path: "/api/v1/status" },
    ],
    scrape: false,
  },
  {
    name: "empty /api/v1/metrics",
    steps: [get("/api/v1/metrics")],
    scrape: false,
  },
]);

testNeeding(REFERENCE, "compare: /api/v1/status shape, flag keys and default values", async () => {
  await withPair([], async (pair) => {
    const [ref, ours] = await Promise.all(
      [pair.ref, pair.ours].map((t) => request(t, "GET", "/api/v1/status")),
    );
    for (const side of [ref, ours]) {
      assertEquals(side!.headers.get("content-type"), "application/json");
    }
    const parse = (text: string) =>
      JSON.parse(text) as {
        status: string;
        data: {
          build_information: Record<string, string>;
          flags: Record<string, string>;
          start_time: string;
        };
      };
    const r = parse(ref!.text);
    const o = parse(ours!.text);
    assertEquals(Object.keys(o), Object.keys(r));
    assertEquals(Object.keys(o.data), Object.keys(r.data));
    assertEquals(Object.keys(o.data.build_information), Object.keys(r.data.build_information));
    // Known difference "status-flag-set": web.local-assets (Debian) vs our additions.
    const ourExtras = [
      "push.enable-utf8-names",
      "push.max-body-size",
      "push.max-concurrent-body-size",
      "push.max-series-per-push",
      "push.default-ttl",
      "storage.max-series",
      "storage.postgres-checkpoint-interval",
      "storage.postgres-password-file",
      "storage.postgres-url",
      "web.enable-openmetrics",
    ];
    const common = (flags: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(flags).filter(([k]) =>
          k !== "web.local-assets" && !ourExtras.includes(k) && k !== "web.listen-address"
        ),
      );
    assertEquals(Object.keys(common(o.data.flags)), Object.keys(common(r.data.flags)));
    assertEquals(common(o.data.flags), common(r.data.flags));
    assertMatch(r.data.flags["web.listen-address"]!, /^127\.0\.0\.1:\d+$/);
    assertEquals(o.data.flags["web.listen-address"], "127.0.0.1:0");
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
    assertMatch(r.data.start_time, rfc3339);
    assertMatch(o.data.start_time, rfc3339);
    // The flags object is serialised with sorted keys on both sides.
    const keys = Object.keys(o.data.flags);
    assertEquals(keys, [...keys].sort());
  });
});

compareScenarios("compare: admin wipe (docs/upstream.md §5)", ["--web.enable-admin-api"], [
  {
    name: "wipe answers 202 without CORS and removes every group",
    steps: [
      put("/metrics/job/a", "m 1\n"),
      put("/metrics/job/b/x/y", "m 2\n"),
      put("/api/v1/admin/wipe"),
    ],
    api: true,
  },
  {
    name: "other methods on the wipe path",
    steps: [
      get("/api/v1/admin/wipe"),
      post("/api/v1/admin/wipe"),
      { method: "OPTIONS", path: "/api/v1/admin/wipe" },
      put("/api/v1/admin/wipe/"),
    ],
  },
]);
