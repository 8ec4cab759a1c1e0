/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): command-line
 * errors and exit codes, and `/-/quit` ending the process.
 */

import { assertEquals } from "@std/assert";
import {
  type CompareStep,
  get,
  type Observation,
  observe,
  put,
  REFERENCE,
  runRef,
  send,
} from "./helpers/compare.ts";
import { runMain, spawnReference, startGateway, stopReference } from "./helpers/gateway.ts";
import { testNeeding } from "./helpers/requirements.ts";

testNeeding(REFERENCE, "compare: CLI errors, exit codes (docs/upstream.md §9.1)", async (t) => {
  const cases: string[][] = [
    ["--bogus"],
    ["--web.enable-lifecycle=true"],
    ["--persistence.interval=abc"],
    ["--persistence.file"],
    ["--web.listen-address"],
    ["--log.level"],
    ["-x"],
    ["stray"],
    ["--web.telemetry-path=/a", "--web.telemetry-path=/b"],
    ["--no-persistence.file"],
    ["--web.external-url=:x"],
    ["--persistence.interval=1x"],
  ];
  for (const args of cases) {
    await t.step(args.join(" "), async () => {
      const [ref, ours] = await Promise.all([runRef(args), runMain(args)]);
      const norm = (s: string) => s.replaceAll("prometheus-pushgateway", "pushgateway");
      assertEquals(
        { code: ours.code, stdout: ours.stdout, stderr: norm(ours.stderr) },
        { code: ref.code, stdout: ref.stdout, stderr: norm(ref.stderr) },
      );
    });
  }
});

testNeeding(
  REFERENCE,
  "compare: --web.enable-lifecycle: /-/quit answers, then exit 0",
  async () => {
    const ours = await startGateway(["--web.enable-lifecycle"]);
    const ref = await spawnReference(["--web.enable-lifecycle"]);
    try {
      const obs: Observation[][] = [];
      for (const url of [ref.url, ours.url]) {
        const steps: CompareStep[] = [get("/-/quit"), put("/-/quit")];
        const seq: Observation[] = [];
        for (const s of steps) seq.push(observe(s, await send(url, s)));
        obs.push(seq);
      }
      assertEquals(obs[1], obs[0]);
      assertEquals(obs[0]![1]!.body, "Requesting termination... Goodbye!");
      const [refStatus, oursStatus] = await Promise.all([ref.status, ours.exited()]);
      assertEquals([oursStatus.code, oursStatus.signal], [refStatus.code, refStatus.signal]);
      assertEquals(oursStatus.code, 0);
    } finally {
      await stopReference(ref);
      await ours.stop();
    }
  },
);
