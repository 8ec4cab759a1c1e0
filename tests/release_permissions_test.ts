/**
 * The gateway under the release's runtime permissions (`RUNTIME_PERMISSIONS`,
 * baked into the compiled executable), where Deno refuses `/proc/self`: the
 * process metrics that need it are left out, and the CPU time comes from
 * `node:process`, loaded with the first scrape (not at start).
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { RUNTIME_PERMISSIONS } from "../scripts/release_lib.ts";
import { startGateway } from "./helpers/gateway.ts";

/** The value of the unlabelled sample `name` in a text exposition, or undefined. */
function sample(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

Deno.test("under the release's permissions the first scrape (identity or gzip) already has process_cpu_seconds_total", async () => {
  for (const encoding of ["identity", "gzip"]) {
    const gw = await startGateway([], { permissions: RUNTIME_PERMISSIONS });
    try {
      // Deno's fetch asks for gzip and decompresses unless told otherwise.
      const res = await fetch(`${gw.url}/metrics`, { headers: { "accept-encoding": encoding } });
      const text = await res.text();
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-encoding") ?? "identity", encoding);
      const cpu = sample(text, "process_cpu_seconds_total");
      assert(cpu !== undefined && cpu > 0, `${encoding}: process_cpu_seconds_total ${cpu}`);
      assertEquals(sample(text, "process_open_fds"), undefined, "/proc/self is refused here");
      assert(sample(text, "process_resident_memory_bytes")! > 0);
      const again = sample(
        await (await fetch(`${gw.url}/-/metrics`)).text(),
        "process_cpu_seconds_total",
      );
      assert(again !== undefined && again >= cpu, `${again} >= ${cpu}`);
    } finally {
      await gw.stop();
    }
  }
});
