/**
 * Black-box tests of the command line (docs/upstream.md §9): `-h` and `--version`, every
 * flag's default and value as `/api/v1/status` shows it, kingpin's error texts
 * and exit codes, repeated listen addresses, the old single-dash spelling,
 * unsupported listeners, a port in use, and the log lines' shape.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { request } from "@lib/http/test_client.ts";
import { runMain, type RunningGateway, waitForLog, withGateway } from "./helpers/gateway.ts";

const HELP_TXT = new URL("./testdata/cli/help.txt", import.meta.url);

async function flagsOf(gw: RunningGateway, prefix = ""): Promise<Record<string, string>> {
  return JSON.parse((await request(gw, "GET", `${prefix}/api/v1/status`)).text).data.flags;
}

const DEFAULT_FLAGS: Record<string, string> = {
  "log.format": "logfmt",
  "log.level": "info",
  "persistence.file": "",
  "persistence.interval": "5m0s",
  "push.disable-consistency-check": "false",
  "push.enable-utf8-names": "false",
  "push.default-ttl": "0s",
  "push.max-body-size": "64MiB",
  "push.max-concurrent-body-size": "128MiB",
  "push.max-series-per-push": "100000",
  "storage.max-series": "0",
  "storage.postgres-checkpoint-interval": "5m0s",
  "storage.postgres-password-file": "",
  "storage.postgres-url": "",
  "web.config.file": "",
  "web.enable-admin-api": "false",
  "web.enable-lifecycle": "false",
  "web.enable-openmetrics": "false",
  "web.external-url": "",
  "web.listen-address": "127.0.0.1:0",
  "web.route-prefix": "",
  "web.systemd-socket": "false",
  "web.telemetry-path": "/metrics",
};

/** The flags upstream does not have. */
const OUR_FLAGS = [
  "persistence.export-upstream",
  "push.max-body-size",
  "push.max-concurrent-body-size",
  "push.max-series-per-push",
  "push.default-ttl",
  "storage.max-series",
  "storage.postgres-url",
  "storage.postgres-password-file",
  "storage.postgres-import",
  "storage.postgres-checkpoint-interval",
];

/** Our `-h` without the rows of the flags upstream does not have. */
function withoutOurFlags(help: string): string {
  let lines = help.split("\n");
  for (const flag of OUR_FLAGS) {
    const start = lines.findIndex((l) => l.startsWith(`      --${flag}=`));
    assert(start >= 0, `our --${flag} is listed`);
    let end = start + 1;
    while (end < lines.length && !lines[end]!.startsWith("      --")) end++;
    lines = [...lines.slice(0, start), ...lines.slice(end)];
  }
  return lines.join("\n");
}

Deno.test("-h and --help print upstream's help (refused features noted, plus our flags) on stdout, exit 0", async () => {
  const want = await Deno.readTextFile(HELP_TXT);
  for (const flag of ["-h", "--help"]) {
    const out = await runMain([flag]);
    assertEquals([out.code, out.stderr], [0, ""], flag);
    assertStringIncludes(out.stdout, "--push.max-body-size=64MiB");
    assertStringIncludes(out.stdout, '--persistence.export-upstream=""');
    assertEquals(withoutOurFlags(out.stdout), want, flag);
  }
});

Deno.test("--version prints version.Print's format on stdout, exit 0", async () => {
  const out = await runMain(["--version"]);
  assertEquals([out.code, out.stderr], [0, ""]);
  assertMatch(
    out.stdout,
    new RegExp(
      "^pushgateway, version \\S+ \\(branch: \\S+, revision: \\S+\\)\\n" +
        "  build user:       \\S.*\\n" +
        "  build date:       \\S.*\\n" +
        "  go version:       \\S+\\n" +
        "  platform:         \\S+/\\S+\\n" +
        "  tags:             \\S.*\\n$",
    ),
  );
});

Deno.test("every flag accepted with its default value, shown in /api/v1/status", async () => {
  const args = [
    "--no-web.systemd-socket",
    "--web.config.file=",
    "--web.telemetry-path=/metrics",
    "--web.external-url=",
    "--web.route-prefix=",
    "--no-web.enable-lifecycle",
    "--no-web.enable-admin-api",
    "--no-web.enable-openmetrics",
    "--persistence.file=",
    "--persistence.interval=5m",
    "--no-push.disable-consistency-check",
    "--no-push.enable-utf8-names",
    "--push.max-body-size=64MiB",
    "--push.max-concurrent-body-size=128MiB",
    "--push.max-series-per-push=100000",
    "--push.default-ttl=0",
    "--storage.max-series=0",
    "--storage.postgres-url=",
    "--storage.postgres-password-file=",
    "--storage.postgres-import=",
    "--storage.postgres-checkpoint-interval=5m",
    "--log.level=info",
    "--log.format=logfmt",
  ];
  await withGateway(args, async (gw) => {
    assertEquals(await flagsOf(gw), DEFAULT_FLAGS);
  });
  await withGateway([], async (gw) => {
    assertEquals(await flagsOf(gw), DEFAULT_FLAGS, "the same without flags");
  });
});

Deno.test("every flag's non-default value is taken and shown in kingpin's string form", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/pg.data`;
    const args = [
      "--web.listen-address",
      "127.0.0.1:0",
      "--web.telemetry-path=/scrape",
      "--web.external-url=http://example.com/ext/",
      "--web.route-prefix=pfx/",
      "--web.enable-lifecycle",
      "--web.enable-admin-api",
      "--web.enable-openmetrics",
      `--persistence.file=${file}`,
      "--persistence.interval=1d",
      "--push.disable-consistency-check",
      "--push.enable-utf8-names",
      "--push.max-body-size=2MiB",
      "--push.max-concurrent-body-size=1GiB",
      "--push.max-series-per-push=0x10",
      "--push.default-ttl=1d12h",
      "--storage.max-series=1_000",
      "--storage.postgres-checkpoint-interval=90s",
      "--log.level=DEBUG",
      "--log.format=json",
    ];
    await withGateway(args, async (gw) => {
      assertEquals(await flagsOf(gw, "/pfx"), {
        ...DEFAULT_FLAGS,
        "log.format": "json",
        "log.level": "debug",
        "persistence.file": file,
        "persistence.interval": "24h0m0s",
        "push.disable-consistency-check": "true",
        "push.enable-utf8-names": "true",
        "push.max-body-size": "2MiB",
        "push.max-concurrent-body-size": "1GiB",
        "push.max-series-per-push": "16",
        "push.default-ttl": "36h0m0s",
        "storage.max-series": "1000",
        "storage.postgres-checkpoint-interval": "1m30s",
        "web.enable-admin-api": "true",
        "web.enable-lifecycle": "true",
        "web.enable-openmetrics": "true",
        "web.external-url": "http://example.com/ext/",
        "web.listen-address": "127.0.0.1:0,127.0.0.1:0",
        "web.route-prefix": "/pfx",
        "web.telemetry-path": "/scrape",
      });
      // The values act: the prefix and telemetry path route, unchecked pushes get 202.
      assertEquals((await request(gw, "PUT", "/pfx/metrics/job/a", "m 1\n")).status, 202);
      assertEquals((await request(gw, "GET", "/pfx/scrape")).status, 200);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kingpin's errors: one line on stderr, exit 1", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus"], "unknown long flag '--bogus'"],
    [["-x"], "unknown short flag '-x'"],
    [["--web.enable-lifecycle=true"], "unexpected true"],
    [["--persistence.interval=abc"], 'time: invalid duration "abc"'],
    [["--persistence.file"], "expected argument for flag '--persistence.file'"],
    [["--web.listen-address"], "expected argument for flag '--web.listen-address'"],
    [["stray"], "unexpected stray"],
    [
      ["--web.telemetry-path=/a", "--web.telemetry-path=/b"],
      "flag 'web.telemetry-path' cannot be repeated",
    ],
    [["--log.level=verbose"], "unrecognized log level verbose"],
    [["--log.format=xml"], "unrecognized log format xml"],
    [["--web.external-url=:x"], 'invalid URL: parse ":x": missing protocol scheme'],
    [["--push.default-ttl=1y"], 'time: unknown unit "y" in duration "1y"'],
    [["--push.max-series-per-push=-1"], 'strconv.ParseUint: parsing "-1": invalid syntax'],
    [["--storage.max-series=lots"], 'strconv.ParseUint: parsing "lots": invalid syntax'],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const out = await runMain(args);
      assertEquals(out, {
        code: 1,
        stdout: "",
        stderr: `pushgateway: error: ${message}, try --help\n`,
      });
    });
  }
});

Deno.test("--web.listen-address repeated: both listeners answer", async () => {
  await withGateway(["--web.listen-address=127.0.0.1:0"], async (gw) => {
    let ports: number[] = [];
    for (let i = 0; i < 200 && ports.length < 2; i++) {
      ports = gw.logs.flatMap((l) => {
        const m = l.match(/msg="?Listening on"? .*address=\S*:(\d+)/);
        return m ? [Number(m[1])] : [];
      });
      if (ports.length < 2) await new Promise((r) => setTimeout(r, 25));
    }
    assertEquals(ports.length, 2, gw.logs.join("\n"));
    assert(ports[0] !== ports[1]);
    const put = await request(`http://127.0.0.1:${ports[0]}`, "PUT", "/metrics/job/both", "m 1\n");
    assertEquals(put.status, 200);
    const scrape = await request(`http://127.0.0.1:${ports[1]}`, "GET", "/metrics");
    assertStringIncludes(scrape.text, 'm{instance="",job="both"} 1\n');
  });
});

Deno.test("the old single-dash spelling is accepted, with a deprecation warning", async () => {
  await withGateway(["-web.enable-lifecycle", "-persistence.interval", "2m"], async (gw) => {
    const flags = await flagsOf(gw);
    assertEquals([flags["web.enable-lifecycle"], flags["persistence.interval"]], ["true", "2m0s"]);
    const line = await waitForLog(gw, /deprecated single-dash flag/);
    assertMatch(line, /level=warn /);
    assertStringIncludes(line, "-web.enable-lifecycle");
    await waitForLog(gw, /deprecated single-dash flag.*-persistence\.interval/);
  });
});

Deno.test("--web.systemd-socket and vsock:// addresses fail at start-up with a clear message", async () => {
  const systemd = await runMain(["--web.systemd-socket"]);
  assert(systemd.code !== 0, JSON.stringify(systemd));
  assertStringIncludes(systemd.stderr, "--web.systemd-socket is not supported");
  assertStringIncludes(systemd.stderr, "level=error");
  const vsock = await runMain(["--web.listen-address=vsock://:9100"]);
  assert(vsock.code !== 0, JSON.stringify(vsock));
  assertStringIncludes(vsock.stderr, "vsock listen addresses are not supported");
  assertStringIncludes(vsock.stderr, "vsock://:9100");
});

Deno.test("a port in use: non-zero exit and a message naming the address", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (holder.addr as Deno.NetAddr).port;
    const out = await runMain([`--web.listen-address=127.0.0.1:${port}`]);
    assert(out.code !== 0, JSON.stringify(out));
    assertStringIncludes(out.stderr, "level=error");
    assertStringIncludes(out.stderr, `127.0.0.1:${port}`);
    assertStringIncludes(out.stderr, "address already in use");
  } finally {
    holder.close();
  }
});

Deno.test("logfmt start-up lines: ts, level, caller, msg, then attributes", async () => {
  await withGateway([], async (gw) => {
    const ts = "ts=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    const start = await waitForLog(gw, /msg="starting pushgateway"/);
    assertMatch(
      start,
      new RegExp(`^${ts} level=info caller=\\S+ msg="starting pushgateway" version=`),
    );
    assertMatch(
      await waitForLog(gw, /msg="Build context"/),
      new RegExp(`^${ts} level=info caller=\\S+ msg="Build context" build_context=`),
    );
    assertMatch(
      await waitForLog(gw, /msg="Listening on"/),
      new RegExp(`^${ts} level=info caller=\\S+ msg="Listening on" address=127\\.0\\.0\\.1:\\d+`),
    );
    assert(!gw.logs.some((l) => l.includes("level=debug")), "no debug lines at info");
  });
});

Deno.test("--log.format=json and --log.level=debug", async () => {
  await withGateway(["--log.format=json", "--log.level=debug"], async (gw) => {
    const start = await waitForLog(gw, /"msg":"starting pushgateway"/);
    const parsed = JSON.parse(start);
    assertEquals(Object.keys(parsed).slice(0, 4), ["ts", "level", "caller", "msg"]);
    assertEquals(parsed.level, "info");
    assertMatch(parsed.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert(typeof parsed.version === "string");
    JSON.parse(await waitForLog(gw, /"msg":"Build context"/));
    const listening = JSON.parse(await waitForLog(gw, /"msg":"Listening on"/));
    assertMatch(listening.address, /^127\.0\.0\.1:\d+$/);
    // A text parse error is logged at debug level only.
    assertEquals((await request(gw, "PUT", "/metrics/job/p", "m 1")).status, 400);
    const debug = JSON.parse(await waitForLog(gw, /"msg":"failed to parse text"/));
    assertEquals(debug.level, "debug");
    // promslog renames a logged `source` attribute (slog's reserved key) to `logged_source`.
    assertMatch(debug.logged_source, /^127\.0\.0\.1:\d+$/);
    for (const line of gw.logs.filter((l) => l.startsWith("{"))) JSON.parse(line);
  });
});

Deno.test("rejected pushes are logged at error level with method and source", async () => {
  await withGateway([], async (gw) => {
    await request(gw, "PUT", "/metrics/job/a", "# TYPE x gauge\nx 1\n");
    const res = await request(gw, "POST", "/metrics/job/b", "# TYPE x counter\nx 1\n");
    assertEquals(res.status, 400);
    const line = await waitForLog(gw, /pushed metrics are invalid or inconsistent/);
    assertMatch(
      line,
      /level=error caller=\S+ msg="pushed metrics are invalid or inconsistent with existing metrics" method=POST logged_source=127\.0\.0\.1:\d+ err=".*is not a GAUGE"$/,
    );
    // A parse error is not logged at info level.
    await request(gw, "PUT", "/metrics/job/p", "m 1");
    await new Promise((r) => setTimeout(r, 100));
    assert(!gw.logs.some((l) => l.includes("failed to parse text")));
  });
});
