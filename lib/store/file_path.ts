/**
 * `basename`, `dirname` and `join` for the store's files, in the convention
 * of the platform the gateway runs on.
 *
 * `@std/path` picks its convention by reading `globalThis.process`, which
 * makes Deno start its Node.js compatibility layer (about 30 ms of every
 * start, before the persistence file is even opened). This module asks
 * `Deno.build.os` instead and is otherwise `@std/path`'s own functions.
 *
 * @module
 */

import { basename as posixBasename } from "@std/path/posix/basename";
import { dirname as posixDirname } from "@std/path/posix/dirname";
import { join as posixJoin } from "@std/path/posix/join";
import { basename as windowsBasename } from "@std/path/windows/basename";
import { dirname as windowsDirname } from "@std/path/windows/dirname";
import { join as windowsJoin } from "@std/path/windows/join";

const WINDOWS = Deno.build.os === "windows";

/**
 * The last part of a path (`@std/path`'s `basename`).
 *
 * @example
 * ```ts
 * import { basename } from "@lib/store/file_path.ts";
 * console.log(basename("/var/lib/pushgateway/metrics.data")); // "metrics.data" (not on Windows)
 * ```
 */
export const basename: (path: string, suffix?: string) => string = WINDOWS
  ? windowsBasename
  : posixBasename;

/** The directory of a path (`@std/path`'s `dirname`). */
export const dirname: (path: string) => string = WINDOWS ? windowsDirname : posixDirname;

/** Joins path segments and normalises the result (`@std/path`'s `join`). */
export const join: (path: string, ...paths: string[]) => string = WINDOWS ? windowsJoin : posixJoin;
