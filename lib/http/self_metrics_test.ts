import { assert, assertEquals } from "@std/assert";
import { parseNetstatOctets } from "@lib/http/proc_netstat.ts";
import { buildLabels, OWN_FAMILIES, SelfMetrics } from "@lib/http/self_metrics.ts";
import { MetricType } from "@lib/model/metric.ts";
import { TEST_BUILD_INFO } from "@lib/http/test_context.ts";

const NETWORK = [
  [
    "process_network_receive_bytes_total",
    "Number of bytes received by the process over the network.",
  ],
  ["process_network_transmit_bytes_total", "Number of bytes sent by the process over the network."],
] as const;

Deno.test("OWN_FAMILIES has the network counters with client_golang's HELP", () => {
  for (const [name, help] of NETWORK) {
    assertEquals(OWN_FAMILIES.get(name), { type: MetricType.COUNTER, help, otherHelp: "rewrite" });
  }
});

/** The IpExt octets of this process's network namespace, read directly. */
function octets(): { receiveBytes: number; transmitBytes: number } {
  const o = parseNetstatOctets(Deno.readTextFileSync("/proc/self/net/netstat"));
  assert(o, "/proc/self/net/netstat parses");
  return o;
}

Deno.test({
  name: "SelfMetrics.collect() reports /proc/self/net/netstat's octets on Linux",
  ignore: Deno.build.os !== "linux",
  fn() {
    const self = new SelfMetrics(buildLabels(TEST_BUILD_INFO));
    const before = octets();
    const families = self.collect();
    const after = octets();
    const value = (name: string): number => {
      const f = families.find((f) => f.name === name);
      assert(f, `${name} is collected`);
      assertEquals(f.type, MetricType.COUNTER);
      assertEquals(f.help, OWN_FAMILIES.get(name)?.help);
      assertEquals(f.metric.length, 1);
      assertEquals(f.metric[0]?.label, []);
      return f.metric[0]?.counter?.value as number;
    };
    // Counters of the whole namespace move while the test runs: the value lies between two reads.
    const rx = value("process_network_receive_bytes_total");
    const tx = value("process_network_transmit_bytes_total");
    assert(
      before.receiveBytes <= rx && rx <= after.receiveBytes,
      `${rx} within [${before.receiveBytes}, ${after.receiveBytes}]`,
    );
    assert(
      before.transmitBytes <= tx && tx <= after.transmitBytes,
      `${tx} within [${before.transmitBytes}, ${after.transmitBytes}]`,
    );
  },
});
