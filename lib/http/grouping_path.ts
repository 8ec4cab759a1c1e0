/**
 * The grouping key carried in a push URL:
 * `/metrics/job/<job>{/<name>/<value>}` and
 * `/metrics/job@base64/<b64 job>{/<name>[@base64]/<value>}`.
 *
 * Parsing follows upstream's `splitLabels` and `decodeBase64` (handler/push.go)
 * step by step, including the exact error texts (answered with 400) and the
 * order of the checks.
 *
 * @module
 */

import { goQuote, goQuoteBytes } from "@lib/gocompat/go_quote.ts";
import { HttpError } from "@lib/http/errors.ts";
import { unescapeName } from "@lib/model/escaping.ts";
import {
  BASE64_SUFFIX,
  Base64DecodeError,
  decodeBase64Value,
  type GroupingKeyOptions,
} from "@lib/model/grouping_key.ts";
import { isValidLegacyLabelName, isValidUtf8Name } from "@lib/model/names.ts";

const RESERVED_LABEL_PREFIX = "__";

/**
 * Parses the grouping key of a push/delete URL.
 *
 * `jobSegment` is the already percent-decoded job path segment, `jobIsBase64`
 * tells whether the route was `job@base64`, and `labelPath` is the already
 * percent-decoded rest after the job segment (`""` or starting with `/`).
 * Returns the grouping labels, `job` included, or throws
 * `HttpError(400, <upstream's message>)`.
 */
export function parseGroupingKey(
  jobSegment: string,
  jobIsBase64: boolean,
  labelPath: string,
  options: GroupingKeyOptions,
): Record<string, string> {
  let job = jobSegment;
  if (jobIsBase64) {
    try {
      job = decodeBase64Value(jobSegment);
    } catch (err) {
      if (!(err instanceof Base64DecodeError)) throw err;
      // Upstream quotes the (partial) decode result here, not the input.
      throw new HttpError(
        400,
        `invalid base64 encoding in job name ${goQuoteBytes(err.partial)}: ${err.message}`,
        { cause: err },
      );
    }
  }
  const labels = splitLabels(labelPath, options);
  if (job === "") {
    throw new HttpError(400, "job name is required");
  }
  labels.set("job", job);
  return Object.fromEntries(labels);
}

/** Upstream's `splitLabels`: the label part of the path as a map, in path order. */
function splitLabels(labelPath: string, options: GroupingKeyOptions): Map<string, string> {
  const result = new Map<string, string>();
  if (labelPath.length <= 1) return result;
  const components = labelPath.slice(1).split("/");
  if (components.length % 2 !== 0) {
    throw new HttpError(400, `odd number of components in label string ${goQuote(labelPath)}`);
  }
  for (let i = 0; i + 1 < components.length; i += 2) {
    const name = components[i]!;
    const value = components[i + 1]!;
    const isBase64 = name.endsWith(BASE64_SUFFIX);
    const trimmedName = isBase64 ? name.slice(0, -BASE64_SUFFIX.length) : name;
    const unescapedName = options.utf8Names ? unescapeName(trimmedName, "values") : trimmedName;
    const valid = options.utf8Names
      ? isValidUtf8Name(unescapedName)
      : isValidLegacyLabelName(unescapedName);
    if (!valid || trimmedName.startsWith(RESERVED_LABEL_PREFIX)) {
      throw new HttpError(400, `improper label name ${goQuote(trimmedName)}`);
    }
    if (!isBase64) {
      result.set(unescapedName, value);
      continue;
    }
    try {
      result.set(unescapedName, decodeBase64Value(value));
    } catch (err) {
      if (!(err instanceof Base64DecodeError)) throw err;
      throw new HttpError(
        400,
        `invalid base64 encoding for label ${trimmedName}=${goQuote(value)}: ${err.message}`,
        { cause: err },
      );
    }
  }
  return result;
}
