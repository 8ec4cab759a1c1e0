import { assert, assertEquals } from "@std/assert";
import { renderHelp, renderManPage, renderVersion, wrapWords } from "@lib/cli/usage.ts";
import { buildInfoFrom } from "@lib/version.ts";

const FIXTURE = new URL("../../tests/testdata/cli/help.txt", import.meta.url);

/** The rows of our flags, which upstream does not have, each after the row named in `after`. */
const OUR_ROWS = [
  {
    after: "                                 persistence file.",
    rows: [
      '      --persistence.export-upstream=""  ',
      "                                 Write the metrics of --persistence.file to this",
      "                                 new file in the official Pushgateway's format,",
      "                                 then exit (for switching back to it). Not in",
      "                                 upstream.",
    ],
  },
  {
    after: "                                 names.",
    rows: [
      "      --push.max-body-size=64MiB  ",
      "                                 Maximum size of a push request body, before and",
      "                                 after decompression; larger pushes get 413.",
      "                                 Not in upstream.",
      "      --push.max-concurrent-body-size=128MiB  ",
      "                                 Maximum total size of the push bodies being",
      "                                 read or decompressed at the same time;",
      "                                 a push past it gets 503 with Retry-After.",
      "                                 Not in upstream.",
      "      --push.max-series-per-push=100000  ",
      "                                 Maximum number of series in one push;",
      "                                 larger pushes get 413 and are not stored.",
      "                                 0 means no limit. Not in upstream.",
      "      --push.default-ttl=0       Time to live of a group after its last",
      "                                 successful push, unless the push sets one with",
      "                                 the Pushgateway-TTL header. 0 means groups",
      "                                 never expire. Not in upstream.",
      "      --storage.max-series=0     Maximum number of series stored; a push that",
      "                                 would pass it gets 507 and is not stored.",
      "                                 0 means no limit. Not in upstream.",
      '      --storage.postgres-url=""  URL of a PostgreSQL database',
      "                                 shared by several replicas, e.g.",
      "                                 postgres://user@host:5432/db?sslmode=require",
      "                                 (instead of memory and --persistence.file). A",
      "                                 password in it is never shown. Not in upstream.",
      '      --storage.postgres-password-file=""  ',
      "                                 File holding the PostgreSQL password (else the",
      "                                 URL's, or PGPASSWORD). Not in upstream.",
      '      --storage.postgres-import=""  ',
      "                                 Load this persistence file into the empty",
      "                                 database of --storage.postgres-url, then exit.",
      "                                 Not in upstream.",
      "      --storage.postgres-checkpoint-interval=5m  ",
      "                                 How often the shared state is checkpointed",
      "                                 (also every 10000 writes); the log keeps the",
      "                                 writes since the previous checkpoint. Not in",
      "                                 upstream.",
    ],
  },
];

/** The fixture: upstream's `-h` with this build's notes on systemd sockets and vsock. */
Deno.test("renderHelp() reproduces the fixture (upstream's -h, refused features noted) plus our flags", async () => {
  const upstream = await Deno.readTextFile(FIXTURE);
  const lines = renderHelp("pushgateway").split("\n");
  for (const { after, rows } of OUR_ROWS) {
    const at = lines.indexOf(rows[0] as string);
    assert(at > 0, `our row ${rows[0]} is missing`);
    assertEquals(lines.slice(at, at + rows.length), rows);
    assertEquals(lines[at - 1], after);
    lines.splice(at, rows.length);
  }
  assertEquals(lines.join("\n"), upstream);
  assert(upstream.includes("(Linux only). Not supported\n"));
  assert(upstream.includes("(vsock is not\n"));
});

Deno.test("renderHelp() ends in a blank line and has no line over 80 columns except the URL", () => {
  const text = renderHelp("pushgateway");
  assert(text.endsWith("Show application version.\n\n"));
  const long = text.split("\n").filter((l) => l.length > 80);
  assertEquals(long, [
    "                                 https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
  ]);
});

Deno.test("renderHelp() uses the program name and the long-help spacing", () => {
  assert(
    renderHelp("prometheus-pushgateway").startsWith("usage: prometheus-pushgateway [<flags>]\n"),
  );
  const long = renderHelp("pushgateway", "long");
  assert(long.startsWith("usage: pushgateway [<flags>]\n\nThe Pushgateway\n\nFlags:\n"));
  assertEquals(long.split("\n").slice(4), renderHelp("pushgateway").split("\n").slice(5));
});

Deno.test("renderManPage() follows kingpin's man template", () => {
  const man = renderManPage("pushgateway", "pushgateway, version 0.1.0");
  assert(
    man.startsWith('.TH pushgateway 1 pushgateway, version 0.1.0 ""\n.SH "NAME"\npushgateway\n'),
  );
  assert(man.includes('.SH "SYNOPSIS"\n.TP\n\\fBpushgateway [<flags>]\\fR\n\n.SH "DESCRIPTION"\n'));
  assert(man.includes(".TP\n\\fB-h, --help\\fR\nShow context-sensitive help"));
  assert(man.includes(".TP\n\\fB--web.listen-address=:9091\\fR\n"));
  assert(man.includes('.TP\n\\fB--web.telemetry-path="/metrics"\\fR\n'));
  assert(man.endsWith(".TP\n\\fB--version\\fR\nShow application version.\n"));
  assert(!man.includes("\\fB--help-long"), "hidden flags are left out");
});

Deno.test("renderVersion() prints version.Print's layout", () => {
  const info = buildInfoFrom({ version: "0.1.0" }, {
    revision: "e803ebd",
    branch: "HEAD",
    buildUser: "root@builder",
    buildDate: "20260527-15:09:00",
  }, { denoVersion: "2.9.6", os: "linux", arch: "aarch64" });
  assertEquals(
    renderVersion(info),
    "pushgateway, version 0.1.0 (branch: HEAD, revision: e803ebd)\n" +
      "  build user:       root@builder\n" +
      "  build date:       20260527-15:09:00\n" +
      "  go version:       deno2.9.6\n" +
      "  platform:         linux/arm64\n" +
      "  tags:             unknown\n",
  );
});

/** The O(n²) reference from Go's wrap_test.go: the least possible score. */
function bestScore(words: string[], max: number): number {
  const penalty = (w: string): number => ".,:;".includes(w.at(-1) as string) ? 0 : 64;
  const best: number[] = [0];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.length >= max) {
      best.push(best[i] as number);
      continue;
    }
    let b = Infinity;
    let n = -1;
    for (let j = i; j >= 0; j--) {
      n += 1 + (words[j] as string).length;
      if (n > max) break;
      const line = i === words.length - 1 ? 0 : (n - max) ** 2 + penalty(w);
      b = Math.min(b, (best[j] as number) + line);
    }
    best.push(b);
  }
  return best[words.length] as number;
}

function scoreOf(words: string[], max: number, seq: number[]): number {
  let score = 0;
  for (let k = 0; k + 1 < seq.length; k++) {
    const [a, b] = [seq[k] as number, seq[k + 1] as number];
    const size = words.slice(a, b).join(" ").length;
    if (b - a === 1 && size >= max) continue;
    assert(size <= max, `overlong line ${words.slice(a, b).join(" ")}`);
    if (b !== words.length) {
      score += (max - size) ** 2 + (".,:;".includes(words[b - 1]?.at(-1) as string) ? 0 : 64);
    }
  }
  return score;
}

Deno.test("wrapWords() finds the least-score wrapping, like Go's wrap", () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = "1234567890abcdefghij.,";
  const words: string[] = [];
  for (let i = 0; i < 40; i++) words.push(alphabet.slice(0, 1 + rand(alphabet.length - 1)));
  for (let n = 1; n <= words.length; n += 3) {
    for (let max = 1; max < 60; max += 4) {
      const ws = words.slice(0, n);
      const seq = wrapWords(ws, max);
      assertEquals(seq[0], 0);
      assertEquals(seq.at(-1), n);
      assertEquals(scoreOf(ws, max, seq), bestScore(ws, max), `n=${n} max=${max}`);
    }
  }
});

Deno.test("wrapWords() balances lines instead of filling them", () => {
  const words = ("Path to configuration file that can enable TLS or authentication. See: " +
    "https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md")
    .split(" ");
  const seq = wrapWords(words, 47);
  // Greedy filling would put "enable" on the first line (43 columns).
  assertEquals(seq, [0, 6, 11, 12]);
});
