/**
 * Tests that need an outside program (the reference pushgateway, Prometheus,
 * Python's client, Chromium…) skip with a reason when it is absent, except
 * under `CI=true`, where `.ci/run` installs everything and a missing program
 * fails the run (toolchain.md §5).
 *
 * @module
 */

/**
 * True when running under CI (`CI=true`). Read when called, not at import:
 * the bench's load-generator process imports this module without env access.
 */
export function inCi(): boolean {
  return Deno.env.get("CI") === "true";
}

/** An outside program a test needs: whether it is there, and what to say when it is not. */
export interface Requirement {
  readonly available: boolean;
  readonly reason: string;
}

/** Whether an executable exists at `path` (absolute) or on PATH. */
export function hasProgram(nameOrPath: string): boolean {
  const candidates = nameOrPath.includes("/")
    ? [nameOrPath]
    : (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/${nameOrPath}`);
  return candidates.some((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * Registers `fn` as a test that needs `what` (described by `reason` when
 * missing): ignored with a printed reason when `available` is false, or a
 * failing test under CI.
 */
export function testNeeding(
  what: Requirement,
  name: string,
  fn: (t: Deno.TestContext) => Promise<void> | void,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore"> = {},
): void {
  if (what.available) {
    Deno.test({ name, fn, ...options });
  } else if (inCi()) {
    Deno.test({
      name,
      fn() {
        throw new Error(`required under CI=true but missing: ${what.reason}`);
      },
    });
  } else {
    console.warn(`skipping "${name}": ${what.reason}`);
    Deno.test({ name, fn, ignore: true, ...options });
  }
}
