/**
 * How the web UI names a group: its label order, its `name="value"` text and
 * the relative URL its "Delete Group" button sends `DELETE` to.
 *
 * @module
 */

import { encodeGroupingPath } from "@lib/model/grouping_key.ts";
import { isValidLegacyLabelName } from "@lib/model/names.ts";
import type { GroupingLabels } from "@lib/store/types.ts";

/**
 * The label names of a group in display order: `job` first, then the others sorted.
 *
 * @param labels Grouping labels.
 * @returns The names.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(sortedLabelNames({ b: "1", job: "j", a: "2" }), ["job", "a", "b"]);
 * ```
 */
export function sortedLabelNames(labels: GroupingLabels): string[] {
  const rest = Object.keys(labels).filter((n) => n !== "job").sort();
  return "job" in labels ? ["job", ...rest] : rest;
}

/**
 * One label as the UI shows it, `name="value"`, quoting a name that is not a
 * legacy label name (as upstream's newest UI does). Not HTML-escaped.
 *
 * @param name Label name.
 * @param value Label value.
 * @returns The label text.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(labelText("job", "a"), 'job="a"');
 * assertEquals(labelText("a.b", "c"), '"a.b"="c"');
 * ```
 */
export function labelText(name: string, value: string): string {
  const shownName = isValidLegacyLabelName(name) ? name : JSON.stringify(name);
  return `${shownName}=${JSON.stringify(value)}`;
}

/**
 * A whole group as text, `{job="a", instance="b"}`, for confirmations. Not HTML-escaped.
 *
 * @param labels Grouping labels.
 * @returns The group text.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(groupText({ instance: "i", job: "j" }), '{job="j", instance="i"}');
 * ```
 */
export function groupText(labels: GroupingLabels): string {
  return "{" + sortedLabelNames(labels).map((n) => labelText(n, labels[n] ?? "")).join(", ") +
    "}";
}

/**
 * The relative URL that deletes a group:
 * `metrics/job@base64/<job>{/<name>@base64/<value>=}`, every value base64url
 * followed by `=` (so empty values work) and, with UTF-8 names enabled,
 * non-legacy label names in the `U__` escaping the push path understands.
 * Relative, so it works under a route prefix and behind a prefix-stripping proxy.
 *
 * @param labels Grouping labels (with `job`).
 * @param utf8Names Whether `--push.enable-utf8-names` is set.
 * @returns The relative URL.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(groupDeletePath({ job: "a/b", x: "" }, false), "metrics/job@base64/YS9i=/x@base64/=");
 * ```
 */
export function groupDeletePath(labels: GroupingLabels, utf8Names: boolean): string {
  return encodeGroupingPath(labels, { utf8Names }).slice(1);
}
