import { assert, assertEquals } from "@std/assert";
import { parseNetstatOctets } from "@lib/http/proc_netstat.ts";
import { buildLabels, OWN_FAMILIES, SelfMetrics, statCpuSeconds } from "@lib/http/self_metrics.ts";
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

/** This process's CPU seconds from /proc/self/stat (utime + stime, in ticks of 1/100 s). */
function statCpu(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

Deno.test({
  name: "SelfMetrics.collect() reports the CPU time of /proc/self/stat on Linux, as client_golang",
  ignore: Deno.build.os !== "linux",
  fn() {
    const self = new SelfMetrics(buildLabels(TEST_BUILD_INFO));
    let spin = 0;
    for (let i = 0; i < 2e7; i++) spin += i % 7; // some CPU time of our own
    const before = statCpu();
    const family = self.collect().find((f) => f.name === "process_cpu_seconds_total");
    const after = statCpu();
    assert(family, "process_cpu_seconds_total is collected");
    assertEquals(family.type, MetricType.COUNTER);
    const value = family.metric[0]?.counter?.value as number;
    assert(value > 0 && spin > 0, `${value} > 0`);
    assert(before <= value && value <= after, `${value} within [${before}, ${after}]`);
  },
});

Deno.test("statCpuSeconds() adds utime and stime (fields 14 and 15) in ticks of 1/100 s", () => {
  // The fields after "(comm) ": state is field 3, so utime and stime are at indexes 11 and 12.
  const fields = "S 1 2 3 4 5 6 7 8 9 10 250 130 0 0 20 0 1 0 100 4096".split(" ");
  assertEquals(statCpuSeconds(fields), 3.8);
  assertEquals(statCpuSeconds(["S"]), undefined);
});
