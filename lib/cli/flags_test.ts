import { assert, assertEquals } from "@std/assert";
import {
  computeRoutePrefix,
  type Config,
  formatFlagError,
  parseFlags,
  type ParseResult,
  validateStorage,
  validateUnsupported,
} from "@lib/cli/flags.ts";
import { FLAGS } from "@lib/cli/flag_specs.ts";

function run(argv: string[], opts = {}): Config {
  const r = parseFlags(argv, opts);
  if (r.kind !== "run") {
    throw new Error(`expected run for ${JSON.stringify(argv)}, got ${JSON.stringify(r)}`);
  }
  return r.config;
}

Deno.test("parseFlags() gives upstream's defaults and status flag values", () => {
  const c = run([]);
  assertEquals(c.listenAddresses, [":9091"]);
  assertEquals(c.telemetryPath, "/metrics");
  assertEquals(c.persistenceFile, "");
  assertEquals(c.persistenceIntervalMs, 300_000);
  assertEquals(c.logLevel, "info");
  assertEquals(c.logFormat, "logfmt");
  assertEquals(c.maxBodyBytes, 64 * 1024 * 1024);
  assertEquals(c.maxConcurrentBodyBytes, 128 * 1024 * 1024);
  assertEquals(c.maxSeriesPerPush, 100_000);
  assertEquals(c.defaultTtlMs, 0);
  assertEquals(c.maxSeries, 0);
  assertEquals(c.routePrefix, "");
  assertEquals(c.externalUrl, undefined);
  assertEquals(c.deprecatedSingleDash, []);
  assertEquals(c.flagValues, {
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
    "web.listen-address": ":9091",
    "web.route-prefix": "",
    "web.systemd-socket": "false",
    "web.telemetry-path": "/metrics",
  });
});

Deno.test("parseFlags() reads every flag in both --flag=value and --flag value forms", () => {
  const argv = [
    "--web.listen-address=:1",
    "--web.listen-address",
    "127.0.0.1:2",
    "--web.config.file",
    "/etc/web.yml",
    "--web.telemetry-path=/m",
    "--web.external-url=http://example.com/ext/",
    "--web.enable-lifecycle",
    "--web.enable-admin-api",
    "--web.enable-openmetrics",
    "--persistence.file",
    "/tmp/p",
    "--persistence.interval=1d",
    "--push.disable-consistency-check",
    "--push.enable-utf8-names",
    "--push.max-body-size=1KiB",
    "--push.max-concurrent-body-size",
    "1MiB",
    "--push.max-series-per-push=500",
    "--push.default-ttl",
    "1h30m",
    "--storage.max-series=0b11",
    "--log.level=DEBUG",
    "--log.format",
    "json",
  ];
  const c = run(argv);
  assertEquals(c.listenAddresses, [":1", "127.0.0.1:2"]);
  assertEquals(c.webConfigFile, "/etc/web.yml");
  assertEquals(c.telemetryPath, "/m");
  assertEquals(c.externalUrl?.href, "http://example.com/ext/");
  assertEquals(c.externalUrlRaw, "http://example.com/ext/");
  assertEquals(c.routePrefix, "/ext");
  assertEquals(c.externalPathPrefix, "/ext");
  assertEquals(
    [c.enableLifecycle, c.enableAdminApi, c.disableConsistencyCheck, c.enableUtf8Names],
    [true, true, true, true],
  );
  assertEquals(c.enableOpenMetrics, true);
  assertEquals(c.flagValues["web.enable-openmetrics"], "true");
  assertEquals(c.persistenceFile, "/tmp/p");
  assertEquals(c.persistenceIntervalMs, 86_400_000);
  assertEquals(c.maxBodyBytes, 1024);
  assertEquals(c.maxConcurrentBodyBytes, 1024 * 1024);
  assertEquals(c.maxSeriesPerPush, 500);
  assertEquals(c.defaultTtlMs, 5_400_000);
  assertEquals(c.maxSeries, 3);
  assertEquals(c.flagValues["push.default-ttl"], "1h30m0s");
  assertEquals(c.flagValues["storage.max-series"], "3");
  assertEquals(c.logLevel, "debug");
  assertEquals(c.logFormat, "json");
  assertEquals(c.flagValues["web.listen-address"], ":1,127.0.0.1:2");
  assertEquals(c.flagValues["persistence.interval"], "24h0m0s");
  assertEquals(c.flagValues["web.route-prefix"], "/ext");
  assertEquals(c.flagValues["log.level"], "debug");
  assertEquals(c.flagValues["push.max-body-size"], "1KiB");
  assertEquals(c.flagValues["web.enable-lifecycle"], "true");
});

Deno.test("parseFlags() handles --no- booleans, empty values and values with = or leading -", () => {
  const c = run([
    "--web.enable-lifecycle",
    "--no-push.enable-utf8-names",
    "--persistence.file=",
    "--web.telemetry-path",
    "-",
    "--web.external-url=http://a/p?x=1=2",
    "--web.route-prefix=-x",
  ]);
  assertEquals(c.enableLifecycle, true);
  assertEquals(c.enableUtf8Names, false);
  assertEquals(c.persistenceFile, "");
  assertEquals(c.telemetryPath, ""); // kingpin 2.4.0: a lone "-" is an empty argument
  assertEquals(c.externalUrlRaw, "http://a/p?x=1=2");
  assertEquals(c.routePrefix, "/-x");
});

Deno.test("parseFlags() reports kingpin's errors", () => {
  const cases: [string[], string][] = [
    [["--bogus"], "unknown long flag '--bogus'"],
    [["--bogus=1"], "unknown long flag '--bogus'"],
    [["--web.enable-lifecycle=true"], "unexpected true"],
    [["--web.enable-lifecycle=false"], "unexpected false"],
    [["--help=1"], "unexpected 1"],
    [["--web.telemetry-path"], "expected argument for flag '--web.telemetry-path'"],
    [
      ["--persistence.file", "--web.enable-lifecycle"],
      "expected argument for flag '--persistence.file'",
    ],
    [["--persistence.file", "-h"], "expected argument for flag '--persistence.file'"],
    [["--no-web.telemetry-path"], "unknown long flag '--no-web.telemetry-path'"],
    [["--no-bogus"], "unknown long flag '--no-bogus'"],
    [["-x"], "unknown short flag '-x'"],
    [["-hx"], "unknown short flag '-x'"],
    [["-persistence.bogus"], "unknown short flag '-p'"],
    [["-no-web.enable-lifecycle"], "unknown short flag '-n'"],
    [["foo"], "unexpected foo"],
    [["-"], "unexpected "],
    [["--", "--web.enable-lifecycle"], "unexpected --web.enable-lifecycle"],
    [["--completion-bash"], "unknown long flag '--completion-bash'"],
    [["--persistence.interval=abc"], 'time: invalid duration "abc"'],
    [["--persistence.interval="], 'time: invalid duration ""'],
    [["--persistence.interval=1"], 'time: missing unit in duration "1"'],
    [["--persistence.interval=1y"], 'time: unknown unit "y" in duration "1y"'],
    [["--log.level=x"], "unrecognized log level x"],
    [["--log.format=x"], "unrecognized log format x"],
    [["--log.format=JSON"], "unrecognized log format JSON"],
    [["--web.external-url=:foo"], 'invalid URL: parse ":foo": missing protocol scheme'],
    [["--push.max-body-size=1kB"], "units: unknown unit kB in 1kB"],
    [["--push.default-ttl=5"], 'time: missing unit in duration "5"'],
    [["--push.max-series-per-push=1e5"], 'strconv.ParseUint: parsing "1e5": invalid syntax'],
    [["--storage.max-series="], 'strconv.ParseUint: parsing "": invalid syntax'],
    [
      ["--persistence.file=a", "--persistence.file=b"],
      "flag 'persistence.file' cannot be repeated",
    ],
    [
      ["--web.enable-lifecycle", "--no-web.enable-lifecycle"],
      "flag 'web.enable-lifecycle' cannot be repeated",
    ],
    [
      ["-web.enable-lifecycle=maybe"],
      "invalid boolean value \"maybe\" for flag '-web.enable-lifecycle'",
    ],
  ];
  for (const [argv, message] of cases) {
    assertEquals(parseFlags(argv), { kind: "error", message }, JSON.stringify(argv));
  }
});

Deno.test("parseFlags() orders help, version and errors like kingpin", () => {
  const cases: [string[], ParseResult][] = [
    [["-h"], { kind: "help", variant: "default" }],
    [["--help"], { kind: "help", variant: "default" }],
    [["--no-help"], { kind: "help", variant: "default" }],
    [["--help-long"], { kind: "help", variant: "long" }],
    [["--help-man"], { kind: "help", variant: "man" }],
    [["--version"], { kind: "version" }],
    [["--no-version"], { kind: "version" }],
    // Version is a pre-action: it wins over errors found later on the line.
    [["--version", "--bogus"], { kind: "version" }],
    [["--version", "--persistence.interval=abc"], { kind: "version" }],
    [["--bogus", "--version"], { kind: "error", message: "unknown long flag '--bogus'" }],
    // Help wins over value errors but not over parse errors.
    [["--persistence.interval=abc", "-h"], { kind: "help", variant: "default" }],
    [["-h", "-h"], { kind: "help", variant: "default" }],
    [["-h", "--bogus"], { kind: "error", message: "unknown long flag '--bogus'" }],
    [["--help", "--version"], { kind: "version" }],
    [["-help"], { kind: "help", variant: "default" }],
    [["-version"], { kind: "version" }],
  ];
  for (const [argv, want] of cases) assertEquals(parseFlags(argv), want, JSON.stringify(argv));
});

Deno.test("parseFlags() accepts the old single-dash long spelling and records it", () => {
  const c = run([
    "-persistence.file=/x",
    "-web.listen-address",
    ":9092",
    "-web.enable-lifecycle",
    "-web.enable-admin-api=false",
    "-push.enable-utf8-names=1",
    "--log.level=warn",
  ]);
  assertEquals(c.persistenceFile, "/x");
  assertEquals(c.listenAddresses, [":9092"]);
  assertEquals(c.enableLifecycle, true);
  assertEquals(c.enableAdminApi, false);
  assertEquals(c.enableUtf8Names, true);
  assertEquals(c.logLevel, "warn");
  assertEquals(c.deprecatedSingleDash, [
    "-persistence.file",
    "-web.listen-address",
    "-web.enable-lifecycle",
    "-web.enable-admin-api",
    "-push.enable-utf8-names",
  ]);
  // A single-dash bool does not swallow the next separate argument (Go's flag package).
  assertEquals(parseFlags(["-web.enable-lifecycle", "true"]), {
    kind: "error",
    message: "unexpected true",
  });
  assertEquals(parseFlags(["-persistence.file"]), {
    kind: "error",
    message: "expected argument for flag '-persistence.file'",
  });
});

Deno.test("parseFlags() treats everything after -- as arguments, also as a flag value", () => {
  assertEquals(run(["--persistence.file", "--", "--x"]).persistenceFile, "--x");
  assertEquals(run(["--web.enable-lifecycle", "--"]).enableLifecycle, true);
});

Deno.test("parseFlags() expands @file arguments when given a reader", () => {
  const files: Record<string, string> = {
    "args.txt": "# comment\n--persistence.file=/data\n\n  \n--web.listen-address\r\n:9999\n",
    "nested.txt": "@args.txt\n--web.enable-lifecycle",
  };
  const readArgsFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(path);
    return text;
  };
  const c = run(["@nested.txt"], { readArgsFile });
  assertEquals(c.persistenceFile, "/data");
  assertEquals(c.listenAddresses, [":9999"]);
  assertEquals(c.enableLifecycle, true);
  assertEquals(parseFlags(["@"], { readArgsFile }), {
    kind: "error",
    message: "expected @ file to expand arguments from",
  });
  assertEquals(parseFlags(["@/nonexist"], { readArgsFile }), {
    kind: "error",
    message: 'failed to open arguments file "/nonexist": open /nonexist: no such file or directory',
  });
  // Without a reader, @file is a stray argument.
  assertEquals(parseFlags(["@args.txt"]), { kind: "error", message: "unexpected @args.txt" });
});

Deno.test("parseFlags() normalises the route prefix as upstream's newest", () => {
  const cases: [string[], string, string][] = [
    [[], "", ""],
    [["--web.route-prefix=/"], "", ""],
    [["--web.route-prefix=pg"], "/pg", ""],
    [["--web.route-prefix=/pg/"], "/pg", ""],
    [["--web.route-prefix=/pg//"], "/pg/", ""],
    [["--web.external-url=http://example.com/ext/"], "/ext", "/ext"],
    [["--web.external-url=http://example.com/ext"], "/ext", "/ext"],
    [["--web.external-url=http://example.com/"], "", ""],
    [["--web.external-url=http://example.com"], "", ""],
    [["--web.external-url=http://h/pg/", "--web.route-prefix=/"], "", "/pg"],
    [["--web.external-url=http://h/a%20b/"], "/a b", "/a b"],
    [["--web.external-url=example.com/pg"], "/example.com/pg", "/example.com/pg"],
  ];
  for (const [argv, routePrefix, externalPathPrefix] of cases) {
    const c = run(argv);
    assertEquals(
      [c.routePrefix, c.externalPathPrefix],
      [routePrefix, externalPathPrefix],
      argv.join(" "),
    );
    assertEquals(c.flagValues["web.route-prefix"], routePrefix);
  }
  assertEquals(run(["--web.external-url=example.com/pg"]).externalUrl, undefined);
});

Deno.test("computeRoutePrefix() follows upstream's rules", () => {
  const cases: [string, string, string][] = [
    ["", "", ""],
    ["", "/", ""],
    ["/", "/ext/", ""],
    ["x", "", "/x"],
    ["/x/", "", "/x"],
    ["", "/ext/", "/ext"],
  ];
  for (const [prefix, path, want] of cases) assertEquals(computeRoutePrefix(prefix, path), want);
});

Deno.test("validateUnsupported() names what Deno cannot do", () => {
  assertEquals(validateUnsupported(run([])), undefined);
  assertEquals(validateUnsupported(run(["--web.listen-address=[::1]:9091"])), undefined);
  const systemd = validateUnsupported(run(["--web.systemd-socket"]));
  assert(systemd?.includes("--web.systemd-socket"), systemd);
  const vsock = validateUnsupported(
    run(["--web.listen-address=:1", "--web.listen-address=vsock://:9100"]),
  );
  assert(vsock?.includes("vsock://:9100"), vsock);
});

Deno.test("formatFlagError() prints kingpin.MustParse's line", () => {
  assertEquals(
    formatFlagError("pushgateway", "unknown long flag '--bogus'"),
    "pushgateway: error: unknown long flag '--bogus', try --help",
  );
});

Deno.test("FLAGS lists upstream's flags in registration order, each once, and ours", () => {
  const names = FLAGS.filter((f) => !f.hidden).map((f) => f.name);
  assertEquals(names, [
    "help",
    "web.systemd-socket",
    "web.listen-address",
    "web.config.file",
    "web.telemetry-path",
    "web.external-url",
    "web.route-prefix",
    "web.enable-lifecycle",
    "web.enable-admin-api",
    "web.enable-openmetrics",
    "persistence.file",
    "persistence.interval",
    "persistence.export-upstream",
    "push.disable-consistency-check",
    "push.enable-utf8-names",
    "push.max-body-size",
    "push.max-concurrent-body-size",
    "push.max-series-per-push",
    "push.default-ttl",
    "storage.max-series",
    "storage.postgres-url",
    "storage.postgres-password-file",
    "storage.postgres-import",
    "storage.postgres-checkpoint-interval",
    "log.level",
    "log.format",
    "version",
  ]);
  assertEquals(new Set(FLAGS.map((f) => f.name)).size, FLAGS.length);
});

Deno.test("parseFlags() reads the shared store's flags; the URL's password is redacted in flagValues", () => {
  const url = "postgres://gw:s3cr%40t@db.example:5433/metrics?sslmode=require";
  const c = run([
    `--storage.postgres-url=${url}`,
    "--storage.postgres-password-file=/run/secrets/pg",
    "--storage.postgres-checkpoint-interval=30s",
  ]);
  assertEquals(c.postgresUrl, url);
  assertEquals(c.postgresPasswordFile, "/run/secrets/pg");
  assertEquals(c.postgresImport, "");
  assertEquals(c.postgresCheckpointIntervalMs, 30_000);
  assertEquals(c.ownMetricsApart, true);
  assertEquals(
    c.flagValues["storage.postgres-url"],
    "postgres://gw:xxxxx@db.example:5433/metrics?sslmode=require",
  );
  assertEquals(c.flagValues["storage.postgres-checkpoint-interval"], "30s");
  assertEquals(c.flagValues["persistence.interval"], "5m0s", "each duration flag its own value");
  assert(!JSON.stringify(c.flagValues).includes("s3cr"));
  assertEquals(run([]).ownMetricsApart, false);
});

Deno.test("validateStorage() refuses the shared store with a persistence file, and orphan flags", () => {
  const pg = "--storage.postgres-url=postgres://db/x";
  assertEquals(validateStorage(run([pg])), undefined);
  assertEquals(validateStorage(run([pg, "--storage.postgres-import=/a"])), undefined);
  assertEquals(validateStorage(run(["--persistence.file=/a"])), undefined);
  const both = validateStorage(run([pg, "--persistence.file=/a"]));
  assert(both?.startsWith("--storage.postgres-url and --persistence.file cannot be used together"));
  assert(both?.includes("--storage.postgres-import=FILE"), both);
  assertEquals(
    validateStorage(run(["--storage.postgres-import=/a"])),
    "--storage.postgres-import needs --storage.postgres-url",
  );
  assertEquals(
    validateStorage(run(["--storage.postgres-password-file=/a"])),
    "--storage.postgres-password-file needs --storage.postgres-url",
  );
});

Deno.test("parseFlags() reads --persistence.export-upstream, an action not listed in the status flags", () => {
  const r = parseFlags(["--persistence.file=/a", "--persistence.export-upstream=/b"]);
  assert(r.kind === "run");
  assertEquals(r.config.persistenceExportUpstream, "/b");
  assertEquals("persistence.export-upstream" in r.config.flagValues, false);
  const plain = parseFlags([]);
  assert(plain.kind === "run");
  assertEquals(plain.config.persistenceExportUpstream, "");
});
