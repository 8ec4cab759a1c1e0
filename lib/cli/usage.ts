/**
 * The `-h` and `--version` texts, laid out exactly as kingpin v2.4.0 and
 * prometheus/common `version.Print` lay them out.
 *
 * `-h` uses kingpin's default template with a width of 80 columns (kingpin's
 * width when the output is not a terminal): flags in two columns, the first as
 * wide as the longest flag under 30 characters, longer ones on a line of their
 * own followed by two spaces, help texts wrapped by Go's `go/doc` text printer,
 * which balances line lengths (least-squares, preferring breaks after
 * punctuation) rather than filling greedily.
 *
 * @module
 */

import { FLAGS, type FlagSpec } from "@lib/cli/flag_specs.ts";
import type { BuildInfo } from "@lib/version.ts";

const WIDTH = 80;
const INDENT = 2;
const PADDING = 2;
const APP_HELP = "The Pushgateway";

/** The line score of go/doc's wrapper: [over-long part, regular part]. */
type Score = readonly [number, number];

function addScore(a: Score, b: Score): Score {
  return [a[0] + b[0], a[1] + b[1]];
}

function cmpScore(a: Score, b: Score): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/**
 * Splits words into lines of at most `max` characters the way Go's
 * `go/doc/comment` text printer does: it minimises the sum over lines (except
 * the last) of the squared leftover space plus 64 for a line that does not end
 * in `.`, `,`, `:` or `;`, and it first minimises the overflow of lines holding
 * a single over-long word. The search is Hirschberg and Larmore's least weight
 * subsequence method, so ties resolve the same way as Go's.
 *
 * @param words The words.
 * @param max The line width.
 * @returns Start indexes of each line, then `words.length`.
 */
export function wrapWords(words: readonly string[], max: number): number[] {
  const n = words.length;
  const total: number[] = [0];
  for (const w of words) total.push((total.at(-1) as number) + [...w].length + 1);
  const at = (xs: readonly number[], i: number): number => xs[i] as number;
  const weight = (i: number, j: number): Score => {
    const len = at(total, j) - 1 - at(total, i);
    if (j === n && len <= max) return [0, 0];
    const last = words[j - 1] as string;
    const penalty = ".,:;".includes(last.at(-1) as string) ? 0 : 64;
    const slack = (max - len) * (max - len);
    return len > max ? [slack, penalty] : [0, slack + penalty];
  };
  const f: Score[] = [[0, 0]];
  const g = (i: number, j: number): Score => addScore(f[i] as Score, weight(i, j));
  // Smallest k in [c, n] with g(a, k) > g(b, k), or n + 1 (Go's sort.Search).
  const bridge = (a: number, b: number, c: number): boolean => {
    let lo = c;
    let hi = n + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmpScore(g(a, mid), g(b, mid)) > 0) hi = mid;
      else lo = mid + 1;
    }
    if (lo > n) return true;
    return cmpScore(g(c, lo), g(b, lo)) <= 0;
  };
  let d: number[] = [0];
  const bestLeft: number[] = [-1];
  for (let m = 1; m < n; m++) {
    f.push(g(at(d, 0), m));
    bestLeft.push(at(d, 0));
    while (d.length > 1 && cmpScore(g(at(d, 1), m + 1), g(at(d, 0), m + 1)) <= 0) d = d.slice(1);
    while (d.length > 1 && bridge(at(d, d.length - 2), at(d, d.length - 1), m)) d.pop();
    if (cmpScore(g(m, n), g(at(d, d.length - 1), n)) < 0) {
      d.push(m);
      if (d.length === 2 && cmpScore(g(at(d, 1), m + 1), g(at(d, 0), m + 1)) <= 0) d = d.slice(1);
    }
  }
  bestLeft.push(at(d, 0));
  const seq: number[] = [];
  for (let m = n; m > 0; m = at(bestLeft, m)) seq.unshift(m);
  seq.unshift(0);
  return seq;
}

/** go/doc's ToText for a one-paragraph text: wrapped lines, each prefixed. */
function docLines(text: string, width: number): string[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return [""];
  const seq = wrapWords(words, width);
  const lines: string[] = [];
  for (let i = 0; i + 1 < seq.length; i++) {
    lines.push(words.slice(seq[i], seq[i + 1]).join(" "));
  }
  return lines;
}

/** kingpin's FormatPlaceHolder: string flags quote their default, others show it bare. */
function placeholder(flag: FlagSpec): string {
  if (flag.default === undefined) return flag.name.toUpperCase();
  return flag.kind === "string" ? JSON.stringify(flag.default) : flag.default;
}

/** kingpin's formatFlag for the first column. */
function flagColumn(flag: FlagSpec, haveShort: boolean): string {
  const name = flag.kind === "bool" ? `[no-]${flag.name}` : flag.name;
  let s = flag.short !== undefined
    ? `-${flag.short}, --${name}`
    : `${haveShort ? "    " : ""}--${name}`;
  if (flag.kind !== "bool") s += `=${placeholder(flag)}`;
  if (flag.repeatable) s += " ...";
  return s;
}

/** kingpin's formatTwoColumns with indent 2, padding 2, width 80. */
function twoColumns(rows: readonly (readonly [string, string])[]): string {
  let first = 0;
  for (const [left] of rows) {
    if (left.length > first && left.length < 30) first = left.length;
  }
  const indent = " ".repeat(INDENT);
  const offset = " ".repeat(first + PADDING);
  let out = "";
  for (const [left, help] of rows) {
    const lines = docLines(help, WIDTH - first - PADDING - INDENT);
    out += indent + left.padEnd(first) + " ".repeat(PADDING);
    if (left.length >= 30) out += "\n" + indent + offset;
    out += lines[0] + "\n";
    for (const line of lines.slice(1)) out += indent + offset + line + "\n";
  }
  return out;
}

/**
 * Renders `-h` (kingpin's default template) or `--help-long` (its long-help
 * template, one blank line fewer after the description).
 *
 * @param programName Basename of argv[0], e.g. `pushgateway`.
 * @param variant `default` for `-h`/`--help`, `long` for `--help-long`.
 * @returns The text to write to stdout, ending in a blank line as kingpin's does.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderHelp } from "@lib/cli/usage.ts";
 * assertEquals(renderHelp("pushgateway").split("\n")[0], "usage: pushgateway [<flags>]");
 * ```
 */
export function renderHelp(programName: string, variant: "default" | "long" = "default"): string {
  const visible = FLAGS.filter((f) => !f.hidden);
  const haveShort = visible.some((f) => f.short !== undefined);
  const rows = visible.map((f) => [flagColumn(f, haveShort), f.help] as const);
  const description = docLines(APP_HELP, WIDTH).join("\n");
  const gap = variant === "default" ? "\n\n" : "\n";
  return `usage: ${programName} [<flags>]\n\n${description}\n${gap}Flags:\n${twoColumns(rows)}\n`;
}

/**
 * Renders `--help-man` (kingpin's man page template). `versionText` fills the
 * `.TH` line as kingpin does with the application version (upstream passes
 * `version.Print`, several lines long).
 *
 * @param programName Basename of argv[0].
 * @param versionText The version text, e.g. {@linkcode renderVersion} without its final newline.
 * @returns The roff source.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { renderManPage } from "@lib/cli/usage.ts";
 * assert(renderManPage("pushgateway", "pushgateway, version 0.1.0").startsWith(".TH pushgateway 1 "));
 * ```
 */
export function renderManPage(programName: string, versionText: string): string {
  let out = `.TH ${programName} 1 ${versionText} ""\n.SH "NAME"\n${programName}\n`;
  out += `.SH "SYNOPSIS"\n.TP\n\\fB${programName} [<flags>]\\fR\n\n`;
  out += `.SH "DESCRIPTION"\n${APP_HELP}\n.SH "OPTIONS"\n`;
  for (const f of FLAGS.filter((f) => !f.hidden)) {
    const short = f.short !== undefined ? `-${f.short}, ` : "";
    const value = f.kind === "bool" ? "" : `=${placeholder(f)}`;
    out += `.TP\n\\fB${short}--${f.name}${value}\\fR\n${f.help}\n`;
  }
  return out;
}

/**
 * Renders `--version` as prometheus/common `version.Print` (newest, with the tags line).
 *
 * @param info Build information.
 * @param programName The program name in the first line (upstream: `pushgateway`).
 * @returns The text, ending in a newline (kingpin prints it with Fprintln).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderVersion } from "@lib/cli/usage.ts";
 * import { buildInfoFrom } from "@lib/version.ts";
 * const info = buildInfoFrom({ version: "0.1.0" }, {}, { denoVersion: "2.9.6", os: "linux", arch: "x86_64" });
 * assertEquals(
 *   renderVersion(info).split("\n")[0],
 *   "pushgateway, version 0.1.0 (branch: unknown, revision: unknown)",
 * );
 * ```
 */
export function renderVersion(info: BuildInfo, programName = "pushgateway"): string {
  return [
    `${programName}, version ${info.version} (branch: ${info.branch}, revision: ${info.revision})`,
    `  build user:       ${info.buildUser}`,
    `  build date:       ${info.buildDate}`,
    `  go version:       ${info.goVersion}`,
    `  platform:         ${info.goos}/${info.goarch}`,
    `  tags:             ${info.tags}`,
  ].join("\n") + "\n";
}
