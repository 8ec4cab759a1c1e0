/**
 * Fills a gateway with many groups over HTTP, as a large installation looks:
 * each group a counter, a gauge, a histogram and a summary (plus the two
 * push-time gauges the gateway adds), all groups sharing the families.
 *
 * @module
 */

/** Sample lines a group of {@linkcode groupBody} adds to `/metrics` (push-time gauges included). */
export const LINES_PER_GROUP = 3 + 1 + 6 + 4 + 2;

/** The text body pushed for group `i`; `value` moves every sample. */
export function groupBody(i: number, value = i): string {
  return `# HELP fill_requests_total Requests handled.
# TYPE fill_requests_total counter
fill_requests_total{code="200"} ${value * 7}
fill_requests_total{code="404"} ${value % 13}
fill_requests_total{code="500"} ${value % 3}
# HELP fill_queue_length Items waiting.
# TYPE fill_queue_length gauge
fill_queue_length ${value % 101}
# HELP fill_duration_seconds Duration of a run.
# TYPE fill_duration_seconds histogram
fill_duration_seconds_bucket{le="0.1"} ${value % 5}
fill_duration_seconds_bucket{le="1"} ${value % 5 + 2}
fill_duration_seconds_bucket{le="10"} ${value % 5 + 4}
fill_duration_seconds_bucket{le="+Inf"} ${value % 5 + 5}
fill_duration_seconds_sum ${value / 8}
fill_duration_seconds_count ${value % 5 + 5}
# HELP fill_latency_seconds Latency.
# TYPE fill_latency_seconds summary
fill_latency_seconds{quantile="0.5"} ${value / 1000}
fill_latency_seconds{quantile="0.99"} ${value / 100}
fill_latency_seconds_sum ${value}
fill_latency_seconds_count ${value + 1}
`;
}

/** The grouping path of group `i`. */
export function groupPath(i: number): string {
  return `/metrics/job/fill/instance/host-${i}`;
}

/** PUTs groups `0 … count-1` to the gateway at `url` over `connections` parallel loops. */
export async function fillGroups(url: string, count: number, connections = 8): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(url + groupPath(i), { method: "PUT", body: groupBody(i) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`PUT group ${i}: ${res.status} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

/** The gateway's own family names start with these (their values move between scrapes). */
const OWN_PREFIXES = ["process_", "pushgateway_"];

/** A text exposition without the gateway's own families (HELP, TYPE and sample lines). */
export function withoutOwnFamilies(text: string): string {
  return text.split("\n").filter((line) => {
    const name = line.startsWith("# ") ? line.split(" ")[2] ?? "" : line;
    return !OWN_PREFIXES.some((p) => name.startsWith(p));
  }).join("\n");
}
