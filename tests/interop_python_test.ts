/**
 * Interop with Python's `prometheus_client` (Debian's python3-prometheus-client,
 * importable only by `/usr/bin/python3`): `push_to_gateway`,
 * `pushadd_to_gateway` and `delete_from_gateway` against our gateway on
 * 127.0.0.1, including grouping keys that need base64 and Basic auth.
 *
 * Without the module the tests are skipped with a message, except under
 * `CI=true`, where they fail (`.ci/run` installs the package).
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import bcrypt from "bcryptjs";
import { hasProgram, testNeeding } from "./helpers/requirements.ts";
import { sampleLines } from "@lib/http/test_client.ts";
import { run, testWithGateway, withGateway } from "./helpers/gateway.ts";
import { getText, INTEROP_DATA, tempTree } from "./helpers/interop.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("python_push.py", INTEROP_DATA).pathname;

async function probePython(): Promise<boolean> {
  if (!hasProgram(PYTHON)) return false;
  const probe = await run(PYTHON, ["-c", "import prometheus_client"]);
  return probe.code === 0;
}

const CLIENT = {
  available: await probePython(),
  reason: `${PYTHON} cannot import prometheus_client (Debian package "python3-prometheus-client")`,
};

/** A metric for the script (see `python_push.py`). */
interface MetricSpec {
  type: "counter" | "gauge" | "histogram" | "summary";
  name: string;
  help: string;
  labels?: Record<string, string>;
  value?: number;
  buckets?: number[];
  observe?: number[];
}

/** One call of the Python client. */
interface PyRequest {
  op: "push" | "pushadd" | "delete";
  gateway: string;
  job: string;
  grouping?: Record<string, string>;
  auth?: [string, string];
  metrics?: MetricSpec[];
}

/** Runs the Python client; returns its exit code and stderr. */
async function python(request: PyRequest): Promise<{ code: number; stderr: string }> {
  const out = await run(PYTHON, [SCRIPT, JSON.stringify(request)], {
    // Keep the client's default `*_created` series even if the caller's environment disables them.
    PROMETHEUS_DISABLE_CREATED_SERIES: "",
  });
  return { code: out.code, stderr: out.stderr };
}

/** Runs the Python client and fails with its traceback unless it succeeded. */
async function pythonOk(request: PyRequest): Promise<void> {
  const out = await python(request);
  assertEquals(out.code, 0, `python ${request.op} failed:\n${out.stderr}`);
}

const JOB = "nightly/etl";
const GROUPING = { path: "/var/tmp", empty: "", shard: "a b" };
/** Labels of GROUPING as the gateway stores them (sorted, job included). */
const STORED = 'empty="",instance="",job="nightly/etl",path="/var/tmp",shard="a+b"';

const ALL_TYPES: MetricSpec[] = [
  {
    type: "counter",
    name: "py_records",
    help: "Records.",
    labels: { stage: "load" },
    value: 42,
  },
  { type: "gauge", name: "py_last_success", help: "Last success.", value: 1.5 },
  {
    type: "histogram",
    name: "py_duration_seconds",
    help: "Duration.",
    buckets: [0.5, 1],
    observe: [0.25, 0.75, 3],
  },
  { type: "summary", name: "py_size_bytes", help: "Size.", observe: [10, 30] },
];

testWithGateway(
  "python: push_to_gateway stores every type under a base64 job and grouping key",
  [],
  async (gw) => {
    await pythonOk({
      op: "push",
      gateway: gw.url,
      job: JOB,
      grouping: GROUPING,
      metrics: ALL_TYPES,
    });
    const text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "py_records_total"), [
      `py_records_total{${STORED},stage="load"} 42`,
    ]);
    // The client's `*_created` series arrive as gauge families of their own.
    assertStringIncludes(text, "# TYPE py_records_created gauge\n");
    assertMatch(
      sampleLines(text, "py_records_created")[0] ?? "",
      /^py_records_created\{empty="",.*stage="load"\} \d\.\d+e\+09$/,
    );
    assertEquals(sampleLines(text, "py_last_success"), [`py_last_success{${STORED}} 1.5`]);
    assertStringIncludes(text, "# TYPE py_duration_seconds histogram\n");
    assertEquals(sampleLines(text, "py_duration_seconds_bucket"), [
      `py_duration_seconds_bucket{${STORED},le="0.5"} 1`,
      `py_duration_seconds_bucket{${STORED},le="1"} 2`,
      `py_duration_seconds_bucket{${STORED},le="+Inf"} 3`,
    ]);
    assertEquals(sampleLines(text, "py_duration_seconds_sum"), [
      `py_duration_seconds_sum{${STORED}} 4`,
    ]);
    assertEquals(sampleLines(text, "py_duration_seconds_count"), [
      `py_duration_seconds_count{${STORED}} 3`,
    ]);
    assertStringIncludes(text, "# TYPE py_size_bytes summary\n");
    assertEquals(sampleLines(text, "py_size_bytes_count"), [`py_size_bytes_count{${STORED}} 2`]);
    assertEquals(sampleLines(text, "py_size_bytes_sum"), [`py_size_bytes_sum{${STORED}} 40`]);
    assertMatch(
      text,
      new RegExp(`\npush_time_seconds\\{${RegExp.escape(STORED)}\\} \\d\\.\\d+e\\+09\n`),
    );
    assertStringIncludes(text, `push_failure_time_seconds{${STORED}} 0\n`);
  },
  { needs: CLIENT },
);

testWithGateway(
  "python: pushadd merges by family, push replaces, delete removes only its group",
  [],
  async (gw) => {
    const [counter, gauge] = ALL_TYPES;
    assert(counter && gauge);
    await pythonOk({
      op: "push",
      gateway: gw.url,
      job: JOB,
      grouping: GROUPING,
      metrics: [counter, gauge],
    });
    // Another group of the same job: different grouping key.
    await pythonOk({
      op: "push",
      gateway: gw.url,
      job: JOB,
      grouping: { ...GROUPING, path: "/srv/other" },
      metrics: [{ ...gauge, value: 9 }],
    });
    await pythonOk({
      op: "pushadd",
      gateway: gw.url,
      job: JOB,
      grouping: GROUPING,
      metrics: [{ ...gauge, value: 2.5 }],
    });
    let text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "py_records_total"), [
      `py_records_total{${STORED},stage="load"} 42`,
    ]);
    assertEquals(sampleLines(text, "py_last_success"), [
      'py_last_success{empty="",instance="",job="nightly/etl",path="/srv/other",shard="a+b"} 9',
      `py_last_success{${STORED}} 2.5`,
    ]);

    await pythonOk({
      op: "push",
      gateway: gw.url,
      job: JOB,
      grouping: GROUPING,
      metrics: [{ ...gauge, value: 3.5 }],
    });
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "py_records_total"), [], "PUT replaced the whole group");
    assertStringIncludes(text, `py_last_success{${STORED}} 3.5\n`);

    await pythonOk({ op: "delete", gateway: gw.url, job: JOB, grouping: GROUPING });
    text = await getText(`${gw.url}/metrics`);
    assertEquals(sampleLines(text, "py_last_success"), [
      'py_last_success{empty="",instance="",job="nightly/etl",path="/srv/other",shard="a+b"} 9',
    ]);
    assert(!text.includes('path="/var/tmp"'), "the deleted group left no series behind");
  },
  { needs: CLIENT },
);

testNeeding(CLIENT, "python: basic_auth_handler against --web.config.file", async () => {
  const dir = await tempTree("pgw-interop-py-");
  try {
    const hash = bcrypt.hashSync("s3cret", 4);
    const config = await dir.write("web.yml", `basic_auth_users:\n  alice: ${hash}\n`);
    await withGateway([`--web.config.file=${config}`], async (gw) => {
      const url = gw.url;
      const metrics: MetricSpec[] = [{ type: "gauge", name: "py_auth", help: "Auth.", value: 1 }];
      const good = { gateway: url, job: "secure", auth: ["alice", "s3cret"] as [string, string] };

      await pythonOk({ op: "push", ...good, metrics });
      const auth = { authorization: `Basic ${btoa("alice:s3cret")}` };
      assertStringIncludes(
        await getText(`${url}/metrics`, auth),
        'py_auth{instance="",job="secure"} 1\n',
      );

      const wrong = await python({ op: "push", ...good, auth: ["alice", "nope"], metrics });
      assertEquals(wrong.code, 1);
      assertStringIncludes(wrong.stderr, "HTTP Error 401: Unauthorized");
      const nobody = await python({ op: "pushadd", gateway: url, job: "secure", metrics });
      assertEquals(nobody.code, 1);
      assertStringIncludes(nobody.stderr, "HTTP Error 401: Unauthorized");
      const badDelete = await python({ op: "delete", ...good, auth: ["bob", "s3cret"] });
      assertEquals(badDelete.code, 1);
      assertStringIncludes(badDelete.stderr, "HTTP Error 401: Unauthorized");
      assertStringIncludes(
        await getText(`${url}/metrics`, auth),
        "py_auth{",
        "rejected calls changed nothing",
      );

      await pythonOk({ op: "delete", ...good });
      assertEquals(sampleLines(await getText(`${url}/metrics`, auth), "py_auth"), []);
    });
  } finally {
    await dir.remove();
  }
});
