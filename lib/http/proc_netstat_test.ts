import { assertEquals } from "@std/assert";
import { parseNetstatOctets } from "@lib/http/proc_netstat.ts";

// A Linux 6.x /proc/self/net/netstat, its long TcpExt and MPTcpExt sections shortened.
const FIXTURE = [
  "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts TW DelayedACKs",
  "TcpExt: 0 0 0 0 2900 164",
  "IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts " +
  "InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors " +
  "InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps",
  "IpExt: 0 0 0 0 0 0 249659926 43637721 0 0 0 0 0 115227 0 0 0 0",
  "MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX",
  "MPTcpExt: 0 0 0",
  "",
].join("\n");

Deno.test("parseNetstatOctets() reads IpExt InOctets and OutOctets", () => {
  assertEquals(parseNetstatOctets(FIXTURE), {
    receiveBytes: 249659926,
    transmitBytes: 43637721,
  });
});

Deno.test("parseNetstatOctets() takes counters beyond 2^53 as the nearest double", () => {
  const text = "IpExt: InOctets OutOctets\nIpExt: 18446744073709551615 9007199254740993\n";
  assertEquals(parseNetstatOctets(text), {
    receiveBytes: 18446744073709551615,
    transmitBytes: 9007199254740992,
  });
});

Deno.test("parseNetstatOctets() counts missing fields as 0", () => {
  // Names of other sections do not count: only IpExt's InOctets and OutOctets.
  const other = "TcpExt: InOctets OutOctets\nTcpExt: 5 6\nIpExt: InNoRoutes\nIpExt: 1\n";
  assertEquals(parseNetstatOctets(other), { receiveBytes: 0, transmitBytes: 0 });
  assertEquals(parseNetstatOctets(""), { receiveBytes: 0, transmitBytes: 0 });
  assertEquals(parseNetstatOctets("IpExt: OutOctets\nIpExt: 7"), {
    receiveBytes: 0,
    transmitBytes: 7,
  });
});

Deno.test("parseNetstatOctets() accepts CRLF line ends as Go's line scanner does", () => {
  assertEquals(parseNetstatOctets("IpExt: InOctets OutOctets\r\nIpExt: 3 4\r\n"), {
    receiveBytes: 3,
    transmitBytes: 4,
  });
});

Deno.test("parseNetstatOctets() rejects a file procfs cannot parse", () => {
  const bad = [
    // More names than values.
    "IpExt: InOctets OutOctets\nIpExt: 1\n",
    // A names line without its values line.
    "IpExt: InOctets OutOctets\n",
    // Two spaces make an empty field, which is not a number.
    "IpExt: InNoRoutes InOctets OutOctets\nIpExt:  1 2\n",
    // A bad value in another section still spoils the whole file.
    "TcpExt: TW\nTcpExt: many\nIpExt: InOctets OutOctets\nIpExt: 1 2\n",
    // Out of float64 range.
    "IpExt: InOctets OutOctets\nIpExt: 1e400 2\n",
  ];
  for (const text of bad) assertEquals(parseNetstatOctets(text), undefined, text);
});
