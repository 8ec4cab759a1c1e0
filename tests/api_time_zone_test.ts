/**
 * The JSON API's times in a process whose zone is not UTC: Go formats them
 * in `time.Local`, which comes from `TZ`. Everything else of `/api/v1/…` is
 * tested in-process (`lib/http/api_v1_test.ts`).
 */

import { assertMatch } from "@std/assert";
import { request } from "@lib/http/test_client.ts";
import { testWithGateway } from "./helpers/gateway.ts";

testWithGateway(
  "times are RFC 3339 in the server's local zone (Go's time.Local)",
  [],
  async (gw) => {
    await request(gw, "PUT", "/metrics/job/z", "m 1\n");
    const status = JSON.parse((await request(gw, "GET", "/api/v1/status")).text);
    assertMatch(status.data.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?\+05:30$/);
    const data = JSON.parse((await request(gw, "GET", "/api/v1/metrics")).text).data;
    assertMatch(data[0].m.time_stamp, /\+05:30$/);
  },
  { env: { TZ: "Asia/Kolkata" } },
);
