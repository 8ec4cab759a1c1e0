/**
 * Builds a small Go program offline in GOPATH mode against Debian's Go
 * library sources (`/usr/share/gocode`), caching the binary under the system
 * temp directory keyed by the source text and `go version`.
 *
 * @module
 */

import { encodeHex } from "@std/encoding/hex";
import { hasProgram } from "./requirements.ts";
import { run } from "./gateway.ts";

/** Debian's GOPATH with the packaged library sources. */
export const GOPATH = "/usr/share/gocode";

/** A requirement for `testNeeding`: Go and the given library file under {@linkcode GOPATH}. */
export function goRequirement(libraryFile: string, packages: string): {
  available: boolean;
  reason: string;
} {
  return {
    available: hasProgram("go") && hasProgram(`${GOPATH}/src/${libraryFile}`),
    reason: `go or library sources missing (Debian packages "golang-go" and ${packages})`,
  };
}

/** Environment of an offline GOPATH-mode build against Debian's library sources. */
function goEnv(cacheRoot: string): Record<string, string> {
  return {
    GO111MODULE: "off",
    GOPATH,
    GOCACHE: `${cacheRoot}/gocache`,
    GOPROXY: "off",
    GOFLAGS: "",
    CGO_ENABLED: "0",
  };
}

const builds = new Map<string, Promise<string>>();

/**
 * Builds `source` (one `main.go`) once per process into a cache directory,
 * so that later runs reuse the binary.
 *
 * @param source Path of the Go source file.
 * @param name A short name for the binary.
 * @returns The path of the binary.
 */
export function buildGoProgram(source: string, name: string): Promise<string> {
  let build = builds.get(source);
  if (build === undefined) {
    build = (async () => {
      const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
      const cacheRoot = `${tmp}/pushgateway-deno-interop-go`;
      await Deno.mkdir(cacheRoot, { recursive: true });
      const version = await run("go", ["version"]);
      const key = encodeHex(
        await crypto.subtle.digest(
          "SHA-256",
          new TextEncoder().encode(version.stdout + (await Deno.readTextFile(source))),
        ),
      ).slice(0, 16);
      const binary = `${cacheRoot}/${name}-${key}`;
      try {
        if ((await Deno.stat(binary)).isFile) return binary;
      } catch { /* not built yet */ }
      const partial = `${binary}.${crypto.randomUUID()}.tmp`;
      const out = await run("go", ["build", "-o", partial, source], goEnv(cacheRoot));
      if (out.code !== 0) throw new Error(`go build failed:\n${out.stdout}${out.stderr}`);
      await Deno.rename(partial, binary);
      return binary;
    })();
    builds.set(source, build);
  }
  return build;
}
