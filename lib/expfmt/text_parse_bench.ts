/**
 * Benchmarks of {@linkcode parseText}: `deno bench lib/expfmt/text_parse_bench.ts`.
 *
 * @module
 */

import { parseText } from "@lib/expfmt/text_parse.ts";

/** Builds a body of about `size` bytes mixing counters, labels, a histogram and a summary. */
function body(size: number): Uint8Array {
  const lines: string[] = [];
  let len = 0;
  for (let f = 0; len < size; f++) {
    const block = [
      `# HELP http_requests_${f}_total Total HTTP requests, by code and method.`,
      `# TYPE http_requests_${f}_total counter`,
    ];
    for (let i = 0; i < 20; i++) {
      block.push(
        `http_requests_${f}_total{code="${200 + i}",method="GET",path="/api/v1/item/${i}"} ${
          i * 1027
        }`,
      );
    }
    block.push(`# TYPE latency_${f}_seconds histogram`);
    for (const le of ["0.005", "0.01", "0.1", "1", "10", "+Inf"]) {
      block.push(`latency_${f}_seconds_bucket{handler="/x",le="${le}"} 17`);
    }
    block.push(`latency_${f}_seconds_sum{handler="/x"} 1.5e-3`);
    block.push(`latency_${f}_seconds_count{handler="/x"} 17`);
    block.push(`# TYPE rpc_${f} summary`);
    block.push(`rpc_${f}{quantile="0.5"} 0.25`, `rpc_${f}_sum 10`, `rpc_${f}_count 40`);
    for (const l of block) len += l.length + 1;
    lines.push(...block);
  }
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

const oneMegabyte = body(1 << 20);
const small = body(2000);

Deno.bench("parseText 1 MB mixed body", () => {
  parseText(oneMegabyte);
});

Deno.bench("parseText 2 kB body", () => {
  parseText(small);
});
