/**
 * The `restore` scenario of `deno task bench` (`--scenario restore`): spawn →
 * `/-/ready` restoring a persistence file of 10,000 groups, and the resident
 * memory one second after, for our gateway, upstream's (unless
 * `--no-upstream`) and, with `--baseline-main`, another checkout's gateway
 * ("before"), started in alternation round after round so that the load of the
 * shared machine falls on all of them alike.
 *
 * @module
 */

import { join } from "@std/path";
import { Budget, REFERENCE_GROUPS, summarize } from "./bench_lib.ts";
import type { BenchOptions } from "./bench_lib.ts";
import { fill } from "./bench_load.ts";
import { type GatewaySpec, log, memoryOf, MIB, sleep, spawnGateway } from "./bench_process.ts";

/** One gateway's starts. */
export interface RestoreFigure {
  /** `after` (this checkout or `--main`), `before` (`--baseline-main`) or `upstream`. */
  readonly gateway: string;
  /** Spawn → `/-/ready` 200 of each start (ms). */
  readonly readyMs: number[];
  /** RSS one second after each start (bytes). */
  readonly rss: number[];
}

/** Runs the scenario: fills one file per gateway, then restarts them in turn. */
export async function restoreScenario(opts: BenchOptions): Promise<RestoreFigure[]> {
  const rounds = opts.quick ? 2 : 5;
  const dir = await Deno.makeTempDir({ prefix: "bench-restore-" });
  try {
    const gateways: { name: string; spec: GatewaySpec }[] = [];
    if (opts.baselineMain !== "") {
      gateways.push({
        name: "before",
        spec: { kind: "ours", persistenceFile: join(dir, "before.data"), main: opts.baselineMain },
      });
    }
    gateways.push({
      name: "after",
      spec: { kind: "ours", persistenceFile: join(dir, "ours.data") },
    });
    if (!opts.noUpstream) {
      gateways.push({
        name: "upstream",
        spec: { kind: "upstream", persistenceFile: join(dir, "upstream.data") },
      });
    }
    for (const { name, spec } of gateways) {
      log(`restore: filling ${name}`);
      const filler = await spawnGateway(
        spec.kind === "upstream" ? { ...spec, unchecked: true } : spec,
        opts,
      );
      await fill(filler, 0, REFERENCE_GROUPS, opts.conns, new Budget(opts.budgetMs));
      await filler.stop();
    }
    const out = gateways.map(({ name }) => ({ gateway: name, readyMs: [], rss: [] }));
    for (let r = 0; r < rounds; r++) {
      // Alternate the order too, so no gateway always starts right after another's exit.
      const order = gateways.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        const gw = await spawnGateway(gateways[i]!.spec, opts);
        await sleep(1000);
        const rss = (await memoryOf(gw.pid)).rss;
        await gw.stop();
        (out[i]!.readyMs as number[]).push(gw.readyMs);
        (out[i]!.rss as number[]).push(rss);
        log(
          `  round ${r + 1} ${gateways[i]!.name}: ready ${gw.readyMs.toFixed(0)} ms, rss ${
            (rss / MIB).toFixed(0)
          } MiB`,
        );
      }
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The scenario's Markdown table. */
export function restoreReport(figures: readonly RestoreFigure[]): string {
  const lines = [
    "| gateway | starts | ready p50 ms | ready min–max ms | RSS p50 MiB | RSS min–max MiB |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const f of figures) {
    const t = summarize(f.readyMs), m = summarize(f.rss.map((b) => b / MIB));
    lines.push(
      `| ${f.gateway} | ${t.n} | ${t.p50.toFixed(0)} | ${t.min.toFixed(0)}–${t.max.toFixed(0)} | ${
        m.p50.toFixed(0)
      } | ${m.min.toFixed(0)}–${m.max.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}
