/**
 * The comparison harness: the same request sequences (and command lines) go to
 * Debian's reference `prometheus-pushgateway` 1.5.1 and to ours, and the
 * answers must match after normalisation (`compare_normalise.ts`;
 * docs/upstream.md §13, "Unchanged since 1.5.1"). The scenarios live in
 * `tests/compare_*_test.ts`; every deliberate difference is listed in
 * `tests/known_differences.ts`.
 *
 * Tests registered here are skipped (with a message) when the reference
 * binary is not installed, and fail under `CI=true`.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { encodeGroupingPath } from "@lib/model/grouping_key.ts";
import type { MetricFamily } from "@lib/model/metric.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { request } from "@lib/http/test_client.ts";
import { normaliseApiMetrics, normaliseError, normaliseScrape } from "./compare_normalise.ts";
import {
  type Outcome,
  REFERENCE_BIN,
  run,
  spawnReference,
  stopReference,
  withGateway,
} from "./gateway.ts";
import { poll } from "./poll.ts";
import { hasProgram, type Requirement, testNeeding } from "./requirements.ts";
import type { Step } from "../known_differences.ts";

/** Debian's reference binary, which every comparison needs. */
export const REFERENCE: Requirement = {
  available: hasProgram(REFERENCE_BIN),
  reason: `${REFERENCE_BIN} (Debian's prometheus-pushgateway 1.5.1) is not installed`,
};

// ---------------------------------------------------------------------------
// Talking to a gateway.

/** A gateway under test: its base URL. */
export interface Target {
  readonly url: string;
}

/** One answer, body already read. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Decodes an HTTP/1.1 chunked body. */
function dechunk(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let pos = 0;
  const dec = new TextDecoder();
  for (;;) {
    let eol = pos;
    while (eol + 1 < bytes.length && !(bytes[eol] === 13 && bytes[eol + 1] === 10)) eol++;
    const size = parseInt(dec.decode(bytes.subarray(pos, eol)), 16);
    if (!(size > 0)) break;
    out.push(...bytes.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return new Uint8Array(out);
}

/** Sends a request over a plain socket, so the path reaches the server exactly as written. */
async function rawRequest(base: string, step: Step): Promise<Answer> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  try {
    const body = typeof step.body === "string"
      ? new TextEncoder().encode(step.body)
      : step.body ?? new Uint8Array();
    let head = `${step.method} ${step.path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Connection: close\r\nContent-Length: ${body.length}\r\n`;
    for (const [k, v] of Object.entries(step.headers ?? {})) head += `${k}: ${v}\r\n`;
    const req = new Uint8Array([...new TextEncoder().encode(head + "\r\n"), ...body]);
    await conn.write(req);
    const chunks: number[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(...buf.subarray(0, n));
    }
    const all = new Uint8Array(chunks);
    const text = new TextDecoder("latin1").decode(all);
    const split = text.indexOf("\r\n\r\n");
    const lines = text.slice(0, split).split("\r\n");
    const status = Number((lines[0] ?? "").split(" ")[1]);
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    let payload: Uint8Array = all.subarray(split + 4);
    if (headers.get("transfer-encoding") === "chunked") payload = dechunk(payload);
    return { status, headers, body: new TextDecoder().decode(payload) };
  } finally {
    conn.close();
  }
}

/** Sends one step; fetch does not follow redirects and asks for identity encoding by default. */
export async function send(base: string, step: Step): Promise<Answer> {
  if (step.raw) return await rawRequest(base, step);
  const signal = step.timeoutMs === undefined ? undefined : AbortSignal.timeout(step.timeoutMs);
  try {
    const res = await fetch(base + step.path, {
      method: step.method,
      body: step.body,
      headers: { "accept-encoding": "identity", ...step.headers },
      redirect: "manual",
      signal,
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  } catch (err) {
    if (!signal?.aborted) throw err;
    return { status: 0, headers: new Headers(), body: "<no answer>" };
  }
}

const COMPARED_HEADERS = [
  "location",
  "allow",
  "content-type",
  "content-encoding",
  "x-content-type-options",
  "access-control-allow-origin",
  "cache-control",
];

/** What is compared of one answer. */
export interface Observation {
  readonly step: string;
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * A step of a compared sequence; `statusOnly` compares the status, Content-Type
 * and Location only.
 */
export interface CompareStep extends Step {
  readonly statusOnly?: boolean;
}

/** What of `answer` to `step` is compared, normalised. */
export function observe(step: CompareStep, answer: Answer): Observation {
  const headers: Record<string, string> = {};
  // statusOnly: the page's own extra headers (the UI's CSP, cache policy) are not compared.
  const names = step.statusOnly ? ["content-type", "location"] : COMPARED_HEADERS;
  for (const name of names) {
    let value = answer.headers.get(name);
    if (value === null) continue;
    // Known difference "metrics-content-type-escaping": asserted in its own probe.
    if (name === "content-type") value = value.replace(/; escaping=underscores$/, "");
    headers[name] = value;
  }
  const type = headers["content-type"] ?? "";
  let body = answer.body;
  if (step.statusOnly) body = "<not compared>";
  else if (type.startsWith("text/plain; version=0.0.4")) body = normaliseScrape(body);
  else if (type === "application/json" && step.path.includes("/api/v1/metrics")) {
    body = normaliseApiMetrics(body);
  } else body = normaliseError(body);
  const shown = step.body === undefined
    ? ""
    : ` ${JSON.stringify(typeof step.body === "string" ? step.body : "<bytes>")}`;
  return { step: `${step.method} ${step.path}${shown}`, status: answer.status, body, headers };
}

// ---------------------------------------------------------------------------
// Pairs of gateways.

/** The reference and ours, started with the same flags. */
export interface Pair {
  readonly ref: Target;
  readonly ours: Target;
}

/**
 * Runs `fn` with the reference and ours started with `args` (ours also with
 * `oursArgs`); the reference is ready when `readyPath` answers 200.
 */
export async function withPair(
  args: readonly string[],
  fn: (pair: Pair) => Promise<void>,
  oursArgs: readonly string[] = [],
  readyPath = "/-/ready",
): Promise<void> {
  await withGateway([...args, ...oursArgs], async (ours) => {
    const ref = await spawnReference(args, readyPath);
    try {
      await fn({ ref, ours });
    } finally {
      await stopReference(ref);
    }
  });
}

/** Sleeps; only to let time pass, never to assert a duration. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Deletes every group and waits until the API shows none (upstream deletes asynchronously). */
async function reset(target: Target, prefix = ""): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await request(target, "GET", `${prefix}/api/v1/metrics`);
    const groups = JSON.parse(res.text).data as { labels: Record<string, string> }[];
    if (groups.length === 0) return;
    if (i % 10 === 0) {
      for (const g of groups) {
        await request(target, "DELETE", prefix + encodeGroupingPath(g.labels));
      }
    }
    await sleep(20);
  }
  throw new Error(`could not empty ${target.url}`);
}

/** A compared sequence. */
export interface Scenario {
  readonly name: string;
  readonly steps: readonly CompareStep[];
  /** Compare the normalised scrape afterwards (default true). */
  readonly scrape?: boolean;
  /** Compare the normalised `/api/v1/metrics` afterwards (default false). */
  readonly api?: boolean;
  /**
   * Runs last, for what normalisation hides (push-time values, self metrics):
   * assert it on both sides directly.
   */
  readonly check?: (pair: Pair) => Promise<void>;
}

/** Sends `steps` to both sides in turn and compares what each side answered. */
export async function compareSequence(pair: Pair, steps: readonly CompareStep[]): Promise<void> {
  const ref: Observation[] = [];
  const ours: Observation[] = [];
  for (const step of steps) {
    ref.push(observe(step, await send(pair.ref.url, step)));
    ours.push(observe(step, await send(pair.ours.url, step)));
  }
  assertEquals(ours, ref);
}

/**
 * Compares `GET path` until the answers match (the reference applies deletes
 * and unchecked pushes later).
 */
async function compareAfter(pair: Pair, path: string): Promise<void> {
  await poll(`GET ${path} to match`, async () => {
    await compareSequence(pair, [{ method: "GET", path }]);
    return true;
  }, { attempts: 41, intervalMs: 50 });
}

/** Empties both stores, runs the scenario's steps, then compares the scrape and the API. */
async function runScenario(pair: Pair, s: Scenario, prefix = ""): Promise<void> {
  await Promise.all([reset(pair.ref, prefix), reset(pair.ours, prefix)]);
  await compareSequence(pair, s.steps);
  if (s.scrape !== false) await compareAfter(pair, prefix + "/metrics");
  if (s.api) await compareAfter(pair, prefix + "/api/v1/metrics");
  if (s.check) await s.check(pair);
}

/**
 * Registers one test that starts a pair with `args` and runs every scenario as
 * a step; `prefix` is the route prefix those flags set.
 */
export function compareScenarios(
  name: string,
  args: readonly string[],
  scenarios: Scenario[],
  prefix = "",
): void {
  testNeeding(REFERENCE, name, async (t) => {
    await withPair(
      args,
      async (pair) => {
        for (const s of scenarios) {
          await t.step(s.name, () => runScenario(pair, s, prefix));
        }
      },
      [],
      prefix + "/-/ready",
    );
  });
}

// ---------------------------------------------------------------------------
// Steps.

/** A PUT step. */
export const put = (
  path: string,
  body: string | Uint8Array<ArrayBuffer> = "",
  headers = {},
): CompareStep => ({
  method: "PUT",
  path,
  body,
  headers,
});
/** A POST step. */
export const post = (
  path: string,
  body: string | Uint8Array<ArrayBuffer> = "",
  headers = {},
): CompareStep => ({
  method: "POST",
  path,
  body,
  headers,
});
/** A DELETE step. */
export const del = (path: string, body?: string): CompareStep => ({ method: "DELETE", path, body });
/** A GET step. */
export const get = (path: string, headers = {}): CompareStep => ({ method: "GET", path, headers });

/** A length-delimited protobuf body. */
export function proto(families: MetricFamily[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encodeDelimited(families));
}

// ---------------------------------------------------------------------------
// Command line.

/** Runs the reference memory-only to completion. */
export function runRef(args: readonly string[]): Promise<Outcome> {
  return run(REFERENCE_BIN, ["--persistence.file=", ...args]);
}
