/**
 * Starts our gateway (`main.ts`) as a real process on a loopback port, and
 * Debian's reference `prometheus-pushgateway` beside it.
 *
 * @module
 */

import { V8_FLAGS } from "../../scripts/release_lib.ts";
import { poll, type PollOptions } from "./poll.ts";
import { type Requirement, testNeeding } from "./requirements.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;

/** Path of Debian's reference binary. */
export const REFERENCE_BIN = "/usr/bin/prometheus-pushgateway";

/** A running gateway process. */
export interface RunningGateway {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly process: Deno.ChildProcess;
  /** Log lines (stderr) seen so far. */
  readonly logs: string[];
  /** Sends `signal` (default SIGTERM) and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startGateway}. */
export interface StartOptions {
  /** Run the program under another command, e.g. `["setpriv", "--reuid=65534", …]`. */
  readonly wrapper?: readonly string[];
  readonly env?: Record<string, string>;
  /** How long to wait for the listener (ms). */
  readonly timeoutMs?: number;
  /** Another copy of `main.ts` to run (e.g. one an unprivileged user can read). */
  readonly main?: string;
  /** Another Deno executable to run it with. */
  readonly denoBin?: string;
  /** Deno's permission flags (default `--allow-all`; the release's are narrower). */
  readonly permissions?: readonly string[];
}

/** Reads lines from a byte stream, pushing them to `sink` and resolving `waiter`s on matches. */
function pumpLines(
  stream: ReadableStream<Uint8Array>,
  sink: string[],
  onLine: (line: string) => void,
): Promise<void> {
  return (async () => {
    let buf = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        sink.push(line);
        onLine(line);
      }
    }
    if (buf) {
      sink.push(buf);
      onLine(buf);
    }
  })();
}

/**
 * Starts `main.ts` with `args` (plus a loopback listener on an ephemeral port)
 * and waits for its `Listening on` log line.
 */
export async function startGateway(
  args: readonly string[] = [],
  options: StartOptions = {},
): Promise<RunningGateway> {
  const denoArgs = [
    "run",
    ...options.permissions ?? ["--allow-all"],
    "--quiet",
    ...(V8_FLAGS.length > 0 ? [`--v8-flags=${V8_FLAGS.join(",")}`] : []), // as the release runs
    options.main ?? MAIN,
    "--web.listen-address=127.0.0.1:0",
    ...args,
  ];
  const deno = options.denoBin ?? Deno.execPath();
  const wrapper = options.wrapper ?? [];
  const command = wrapper.length > 0
    ? new Deno.Command(wrapper[0] as string, {
      args: [...wrapper.slice(1), deno, ...denoArgs],
      stdout: "piped",
      stderr: "piped",
      env: { RUST_BACKTRACE: "0", ...options.env },
    })
    : new Deno.Command(deno, {
      args: denoArgs,
      stdout: "piped",
      stderr: "piped",
      env: { RUST_BACKTRACE: "0", ...options.env },
    });
  const process = command.spawn();
  const logs: string[] = [];
  let resolvePort: (port: number) => void = () => {};
  const portSeen = new Promise<number>((r) => (resolvePort = r));
  const onLine = (line: string) => {
    const m = line.match(/msg="?Listening on"? .*address=\S*:(\d+)/) ??
      line.match(/"msg":"Listening on".*"address":"[^"]*:(\d+)"/);
    if (m) resolvePort(Number(m[1]));
  };
  const pumps = Promise.all([
    pumpLines(process.stderr, logs, onLine),
    pumpLines(process.stdout, logs, onLine),
  ]);
  const status = process.status.then(async (s) => {
    await pumps;
    return s;
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    portSeen,
    status.then((s) => {
      throw new Error(`gateway exited early (code ${s.code}):\n${logs.join("\n")}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`gateway did not listen in time:\n${logs.join("\n")}`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process,
    logs,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        process.kill(signal);
      } catch { /* already gone */ }
      return await status;
    },
    exited: () => status,
  };
}

/** Finds a free loopback TCP port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Exit code, stdout and stderr of a finished command. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command and returns its exit code, stdout and stderr. A command
 * still running after `timeoutMs` (e.g. one that would serve forever) is
 * killed with SIGKILL.
 */
export async function run(
  cmd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<Outcome> {
  const child = new Deno.Command(cmd, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0", ...env },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  try {
    const out = await child.output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `main.ts` to completion with `args` (for -h, --version, bad flags), bounded in time. */
export function runMain(args: readonly string[], timeoutMs = 60_000): Promise<Outcome> {
  return run(Deno.execPath(), ["run", "--allow-all", "--quiet", MAIN, ...args], {}, timeoutMs);
}

/** What {@linkcode withGateway} hands back once the gateway has stopped. */
export interface GatewayRun<T> {
  /** What `fn` returned. */
  readonly result: T;
  /** The exit status after SIGTERM. */
  readonly status: Deno.CommandStatus;
  /** Every log line of the run. */
  readonly logs: string[];
}

/**
 * Runs `fn` against a gateway started with `args`, then stops it with SIGTERM
 * and returns `fn`'s result with the exit status. When `fn` throws, the
 * process is killed (SIGKILL) so that a failing test never hangs.
 */
export async function withGateway<T>(
  args: readonly string[],
  fn: (gw: RunningGateway) => Promise<T>,
  options: StartOptions = {},
): Promise<GatewayRun<T>> {
  const gw = await startGateway(args, options);
  let result: T;
  try {
    result = await fn(gw);
  } catch (err) {
    await gw.stop("SIGKILL");
    throw err;
  }
  const status = await gw.stop("SIGTERM");
  return { result, status, logs: gw.logs };
}

/** Options of {@linkcode testWithGateway}. */
export interface TestGatewayOptions extends StartOptions {
  /** An outside program the test needs: without it the test is skipped (failed under CI). */
  readonly needs?: Requirement;
}

/** Registers a test that gets a fresh gateway started with `args`, stopped afterwards. */
export function testWithGateway(
  name: string,
  args: readonly string[],
  fn: (gw: RunningGateway) => Promise<void>,
  options: TestGatewayOptions = {},
): void {
  const { needs, ...start } = options;
  const test = async () => {
    await withGateway(args, fn, start);
  };
  if (needs) testNeeding(needs, name, test);
  else Deno.test(name, test);
}

/** A running reference binary. */
export interface Reference {
  readonly url: string;
  readonly process: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
}

/**
 * Starts Debian's reference binary memory-only on a free loopback port and
 * waits until `readyPath` answers 200.
 */
export async function spawnReference(
  args: readonly string[],
  readyPath = "/-/ready",
): Promise<Reference> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const process = new Deno.Command(REFERENCE_BIN, {
      args: [`--web.listen-address=127.0.0.1:${port}`, "--persistence.file=", ...args],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const url = `http://127.0.0.1:${port}`;
    let exited = false;
    const status = process.status.then((s) => {
      exited = true;
      return s;
    });
    for (let i = 0; i < 200 && !exited; i++) {
      try {
        const res = await fetch(url + readyPath);
        await res.body?.cancel();
        if (res.ok) return { url, process, status };
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      process.kill("SIGKILL");
    } catch { /* gone */ }
    await status;
  }
  throw new Error("reference pushgateway did not become ready");
}

/** Stops the reference (SIGKILL: a 1.5.1 handler may be deadlocked) and reaps it. */
export async function stopReference(ref: Reference): Promise<void> {
  try {
    ref.process.kill("SIGKILL");
  } catch { /* gone */ }
  await ref.status;
}

/**
 * Waits until one of `gw`'s log lines matches `re` (the log pump runs
 * concurrently) and returns it; by default 400 looks, 25 ms apart.
 */
export async function waitForLog(
  gw: RunningGateway,
  re: RegExp,
  options: PollOptions = {},
): Promise<string> {
  try {
    return await poll(`a log line matching ${re}`, () => gw.logs.find((l) => re.test(l)), {
      attempts: 400,
      intervalMs: 25,
      ...options,
    });
  } catch {
    throw new Error(`no log line matches ${re}:\n${gw.logs.join("\n")}`);
  }
}
