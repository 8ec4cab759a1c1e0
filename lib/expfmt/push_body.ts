/**
 * Which parser a push body goes to, and its families: protobuf when the
 * Content-Type says delimited protobuf, OpenMetrics when it says
 * `application/openmetrics-text`, otherwise text 0.0.4 exactly as upstream
 * parses it, with one second chance that upstream lacks: a body the text
 * parser refuses whose last line is `# EOF` is parsed as OpenMetrics (Node's
 * prom-client sends its OpenMetrics registry without a Content-Type, and its
 * exemplars after `#` fail the text parser). So whatever upstream accepts is
 * stored exactly as upstream stores it, and only bodies it refuses gain a
 * second chance.
 *
 * @module
 */

import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { checkDelimitedLimits } from "@lib/protobuf/push_scan.ts";
import { isOpenMetricsText, isProtobufDelimited } from "@lib/expfmt/media_type.ts";
import { parseText } from "@lib/expfmt/text_parse.ts";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import type { ValidationScheme } from "@lib/model/names.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { checkFamilies, PushLimitError, type PushLimits } from "@lib/model/push_limits.ts";

/** The parser a push body went to. */
export type PushBodyFormat = "protobuf" | "text" | "openmetrics";

/** The outcome of {@linkcode parsePushBody}. */
export interface ParsedPushBody {
  /** The parser that produced `families`. */
  format: PushBodyFormat;
  /** The pushed families, in body order. */
  families: MetricFamily[];
}

/** Options of {@linkcode parsePushBody}. */
export interface PushBodyOptions {
  /** Name validation for text and OpenMetrics: `"utf8"` with `--push.enable-utf8-names`. */
  scheme: ValidationScheme;
  /**
   * Limits of one push (default: none): a `PushLimitError` at the first series
   * or value past them. Protobuf is counted before it is decoded and text while
   * it is parsed; an OpenMetrics body may have at most
   * {@linkcode openMetricsMaxLines} lines and is counted once parsed.
   */
  limits?: PushLimits;
  /** Text bodies: stop after the first repeated series (see `TextParseOptions`). */
  stopAtDuplicate?: boolean;
}

/**
 * The most lines an OpenMetrics push body may have under `limits`: a line per
 * series with room for its `_count`, `_sum` and `_created` lines and its
 * family's descriptors, plus a line per value. The parser holds every line
 * while it parses, so the lines are counted before it runs.
 */
export function openMetricsMaxLines(limits: PushLimits): number {
  if (limits.maxSeries <= 0 || limits.maxValues <= 0) return Infinity;
  return 6 * limits.maxSeries + limits.maxValues;
}

/** Parses an OpenMetrics push body within `limits` (lines first, then what was parsed). */
function openMetricsWithin(
  body: Uint8Array,
  options: PushBodyOptions,
): MetricFamily[] {
  const limits = options.limits;
  if (limits !== undefined) {
    const max = openMetricsMaxLines(limits);
    let lines = 0;
    for (let i = 0; i < body.length; i++) {
      if (body[i] === 0x0a && ++lines > max) throw new PushLimitError("values", limits.maxValues);
    }
  }
  const families = parseOpenMetrics(body, { scheme: options.scheme });
  if (limits !== undefined) checkFamilies(families, limits);
  return families;
}

const EOF_LINE = [0x23, 0x20, 0x45, 0x4f, 0x46]; // "# EOF"

/**
 * Whether the last line of `body` is `# EOF` (a final newline allowed).
 *
 * @param body The body bytes.
 * @returns `true` when the body ends with the OpenMetrics end marker.
 */
export function endsWithEofLine(body: Uint8Array): boolean {
  let end = body.length;
  if (end > 0 && body[end - 1] === 0x0a) end--;
  const start = end - EOF_LINE.length;
  if (start < 0 || (start > 0 && body[start - 1] !== 0x0a)) return false;
  return EOF_LINE.every((c, i) => body[start + i] === c);
}

/**
 * Parses a push body, choosing the parser from the Content-Type and, for a
 * text body the text parser refuses, from its last line (see the module
 * documentation).
 *
 * @param contentType The request's Content-Type, or `null` when absent.
 * @param body The body, already decompressed.
 * @param options The name validation scheme, the push limits.
 * @returns The parser used and the families.
 * @throws {ParseError} The error of the parser that had the last word: the
 *   protobuf decoder, the OpenMetrics parser (declared, or the second chance
 *   of a body ending in `# EOF`), or else the text parser.
 * @throws {PushLimitError} For a body past `options.limits`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const body = new TextEncoder().encode(
 *   '# TYPE jobs counter\njobs_total 2 # {trace_id="abc"} 1\n# EOF\n',
 * );
 * const parsed = parsePushBody(null, body, { scheme: "legacy" });
 * assertEquals(parsed.format, "openmetrics");
 * assertEquals(parsed.families[0]!.name, "jobs_total");
 * ```
 */
export function parsePushBody(
  contentType: string | null,
  body: Uint8Array,
  options: PushBodyOptions,
): ParsedPushBody {
  if (isProtobufDelimited(contentType)) {
    if (options.limits !== undefined) checkDelimitedLimits(body, options.limits);
    return { format: "protobuf", families: decodeDelimited(body) };
  }
  if (isOpenMetricsText(contentType)) {
    return { format: "openmetrics", families: openMetricsWithin(body, options) };
  }
  try {
    return { format: "text", families: parseText(body, options) };
  } catch (e) {
    if (!(e instanceof ParseError) || !endsWithEofLine(body)) throw e;
  }
  return { format: "openmetrics", families: openMetricsWithin(body, options) };
}
