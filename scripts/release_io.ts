/**
 * The release script's process and file helpers: running commands, hashing and reading files, and
 * the errors that stop a release.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { fromFileUrl, resolve } from "@std/path";

/** The repository root (parent of `scripts/`). */
export const REPO_ROOT: string = resolve(fromFileUrl(new URL("..", import.meta.url)));

/** A command that exited with a non-zero status. */
export class CommandError extends Error {
  /** Creates the error from the command and its output. */
  constructor(readonly command: string, readonly code: number, readonly output: string) {
    super(`Command failed with exit code ${code}: ${command}\n${output}`);
    this.name = "CommandError";
  }
}

/** Stops the release with an exit code and a message. */
export class ReleaseError extends Error {
  /** Creates the error. */
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

/** What a finished command printed. */
export interface CommandResult {
  /** Exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/**
 * Quotes a command line for display, shell style.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns One line a shell would run the same way.
 */
export function shellLine(cmd: string, args: readonly string[]): string {
  const q = (s: string): string =>
    /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
  return [cmd, ...args].map(q).join(" ");
}

/**
 * Runs a command to completion and collects its output.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @param options Working directory and extra environment.
 * @returns Exit code and output; never throws for a non-zero exit.
 */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CommandResult> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    signal: options.signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** {@link runCommand}, throwing {@link CommandError} on a non-zero exit. */
export async function mustRun(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  const result = await runCommand(cmd, args, options);
  if (result.code !== 0) {
    throw new CommandError(shellLine(cmd, args), result.code, result.stdout + result.stderr);
  }
  return result;
}

/**
 * SHA-256 of a file, read as a stream.
 *
 * @param path The file.
 * @returns Lowercase hex digest.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Reads the first bytes of a file (for the executable header check).
 *
 * @param path The file.
 * @param length How many bytes at most.
 * @returns The bytes read.
 */
export async function readHead(path: string, length = 65536): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const buf = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buf.subarray(0, filled);
}
