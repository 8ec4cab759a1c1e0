/**
 * The gateway's own metrics about its store: how many series it holds, the
 * limits on series, and how many groups expired. They reach `/metrics`
 * through the HTTP layer's `SelfMetrics` as one of its collectors (a function
 * returning families named in {@linkcode STORE_OWN_FAMILIES}, which the store
 * is built with).
 *
 * @module
 */

import { type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { OwnFamily, StoreView } from "@lib/store/store.ts";

/** The families of {@linkcode storeOwnMetrics}, by name. */
export const STORE_OWN_FAMILIES: ReadonlyMap<string, OwnFamily> = new Map<string, OwnFamily>([
  ["pushgateway_groups_expired_total", {
    type: MetricType.COUNTER,
    help: "Total number of groups removed because their time to live had passed.",
    otherHelp: "rewrite",
  }],
  ["pushgateway_push_max_series", {
    type: MetricType.GAUGE,
    help: "The most series one push may hold (--push.max-series-per-push); 0 means no limit.",
    otherHelp: "rewrite",
  }],
  ["pushgateway_storage_max_series", {
    type: MetricType.GAUGE,
    help: "The most series the Pushgateway stores (--storage.max-series); 0 means no limit.",
    otherHelp: "rewrite",
  }],
  ["pushgateway_stored_series", {
    type: MetricType.GAUGE,
    help: "Number of series stored in the Pushgateway's groups, push_time_seconds and the " +
      "other per-group gauges included.",
    otherHelp: "rewrite",
  }],
]);

/** Where {@linkcode storeOwnMetrics} reads its values. */
export interface StoreOwnMetricsOptions {
  /** The store's view (read at each collection). */
  readonly view: () => StoreView;
  /** Groups expired so far. */
  readonly expired: () => number;
  /** `--storage.max-series`. */
  readonly maxSeries: number;
  /** `--push.max-series-per-push`. */
  readonly maxSeriesPerPush: number;
}

/**
 * The store's own metrics as a collector for `SelfMetrics`.
 *
 * @param options Where the values come from.
 * @returns A function returning the current families (named in {@linkcode STORE_OWN_FAMILIES}).
 */
export function storeOwnMetrics(options: StoreOwnMetricsOptions): () => MetricFamily[] {
  const family = (name: string, metric: Metric): MetricFamily => {
    const own = STORE_OWN_FAMILIES.get(name) as OwnFamily;
    return { name, help: own.help, type: own.type, metric: [metric] };
  };
  const gauge = (name: string, value: number) => family(name, { label: [], gauge: { value } });
  return () => [
    family("pushgateway_groups_expired_total", {
      label: [],
      counter: { value: options.expired() },
    }),
    gauge("pushgateway_push_max_series", options.maxSeriesPerPush),
    gauge("pushgateway_storage_max_series", options.maxSeries),
    gauge("pushgateway_stored_series", options.view().seriesCount),
  ];
}
