import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { PushLimitError } from "@lib/model/push_limits.ts";

const LEGACY = { scheme: "legacy" } as const;

function limited(maxSeries: number, maxValues = 0) {
  return { ...LEGACY, limits: { maxSeries, maxValues } };
}

function lines(n: number, line: (i: number) => string): string {
  let out = "";
  for (let i = 0; i < n; i++) out += line(i) + "\n";
  return out;
}

Deno.test("parseText() with limits counts series across families and stops past the limit", () => {
  const body = lines(5, (i) => `a{i="${i}"} 1`) + lines(5, (i) => `b{i="${i}"} 1`);
  assertEquals(parseText(body, limited(10)).map((f) => f.metric.length), [5, 5]);
  const err = assertThrows(() => parseText(body, limited(9)), PushLimitError);
  assertEquals([err.kind, err.limit], ["series", 9]);
  // The labels count as values: 10 series with one label each.
  parseText(body, limited(0, 10));
  assertEquals(assertThrows(() => parseText(body, limited(0, 9)), PushLimitError).kind, "values");
});

Deno.test("parseText() with limits: a histogram is one series, its buckets values", () => {
  const hist = "# TYPE h histogram\n" + lines(100, (i) => `h_bucket{le="${i}"} ${i}`) +
    'h_bucket{le="+Inf"} 100\nh_sum 1\nh_count 100\n';
  const [family] = parseText(hist, limited(1, 101));
  assertEquals(family?.metric.length, 1);
  assertEquals(family?.metric[0]?.histogram?.bucket.length, 101);
  const err = assertThrows(() => parseText(hist, limited(1, 100)), PushLimitError);
  assertEquals([err.kind, err.limit], ["values", 100]);
  const summary = "# TYPE s summary\n" + lines(10, (i) => `s{quantile="0.${i}"} 1`);
  assertEquals(parseText(summary, limited(1, 10))[0]?.metric[0]?.summary?.quantile.length, 10);
  assertThrows(() => parseText(summary, limited(1, 9)), PushLimitError);
});

Deno.test("parseText() with limits stops inside a line with too many labels", () => {
  const labels = Array.from({ length: 100_000 }, (_, i) => `l${i}=""`).join(",");
  const err = assertThrows(
    () => parseText(`a{${labels}} 1\n`, limited(10, 1000)),
    PushLimitError,
  );
  assertEquals([err.kind, err.limit], ["values", 1000]);
  // Without limits the same line parses (repeated names are checked with a set, not a scan).
  assertEquals(parseText(`a{${labels}} 1\n`)[0]?.metric[0]?.label.length, 100_000);
  const repeated = `a{${labels},l99999="x"} 1\n`;
  assertThrows(() => parseText(repeated), ParseError, 'duplicate label names for metric "a"');
});

Deno.test("parseText() stopAtDuplicate stops after the first repeated series, keeping it", () => {
  const body = '# TYPE a gauge\na{x="1",y="2"} 1\nb 5\na{y="2",x="1"} 2 1234\n' +
    "this line does not parse\n";
  const families = parseText(body, { ...LEGACY, stopAtDuplicate: true });
  assertEquals(families.map((f) => [f.name, f.metric.length]), [["a", 2], ["b", 1]]);
  assertEquals(families[0]?.metric[1]?.gauge?.value, 2);
  assertEquals(families[0]?.metric[1]?.timestampMs, 1234, "its line is read to the end");
  assertThrows(() => parseText(body), ParseError, "text format parsing error in line 5");
});

Deno.test("parseText() stopAtDuplicate: a 64 MiB body of one repeated sample stops at once", () => {
  const body = new TextEncoder().encode("a 1\n".repeat(16 * 1024 * 1024));
  const families = parseText(body, { ...LEGACY, stopAtDuplicate: true });
  assertEquals(families[0]?.metric.length, 2);
});

Deno.test("parseText() stopAtDuplicate does not take histogram or summary lines for repeats", () => {
  const body = '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\n' +
    'h_count 1\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\ng 1\ng{i=""} 1\n';
  const families = parseText(body, { ...LEGACY, stopAtDuplicate: true });
  assertEquals(families.map((f) => [f.name, f.metric.length]), [["h", 1], ["s", 1], ["g", 2]]);
  assert(families[0]?.metric[0]?.histogram !== undefined);
});

Deno.test("parseText() reads a body over 4 MiB from its bytes exactly as a small one", () => {
  const piece = (i: number) =>
    `# HELP m_${i} Help with \\\\ and \\n and ünïcode.\n# TYPE m_${i} histogram\n` +
    `m_${i}_bucket{le="0.5",path="/a/very/long/path/value/${i}",u="ß"} 1\n` +
    `m_${i}_bucket{le="+Inf",path="/a/very/long/path/value/${i}",u="ß"} 2\n` +
    `m_${i}_sum{path="/a/very/long/path/value/${i}",u="ß"} 0.25\n` +
    `m_${i}_count{path="/a/very/long/path/value/${i}",u="ß"} 2\n` +
    `g_${i}{q="esc\\"aped \\\\ \\n",x="${"v".repeat(300)}"} -Inf 1700000000000\n`;
  const n = 12_000;
  let big = "";
  for (let i = 0; i < n; i++) big += piece(i);
  const bytes = new TextEncoder().encode(big);
  assert(bytes.length > 4 * 1024 * 1024, `${bytes.length} bytes`);
  const all = parseText(bytes, { scheme: "utf8" });
  assertEquals(all.length, 2 * n);
  for (const i of [0, 1, 777, n - 1]) {
    const small = parseText(piece(i), { scheme: "utf8" });
    assertEquals(all.slice(2 * i, 2 * i + 2), small);
  }
});
