/**
 * How answers are normalised before the reference's and ours are compared
 * (pure functions of the answer text):
 *
 * - error bodies: the protobuf text dump `{ … }` inside `collected metric`
 *   messages is replaced by `{…}` (upstream does not keep it stable);
 * - scrapes: the `go_*`, `process_*` and `pushgateway_*` families are dropped
 *   and non-zero `push_time_seconds` / `push_failure_time_seconds` values
 *   become `<time>`;
 * - `/api/v1/metrics`: groups sorted by labels (upstream uses Go map order),
 *   `time_stamp` values and non-zero push times replaced by placeholders.
 *
 * @module
 */

const SELF_FAMILY = /^(go|process|pushgateway)_/;
const PUSH_TIMES = /^(push(?:_failure)?_time_seconds\{[^}]*\}) (\S+)$/;

/** The family name a text exposition line belongs to. */
function lineFamily(line: string): string {
  const m = /^# (?:HELP|TYPE) (\S+)/.exec(line) ?? /^([^{\s]+)/.exec(line);
  return m?.[1] ?? "";
}

/** A scrape without self metrics and with placeholder push times. */
export function normaliseScrape(text: string): string {
  return text.split("\n")
    .filter((l) => !SELF_FAMILY.test(lineFamily(l)))
    .map((l) => l.replace(PUSH_TIMES, (all, series, v) => v === "0" ? all : `${series} <time>`))
    .join("\n");
}

/**
 * Error text with the unstable protobuf dumps of `collected metric` messages
 * replaced, and suffix collisions in one canonical form: upstream reports a
 * collision from whichever side its Go-map-ordered gather reaches first, so
 * `collected metric named "s_count" collides with previously collected summary
 * named "s"` and `collected histogram or summary named "s" collides with
 * previously collected metric named "s_count"` are the same finding (and a
 * `_bucket` clash is `collected histogram named …` from the histogram's side).
 */
export function normaliseError(text: string): string {
  return text
    .replace(
      /(collected metric "[^"]*" )\{.*?\}(?= (?:is not a |was collected before|has |must not ))/g,
      "$1{…}",
    )
    .replace(
      /collected metric named ("[^"]*") collides with previously collected (?:summary|histogram) named ("[^"]*")/g,
      "<suffix collision $2/$1>",
    )
    .replace(
      /collected histogram or summary named ("([^"]*)") collides with previously collected metric named ("\2_(?:count|sum)")/g,
      "<suffix collision $1/$3>",
    )
    .replace(
      /collected histogram named ("([^"]*)") collides with previously collected metric named ("\2_bucket")/g,
      "<suffix collision $1/$3>",
    )
    // The merged family takes its type from the group Go's map iteration reaches first.
    .replace(/(collected metric "[^"]*" \{…\} is not an? )[A-Z_]+/g, "$1<TYPE>")
    // Several errors come in Go map order too.
    .replace(
      /(\d+ error\(s\) occurred:)((?:\n\* [^\n]*)+)/,
      (_all, head: string, items: string) =>
        head + items.split("\n").slice(1).sort().map((l) => "\n" + l).join(""),
    );
}

/** Splits the top-level elements of a JSON array text, keeping each element's raw text. */
function splitJsonArray(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (text.length > 2) out.push(text.slice(start, text.length - 1));
  return out;
}

const PUSH_TIME_VALUE =
  /("push(?:_failure)?_time_seconds":\{"time_stamp":"[^"]*","type":"GAUGE","help":"[^"]*","metrics":\[\{"labels":\{[^}]*\},"value":")([^"]*)"/g;

/**
 * `/api/v1/metrics` with groups sorted by their labels (upstream uses Go map
 * order), `time_stamp` values and non-zero push times replaced. Works on the
 * raw text, so key order and escaping stay as sent.
 */
export function normaliseApiMetrics(text: string): string {
  const prefix = '{"status":"success","data":';
  if (!text.startsWith(prefix) || !text.endsWith("}")) return text;
  const groups = splitJsonArray(text.slice(prefix.length, -1)).map((g) =>
    g.replace(/"time_stamp":"[^"]*"/g, '"time_stamp":"<ts>"')
      .replace(PUSH_TIME_VALUE, (all, head, v) => v === "0" ? all : `${head}<time>"`)
  );
  const key = (g: string) => JSON.stringify((JSON.parse(g) as { labels: unknown }).labels);
  groups.sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return `${prefix}[${groups.join(",")}]}`;
}
