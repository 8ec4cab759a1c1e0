/**
 * Checks on the project itself: one pinned Deno version used everywhere, and
 * the vendored standard library identical to the official release tarball.
 */

import { assert, assertEquals } from "@std/assert";
import { walk } from "@std/fs";
import { relative } from "@std/path";
import { testNeeding } from "./helpers/requirements.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PINNED = Deno.readTextFileSync(`${ROOT}.deno-version`).trim();

Deno.test("the Deno version is pinned once and used by the README and .ci/run", () => {
  assert(/^\d+\.\d+\.\d+$/.test(PINNED), `bad .deno-version: ${PINNED}`);
  assertEquals(Deno.version.deno, PINNED, "tests run on the pinned Deno");
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const commands = [...readme.matchAll(/npx --yes deno@(\S+) task (\w+)/g)];
  assertEquals(commands.slice(0, 2).map((m) => m[2]), ["start", "test"]);
  for (const m of commands) assertEquals(m[1], PINNED);
  const ci = Deno.readTextFileSync(`${ROOT}.ci/run`);
  assert(ci.includes('DENO_VERSION="$(cat .deno-version)"'), ".ci/run reads .deno-version");
  assert(
    ci.includes('npx --yes "deno@${DENO_VERSION}" task test'),
    ".ci/run runs the README command",
  );
  assert(!/deno@\d/.test(ci), ".ci/run hard-codes no other version");
});

const TARBALL = new URL("../../shared/vendor/deno-std-2026.07.30.tar.gz", import.meta.url)
  .pathname;
const hasTarball = (() => {
  try {
    return Deno.statSync(TARBALL).isFile;
  } catch {
    return false;
  }
})();

testNeeding(
  { available: hasTarball, reason: `${TARBALL} is absent` },
  "vendor/std is byte-identical to the official std release tarball",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = await new Deno.Command("tar", { args: ["-xzf", TARBALL, "-C", dir] }).output();
      assert(out.success, "tar failed");
      const files = async (base: string) => {
        const map = new Map<string, Uint8Array>();
        for await (const e of walk(base, { includeDirs: false })) {
          map.set(relative(base, e.path), await Deno.readFile(e.path));
        }
        return map;
      };
      const expected = await files(`${dir}/std`);
      const actual = await files(`${ROOT}vendor/std`);
      assertEquals([...actual.keys()].sort(), [...expected.keys()].sort());
      for (const [name, bytes] of expected) {
        assertEquals(actual.get(name), bytes, `vendor/std/${name} differs`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
