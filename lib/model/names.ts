/**
 * Metric and label name validation, as prometheus/common `model` defines it.
 *
 * @module
 */

const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Which names are valid: the classic character set, or any UTF-8. */
export type ValidationScheme = "legacy" | "utf8";

/** True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isValidLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC_NAME.test(name);
}

/** True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

/** True when `s` is non-empty and has no lone surrogates (so it is valid UTF-8). */
export function isValidUtf8Name(s: string): boolean {
  return s.length > 0 && s.isWellFormed();
}
