import { assertEquals, assertMatch } from "@std/assert";
import { createLogger, type LogFormat, type LogLevel, renderLogLine } from "@lib/log.ts";

const TS = new Date("2026-05-27T15:00:00Z");

function capture(level: LogLevel, format: LogFormat, caller?: string) {
  const lines: string[] = [];
  const log = createLogger({ level, format, caller, now: () => TS, write: (l) => lines.push(l) });
  return { log, lines };
}

Deno.test("createLogger() writes logfmt lines in promslog's go-kit key order", () => {
  const { log, lines } = capture("info", "logfmt", "main.ts:81");
  log.info("starting pushgateway", { version: "(version=0.1.0, branch=HEAD, revision=abc)" });
  assertEquals(lines, [
    'ts=2026-05-27T15:00:00.000Z level=info caller=main.ts:81 msg="starting pushgateway" version="(version=0.1.0, branch=HEAD, revision=abc)"',
  ]);
});

Deno.test("createLogger() writes JSON lines with the same keys", () => {
  const { log, lines } = capture("info", "json", "main.ts:81");
  log.warn("write queue is full", { n: 3, ok: true, err: new Error('bad "x"'), none: null });
  assertEquals(lines, [
    '{"ts":"2026-05-27T15:00:00.000Z","level":"warn","caller":"main.ts:81","msg":"write queue is full","n":3,"ok":true,"err":"bad \\"x\\"","none":null}',
  ]);
  assertEquals(JSON.parse(lines[0] as string).err, 'bad "x"');
});

Deno.test("createLogger() filters by level", () => {
  const cases: [LogLevel, string[]][] = [
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
  ];
  for (const [level, want] of cases) {
    const { log, lines } = capture(level, "logfmt", "x.ts:1");
    log.debug("m");
    log.info("m");
    log.warn("m");
    log.error("m");
    assertEquals(lines.map((l) => /level=(\w+)/.exec(l)?.[1]), want, level);
    assertEquals(log.enabled("debug"), level === "debug");
    assertEquals(log.enabled("error"), true);
  }
});

Deno.test("renderLogLine() quotes logfmt values like Go's slog text handler", () => {
  const cases: [unknown, string][] = [
    ["plain", "k=plain"],
    ["", 'k=""'],
    ["a b", 'k="a b"'],
    ["a=b", 'k="a=b"'],
    ['say "hi"', 'k="say \\"hi\\""'],
    ["line\nbreak", 'k="line\\nbreak"'],
    ["tab\there", 'k="tab\\there"'],
    ["back\\slash", "k=back\\slash"],
    ["ünïcode", "k=ünïcode"],
    ["nbsp\u00a0x", 'k="nbsp\\u00a0x"'],
    ["del\x7f", "k=del\x7f"],
    ["/metrics/job/a", "k=/metrics/job/a"],
    [42, "k=42"],
    [1.5, "k=1.5"],
    [false, "k=false"],
    [null, "k=<nil>"],
    [undefined, "k=<nil>"],
    [new Error("open /x: no such file"), 'k="open /x: no such file"'],
    [new Date("2026-01-02T03:04:05.678Z"), "k=2026-01-02T03:04:05.678Z"],
    [{ a: 1 }, 'k="{\\"a\\":1}"'],
  ];
  for (const [value, want] of cases) {
    const line = renderLogLine("logfmt", {
      ts: TS,
      level: "info",
      caller: "c.ts:1",
      msg: "m",
      attrs: { k: value },
    });
    assertEquals(line, `ts=2026-05-27T15:00:00.000Z level=info caller=c.ts:1 msg=m ${want}`);
  }
});

Deno.test("renderLogLine() quotes keys that need it and escapes JSON like slog", () => {
  assertEquals(
    renderLogLine("logfmt", { ts: TS, level: "info", caller: "c", msg: "m", attrs: { "a b": 1 } }),
    'ts=2026-05-27T15:00:00.000Z level=info caller=c msg=m "a b"=1',
  );
  assertEquals(
    renderLogLine("json", {
      ts: TS,
      level: "error",
      caller: "c",
      msg: "<x> & \u2028\b",
      attrs: {},
    }),
    '{"ts":"2026-05-27T15:00:00.000Z","level":"error","caller":"c","msg":"<x> & \\u2028\\u0008"}',
  );
});

Deno.test("renderLogLine() renames attributes that clash with built-in keys", () => {
  const line = renderLogLine("logfmt", {
    ts: TS,
    level: "info",
    caller: "c",
    msg: "m",
    attrs: { ts: 1, level: 2, caller: 3, time: 4, source: 5, other: 6 },
  });
  assertEquals(
    line,
    "ts=2026-05-27T15:00:00.000Z level=info caller=c msg=m logged_ts=1 logged_level=2 logged_caller=3 logged_time=4 logged_source=5 other=6",
  );
});

Deno.test("createLogger() takes the caller from the stack: file:line, with the function at debug", () => {
  const info = capture("info", "logfmt");
  info.log.info("here");
  assertMatch(info.lines[0] as string, / caller=log_test\.ts:\d+ msg=here$/);

  const debug = capture("debug", "logfmt");
  function namedCaller(): void {
    debug.log.debug("here");
  }
  namedCaller();
  assertMatch(debug.lines[0] as string, / caller=log_test\.ts\(namedCaller\):\d+ msg=here$/);
});
