/**
 * Every entry of `tests/known_differences.ts` must really exist: its probe
 * runs against Debian's 1.5.1 and against ours, and each side must answer as
 * the entry says (`tests/helpers/compare.ts` starts the pairs).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type Answer, REFERENCE, runRef, send, sleep, withPair } from "./helpers/compare.ts";
import { runMain, spawnReference, startGateway, stopReference } from "./helpers/gateway.ts";
import { testNeeding } from "./helpers/requirements.ts";
import { type CliExpect, type HttpExpect, KNOWN_DIFFERENCES } from "./known_differences.ts";

function checkHttp(side: string, answer: Answer, want: HttpExpect): void {
  const where = `${side}: ${answer.status} ${JSON.stringify(answer.body.slice(0, 400))}`;
  assertEquals(answer.status, want.status, where);
  if (want.body !== undefined) assertEquals(answer.body, want.body, where);
  for (const s of want.bodyIncludes ?? []) assertStringIncludes(answer.body, s, where);
  for (const s of want.bodyExcludes ?? []) assert(!answer.body.includes(s), `${where}: has ${s}`);
  for (const [k, v] of Object.entries(want.headers ?? {})) {
    assertEquals(answer.headers.get(k), v, `${side}: header ${k}`);
  }
}

function checkCli(
  side: string,
  got: { code: number; stdout: string; stderr: string },
  want: CliExpect,
): void {
  const where = `${side}: ${JSON.stringify(got)}`;
  if (want.code !== undefined) assertEquals(got.code, want.code, where);
  for (const s of want.stdoutIncludes ?? []) assertStringIncludes(got.stdout, s, where);
  for (const s of want.stderrIncludes ?? []) assertStringIncludes(got.stderr, s, where);
  if (want.stdoutEmpty) assertEquals(got.stdout, "", where);
  if (want.stderrEmpty) assertEquals(got.stderr, "", where);
}

async function alive(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/healthy`);
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

testNeeding(REFERENCE, "known differences really differ from 1.5.1", async (t) => {
  const ids = KNOWN_DIFFERENCES.map((d) => d.id);
  assertEquals(new Set(ids).size, ids.length, "ids are unique");
  for (const diff of KNOWN_DIFFERENCES) {
    await t.step(diff.id, async () => {
      const probe = diff.probe;
      if (probe.kind === "http") {
        await withPair(probe.args ?? [], async (pair) => {
          let ref: Answer | undefined;
          let ours: Answer | undefined;
          for (const step of probe.steps) {
            ref = await send(pair.ref.url, step);
            ours = await send(pair.ours.url, step);
          }
          checkHttp("reference", ref!, probe.reference);
          checkHttp("ours", ours!, probe.ours);
        }, probe.oursArgs);
      } else if (probe.kind === "cli") {
        const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        try {
          const busy = String((holder.addr as Deno.NetAddr).port);
          const args = probe.args.map((a) => a.replaceAll("{busy}", busy));
          const [ref, ours] = await Promise.all([runRef(args), runMain(args)]);
          checkCli("reference", ref, probe.reference);
          checkCli("ours", ours, probe.ours);
        } finally {
          holder.close();
        }
      } else {
        const ours = await startGateway([]);
        const ref = await spawnReference([]);
        try {
          ref.process.kill(probe.signal);
          ours.process.kill(probe.signal);
          const refDied = await Promise.race([
            ref.status.then(() => true),
            sleep(3000).then(() => false),
          ]);
          assertEquals(refDied ? "dies" : "survives", probe.reference, "reference");
          // Ours: still serving after the signal (a dying process would refuse the connection).
          await sleep(300);
          assertEquals((await alive(ours.url)) ? "survives" : "dies", probe.ours, "ours");
        } finally {
          await stopReference(ref);
          await ours.stop();
        }
      }
    });
  }
});
