import { assertEquals } from "@std/assert";
import { normaliseApiMetrics, normaliseError, normaliseScrape } from "./compare_normalise.ts";

Deno.test("normalisation helpers", () => {
  assertEquals(
    normaliseScrape(
      '# HELP go_x y\ngo_x 1\na 1\npush_time_seconds{job="j"} 1.7e+09\n' +
        'push_failure_time_seconds{job="j"} 0\n',
    ),
    'a 1\npush_time_seconds{job="j"} <time>\npush_failure_time_seconds{job="j"} 0\n',
  );
  assertEquals(
    normaliseError(
      'x: collected metric "d" { label:<name:"a" value:"b" > gauge:<value:1 > } was collected before',
    ),
    'x: collected metric "d" {…} was collected before',
  );
  assertEquals(
    normaliseApiMetrics(
      '{"status":"success","data":[{"labels":{"job":"b"},"m":{"time_stamp":"t","metrics":[]}},' +
        '{"labels":{"job":"a"}}]}',
    ),
    '{"status":"success","data":[{"labels":{"job":"a"}},' +
      '{"labels":{"job":"b"},"m":{"time_stamp":"<ts>","metrics":[]}}]}',
  );
});
