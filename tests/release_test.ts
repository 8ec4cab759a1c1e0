/**
 * End-to-end tests of the release tooling on real files: packaging (layout,
 * reproducibility, checksums), the unpacked executable, `deno compile` for the
 * host, the embedded file list, the systemd unit and the dry-run plan.
 *
 * `deno compile` cannot get its runtime base (denort) on a machine without
 * access to dl.deno.land, so the packaging tests use a clearly labelled
 * STAND-IN executable: a `#!/bin/sh` launcher that runs the `deno bundle`
 * output of main.ts. Tests that need a missing component are ignored with the
 * reason printed, except under CI=true, where they fail (a missing denort base
 * is the one exception: it is expected here, CI or not).
 *
 * @module
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { exists } from "@std/fs";
import { join } from "@std/path";
import { hasProgram, inCi, testNeeding } from "./helpers/requirements.ts";
import { compileTarget, withBuildInfo } from "../scripts/release.ts";
import { readHead, ReleaseError, REPO_ROOT, runCommand } from "../scripts/release_io.ts";
import { packageTarget, writeChecksums } from "../scripts/release_package.ts";
import { denoDir, preflight } from "../scripts/release_preflight.ts";
import {
  checkExecutable,
  compileArgs,
  embeddedFiles,
  EXIT_CODES,
  parseChecksums,
  releaseLayout,
  RUNTIME_PERMISSIONS,
  tarMembers,
  V8_FLAGS,
  zipMembers,
} from "../scripts/release_lib.ts";
import { hostTarget, parseTarget, type Target } from "../scripts/targets.ts";

const VERSION = (JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))) as {
  version: string;
}).version;
const DENO_PIN = (await Deno.readTextFile(join(REPO_ROOT, ".deno-version"))).trim();
const HOST = hostTarget(Deno.build.os, Deno.build.arch);
const TESTDATA = join(REPO_ROOT, "tests", "testdata", "release");
const DOCS = [join(TESTDATA, "LICENSE"), join(TESTDATA, "NOTICE")];
const EPOCH = 1700000000; // 2023-11-14 22:13:20 UTC
const BUILD_INFO = {
  revision: "0123456789abcdef0123456789abcdef01234567",
  branch: "release-test",
  buildUser: "tester@release-test",
  buildDate: "20231114-22:13:20",
  tags: "unknown",
};
const ENV = { RUST_BACKTRACE: "0", NO_COLOR: "1" };

const TOOLS = {
  available: ["tar", "gzip", "zip", "unzip", "sha256sum"].every(hasProgram),
  reason: "one of tar, gzip, zip, unzip, sha256sum is not installed",
};

/** Copies what `deno compile` / `deno bundle` need into a fresh directory. */
async function copyProject(dest: string): Promise<void> {
  await Deno.mkdir(dest, { recursive: true });
  const entries = ["main.ts", "lib", "ui", "deno.json", "deno.lock", "vendor", ".deno-version"];
  const present = [];
  for (const e of entries) if (await exists(join(REPO_ROOT, e))) present.push(e);
  const r = await runCommand("cp", ["-a", ...present, dest], { cwd: REPO_ROOT });
  assertEquals(r.code, 0, r.stderr);
}

/**
 * STAND-IN for the compiled executable (denort cannot be downloaded here): a
 * `#!/bin/sh` launcher that `exec`s `deno run` on the `deno bundle` output of
 * main.ts. The bundle sits in `<dir>/app/lib/` so that `lib/version.ts`'s
 * `../deno.json` and `../build_info.json` resolve to copies in `<dir>/app/`,
 * as they would inside a compiled binary.
 */
async function standIn(dir: string): Promise<string> {
  const launcher = join(dir, "pushgateway-standin");
  const app = join(dir, "app");
  const src = join(dir, "src");
  await copyProject(src);
  await Deno.mkdir(join(app, "lib"), { recursive: true });
  const bundle = join(app, "lib", "pushgateway.bundle.js");
  const r = await runCommand(Deno.execPath(), ["bundle", "-o", bundle, "main.ts"], {
    cwd: src,
    env: ENV,
  });
  assertEquals(r.code, 0, `deno bundle failed:\n${r.stdout}${r.stderr}`);
  await Deno.copyFile(join(src, "deno.json"), join(app, "deno.json"));
  await Deno.writeTextFile(join(app, "build_info.json"), JSON.stringify(BUILD_INFO));
  assertEquals((await runCommand("cp", ["-a", join(src, "ui"), app])).code, 0);
  const perms = RUNTIME_PERMISSIONS.map((p) => `'${p}'`).join(" ");
  const v8 = V8_FLAGS.length > 0 ? ` '--v8-flags=${V8_FLAGS.join(",")}'` : "";
  await Deno.writeTextFile(
    launcher,
    [
      "#!/bin/sh",
      "# STAND-IN for the compiled pushgateway (denort cannot be downloaded here):",
      "# runs the deno bundle of main.ts with the release's runtime permissions.",
      `exec '${Deno.execPath()}' run --no-config ${perms}${v8} '${bundle}' "$@"`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(launcher, 0o755);
  return launcher;
}

async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await runCommand(cmd, args, { cwd, env: { LC_ALL: "C", TZ: "UTC" } });
  assertEquals(r.code, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function packageAll(
  exe: string,
  targets: readonly Target[],
  outDir: string,
): Promise<void> {
  for (const target of targets) {
    await packageTarget({
      version: VERSION,
      target,
      executable: exe,
      files: DOCS,
      outDir,
      epoch: EPOCH,
    });
  }
  await writeChecksums(outDir);
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "release_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LINUX = parseTarget("linux-amd64");
const WINDOWS = parseTarget("windows-amd64");

testNeeding(
  TOOLS,
  "packageTarget() writes upstream's layout, byte-identical twice, with checksums sha256sum accepts",
  () =>
    withTemp(async (tmp) => {
      const exe = await standIn(tmp);
      const out1 = join(tmp, "out1");
      const out2 = join(tmp, "out2");
      await packageAll(exe, [LINUX, WINDOWS], out1);
      // Change the inputs' metadata: archives must not depend on it.
      await Deno.chmod(exe, 0o700);
      await Deno.utime(exe, new Date(), new Date());
      await packageAll(exe, [LINUX, WINDOWS], out2);

      const linux = releaseLayout(VERSION, LINUX);
      const windows = releaseLayout(VERSION, WINDOWS);
      const archives = [...linux.archives, ...windows.archives];
      assertEquals(archives, [
        `pushgateway-${VERSION}.linux-amd64.tar.gz`,
        `pushgateway-${VERSION}.windows-amd64.tar.gz`,
        `pushgateway-${VERSION}.windows-amd64.zip`,
      ]);
      const listing = [...Deno.readDirSync(out1)].map((e) => e.name).sort();
      assertEquals(listing, [...archives, "sha256sums.txt"].sort());
      for (const name of [...archives, "sha256sums.txt"]) {
        assertEquals(
          await Deno.readFile(join(out1, name)),
          await Deno.readFile(join(out2, name)),
          `${name} differs between two runs`,
        );
      }

      // Layout, as tar and unzip list it.
      const tarList = (await sh("tar", ["-tzf", join(out1, linux.archives[0]!)])).trim().split(
        "\n",
      );
      assertEquals(tarList, tarMembers(linux));
      assertEquals(tarList, [
        `pushgateway-${VERSION}.linux-amd64/`,
        `pushgateway-${VERSION}.linux-amd64/LICENSE`,
        `pushgateway-${VERSION}.linux-amd64/NOTICE`,
        `pushgateway-${VERSION}.linux-amd64/pushgateway`,
      ]);
      const winTar = await sh("tar", ["-tzf", join(out1, windows.archives[0]!)]);
      assertEquals(winTar.trim().split("\n"), tarMembers(windows));
      const zipList = await sh("unzip", ["-Z1", join(out1, windows.archives[1]!)]);
      assertEquals(zipList.trim().split("\n"), zipMembers(windows));

      // Owners, modes and times are normalised.
      const verbose = (await sh("tar", ["--utc", "-tvzf", join(out1, linux.archives[0]!)]))
        .trim().split("\n");
      const modes = verbose.map((l) => l.split(/\s+/).slice(0, 2).join(" "));
      assertEquals(modes, ["drwxr-xr-x 0/0", "-rw-r--r-- 0/0", "-rw-r--r-- 0/0", "-rwxr-xr-x 0/0"]);
      for (const line of verbose) assertStringIncludes(line, "2023-11-14 22:13");
      // gzip -n: no name flag, zero time stamp.
      const gz = await Deno.readFile(join(out1, linux.archives[0]!));
      assertEquals([gz[0], gz[1], gz[3]! & 0x08], [0x1f, 0x8b, 0]);
      assertEquals([...gz.subarray(4, 8)], [0, 0, 0, 0]);

      // Checksums: format, coverage, and sha256sum -c.
      const sums = parseChecksums(await Deno.readTextFile(join(out1, "sha256sums.txt")));
      assertEquals(sums.map((s) => s.file), [...archives].sort());
      const check = await sh("sha256sum", ["-c", "sha256sums.txt"], out1);
      assertEquals(check.trim().split("\n"), [...archives].sort().map((a) => `${a}: OK`));
      // The check is real: a changed archive fails it.
      await Deno.writeFile(join(out2, windows.archives[1]!), new Uint8Array([1]), { append: true });
      const bad = await runCommand("sha256sum", ["-c", "sha256sums.txt"], { cwd: out2 });
      assert(bad.code !== 0);
      assertStringIncludes(bad.stdout, `${windows.archives[1]}: FAILED`);
    }),
);

testNeeding(
  TOOLS,
  "the unpacked tarball's ./pushgateway answers -h and --version (STAND-IN launcher of main.ts)",
  () =>
    withTemp(async (tmp) => {
      const exe = await standIn(tmp);
      const out = join(tmp, "out");
      await packageAll(exe, [LINUX], out);
      const layout = releaseLayout(VERSION, LINUX);
      const unpack = join(tmp, "unpack");
      await Deno.mkdir(unpack);
      await sh("tar", ["-xzf", join(out, layout.archives[0]!), "-C", unpack]);
      const dir = join(unpack, layout.dir);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [...layout.files]);

      const help = await runCommand("./pushgateway", ["-h"], { cwd: dir });
      assertEquals(help.code, 0, help.stderr);
      assert(help.stdout.startsWith("usage: pushgateway [<flags>]"), help.stdout.slice(0, 200));
      const version = await runCommand("./pushgateway", ["--version"], { cwd: dir });
      assertEquals(version.code, 0, version.stderr);
      assertMatch(
        version.stdout + version.stderr,
        new RegExp(
          `^pushgateway, version ${VERSION.replaceAll(".", "\\.")} ` +
            `\\(branch: release-test, revision: ${BUILD_INFO.revision}\\)`,
        ),
      );
    }),
);

/** Outcome of compiling the host target at module load. */
type HostCompile =
  | { kind: "skip"; reason: string; failInCi: boolean }
  | { kind: "built"; dir: string; exe: string }
  | { kind: "error"; error: unknown };

async function compileHost(): Promise<HostCompile> {
  if (HOST === undefined) {
    return { kind: "skip", reason: "deno compile cannot target this host", failInCi: true };
  }
  try {
    await preflight({
      targets: [HOST],
      denoVersion: DENO_PIN,
      denoDir: await denoDir(),
      denortBin: Deno.env.get("DENORT_BIN") || undefined,
    });
  } catch (e) {
    if (e instanceof ReleaseError && e.exitCode === EXIT_CODES.baseUnavailable) {
      return { kind: "skip", reason: `preflight: ${e.message.split("\n")[0]}`, failInCi: false };
    }
    return { kind: "error", error: e };
  }
  const dir = await Deno.makeTempDir({ prefix: "release_test_compile_" });
  try {
    const src = join(dir, "src");
    await copyProject(src);
    const exe = join(dir, "bin", "pushgateway");
    await withBuildInfo(src, BUILD_INFO, () => compileTarget(src, HOST, exe));
    // The test removes it; this covers a run that filters the test out.
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already removed */ }
    });
    return { kind: "built", dir, exe };
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    if (e instanceof ReleaseError && e.exitCode === EXIT_CODES.baseUnavailable) {
      return { kind: "skip", reason: e.message.split("\n").slice(0, 6).join(" "), failInCi: false };
    }
    return { kind: "error", error: e };
  }
}

const hostCompile = await compileHost();
const HOST_COMPILE_NAME =
  "deno compile for the host builds a gateway that answers -h and --version";
if (hostCompile.kind === "skip" && !(hostCompile.failInCi && inCi())) {
  console.log(`IGNORED "${HOST_COMPILE_NAME}": ${hostCompile.reason}`);
  Deno.test({
    name: `${HOST_COMPILE_NAME} [ignored: ${hostCompile.reason.slice(0, 160)}]`,
    ignore: true,
    fn: () => {},
  });
} else {
  Deno.test(HOST_COMPILE_NAME, async () => {
    if (hostCompile.kind === "skip") throw new Error(`${hostCompile.reason} (CI=true)`);
    if (hostCompile.kind === "error") throw hostCompile.error;
    try {
      assertEquals(checkExecutable(await readHead(hostCompile.exe), HOST!), undefined);
      const out = join(hostCompile.dir, "out");
      await packageAll(hostCompile.exe, [HOST!], out);
      const layout = releaseLayout(VERSION, HOST!);
      await sh("tar", ["-xzf", join(out, layout.archives[0]!), "-C", hostCompile.dir]);
      const dir = join(hostCompile.dir, layout.dir);
      const help = await runCommand("./pushgateway", ["-h"], { cwd: dir });
      assertEquals(help.code, 0, help.stderr);
      assert(help.stdout.startsWith("usage: pushgateway [<flags>]"), help.stdout.slice(0, 200));
      const version = await runCommand("./pushgateway", ["--version"], { cwd: dir });
      assertMatch(
        version.stdout + version.stderr,
        new RegExp(
          `^pushgateway, version ${VERSION.replaceAll(".", "\\.")} \\(branch: release-test`,
        ),
      );
    } finally {
      await Deno.remove(hostCompile.dir, { recursive: true });
    }
  });
}

testNeeding(
  { available: HOST !== undefined, reason: "deno compile cannot target this host" },
  "DENORT_BIN=deno compile embeds main.ts, lib/, ui/, deno.json and build_info.json",
  () =>
    withTemp(async (tmp) => {
      const src = join(tmp, "src");
      await copyProject(src);
      const exe = join(tmp, "bin", "pushgateway");
      const r = await withBuildInfo(src, BUILD_INFO, () =>
        runCommand(Deno.execPath(), compileArgs({ target: HOST!, output: exe }), {
          cwd: src,
          env: { ...ENV, DENORT_BIN: Deno.execPath() },
        }));
      const text = r.stdout + r.stderr;
      assertEquals(r.code, 0, text);
      const files = embeddedFiles(text);
      for (const name of ["main.ts", "deno.json", "build_info.json"]) {
        assert(files.includes(name), `${name} not embedded: ${files.join(", ")}`);
      }
      for (const dir of ["lib/", "ui/"]) {
        assert(
          files.some((f) =>
            f.startsWith(dir)
          ),
          `${dir} not embedded: ${files.join(", ")}`,
        );
      }
      assert(
        files.some((f) =>
          f.includes("/yaml/")
        ),
        `npm yaml not embedded: ${files.join(", ")}`,
      );
      // The header check accepts a real host executable (not run: it is the deno CLI).
      assertEquals(checkExecutable(await readHead(exe), HOST!), undefined);
      // build_info.json was removed again.
      assertEquals(await exists(join(src, "build_info.json")), false);
    }),
);

Deno.test("preflight() refuses DENORT_BIN for another target and explains a missing base", async () => {
  const other = [LINUX, parseTarget("linux-arm64")].find((t) => t !== HOST)!;
  const refused = await assertRejects(
    () =>
      preflight({
        targets: [other],
        denoVersion: "2.9.6",
        denoDir: "/nonexistent",
        denortBin: "/x/denort",
      }),
    ReleaseError,
    "DENORT_BIN is set",
  );
  assertEquals(refused.exitCode, EXIT_CODES.baseUnavailable);
  const probed: string[] = [];
  const missing = await assertRejects(
    () =>
      preflight({
        targets: [LINUX, WINDOWS],
        denoVersion: "2.9.6",
        denoDir: "/nonexistent/deno",
        denortBin: undefined,
        probe: (url) => {
          probed.push(url);
          return Promise.resolve("dns error");
        },
      }),
    ReleaseError,
  );
  assertEquals(missing.exitCode, 3);
  // A network failure is probed once, not once per target.
  assertEquals(probed, [
    "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
  ]);
  for (const target of [LINUX, WINDOWS]) {
    assertStringIncludes(
      missing.message,
      `/nonexistent/deno/dl/release/v2.9.6/denort-${target.triple}.zip (absent)`,
    );
    assertStringIncludes(
      missing.message,
      `https://dl.deno.land/release/v2.9.6/denort-${target.triple}.zip (unreachable: dns error)`,
    );
  }
  // An HTTP answer is per file: every target is asked.
  const asked: string[] = [];
  await assertRejects(() =>
    preflight({
      targets: [LINUX, WINDOWS],
      denoVersion: "9.9.9",
      denoDir: "/nonexistent/deno",
      denortBin: undefined,
      probe: (url) => {
        asked.push(url);
        return Promise.resolve("HTTP 404");
      },
    }), ReleaseError);
  assertEquals(asked.length, 2);
  await withTemp(async (tmp) => {
    // A warm cache satisfies the preflight without probing.
    const cache = join(tmp, "dl", "release", "v2.9.6");
    await Deno.mkdir(cache, { recursive: true });
    await Deno.writeTextFile(join(cache, `denort-${WINDOWS.triple}.zip`), "PK");
    const notes = await preflight({
      targets: [WINDOWS],
      denoVersion: "2.9.6",
      denoDir: tmp,
      denortBin: undefined,
      probe: () => Promise.reject(new Error("must not probe")),
    });
    assertEquals(notes.length, 1);
    assertStringIncludes(notes[0]!, "base from cache");
  });
});

Deno.test("withBuildInfo() writes build_info.json meanwhile, then restores or removes it", async () => {
  await withTemp(async (root) => {
    const path = join(root, "build_info.json");
    const seen = await withBuildInfo(root, BUILD_INFO, () => Deno.readTextFile(path));
    assertEquals(JSON.parse(seen), BUILD_INFO);
    assertEquals(await exists(path), false);
    await Deno.writeTextFile(path, "previous");
    await assertRejects(() =>
      withBuildInfo(root, BUILD_INFO, () => Promise.reject(new Error("compile failed")))
    );
    assertEquals(await Deno.readTextFile(path), "previous");
  });
});

const UNIT = join(REPO_ROOT, "packaging", "pushgateway.service");

/** `key=value` lines of a unit file, repeated keys kept in order. */
function unitEntries(text: string): [string, string][] {
  return text.split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
}

Deno.test("pushgateway.service is hardened and runs the gateway with persistence", async () => {
  const entries = unitEntries(await Deno.readTextFile(UNIT));
  const get = (key: string): string[] => entries.filter(([k]) => k === key).map(([, v]) => v);
  const wanted: [string, string][] = [
    ["DynamicUser", "yes"],
    ["User", "pushgateway"],
    ["ProtectSystem", "strict"],
    ["ProtectHome", "yes"],
    ["PrivateTmp", "yes"],
    ["NoNewPrivileges", "yes"],
    ["StateDirectory", "pushgateway"],
    ["EnvironmentFile", "-/etc/default/pushgateway"],
    ["ExecReload", "/bin/kill -HUP $MAINPID"],
    ["Restart", "on-failure"],
    ["LimitNOFILE", "65536"],
    ["WantedBy", "multi-user.target"],
  ];
  for (const [key, value] of wanted) assertEquals(get(key), [value], key);
  assertEquals(get("ExecStart"), [
    "/usr/local/bin/pushgateway --persistence.file=/var/lib/pushgateway/pushgateway.data $ARGS",
  ]);
  assertEquals(get("MemoryDenyWriteExecute"), [], "V8's JIT needs W+X pages");
  const defaults = await Deno.readTextFile(join(REPO_ROOT, "packaging", "pushgateway.default"));
  assertEquals(unitEntries(defaults), [["ARGS", '""']]);
});

testNeeding(
  {
    available: hasProgram("systemd-analyze"),
    reason: "systemd-analyze is not installed (apt-get install systemd)",
  },
  "systemd-analyze verify accepts pushgateway.service (ExecStart on a stand-in)",
  () =>
    withTemp(async (tmp) => {
      const bin = join(tmp, "pushgateway");
      await Deno.writeTextFile(
        bin,
        "#!/bin/sh\n# STAND-IN for /usr/local/bin/pushgateway\nexit 0\n",
      );
      await Deno.chmod(bin, 0o755);
      const unit = await Deno.readTextFile(UNIT);
      assertStringIncludes(unit, "ExecStart=/usr/local/bin/pushgateway ");
      const verify = async (execPath: string): Promise<{ code: number; text: string }> => {
        const copy = join(tmp, "pushgateway.service");
        await Deno.writeTextFile(
          copy,
          unit.replace("ExecStart=/usr/local/bin/pushgateway ", `ExecStart=${execPath} `),
        );
        const r = await runCommand("systemd-analyze", ["verify", copy], {
          env: { SYSTEMD_LOG_COLOR: "0" },
        });
        return { code: r.code, text: r.stdout + r.stderr };
      };
      const ok = await verify(bin);
      assertEquals(ok.code, 0, ok.text);
      assert(!/pushgateway\.service:\d+:/.test(ok.text), `warnings about the unit:\n${ok.text}`);
      // The verification is real: a missing binary fails it.
      const missing = await verify(join(tmp, "nope"));
      assert(missing.code !== 0, missing.text);
    }),
);

async function dryRun(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return await runCommand(
    Deno.execPath(),
    [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-net=dl.deno.land",
      "--allow-sys=hostname",
      join(REPO_ROOT, "scripts", "release.ts"),
      ...args,
    ],
    { cwd: REPO_ROOT, env: ENV },
  );
}

Deno.test("release.ts --dry-run prints the six targets, commands and archive names", async () => {
  const r = await dryRun("--dry-run");
  assertEquals(r.code, 0, r.stderr);
  const heads = r.stdout.split("\n").filter((l) => /^\S+-\S+ \(\S+\)$/.test(l));
  assertEquals(heads, [
    "linux-amd64 (x86_64-unknown-linux-gnu)",
    "linux-arm64 (aarch64-unknown-linux-gnu)",
    "darwin-amd64 (x86_64-apple-darwin)",
    "darwin-arm64 (aarch64-apple-darwin)",
    "windows-amd64 (x86_64-pc-windows-msvc)",
    "windows-arm64 (aarch64-pc-windows-msvc)",
  ]);
  for (
    const name of [
      `dist/pushgateway-${VERSION}.linux-amd64.tar.gz`,
      `dist/pushgateway-${VERSION}.darwin-arm64.tar.gz`,
      `dist/pushgateway-${VERSION}.windows-amd64.tar.gz`,
      `dist/pushgateway-${VERSION}.windows-amd64.zip`,
      `dist/pushgateway-${VERSION}.windows-arm64.zip`,
      "dist/sha256sums.txt",
      "deno compile --no-lock --unstable-net --target aarch64-apple-darwin",
      `pushgateway-${VERSION}.windows-amd64/{LICENSE,NOTICE,pushgateway.exe}`,
    ]
  ) {
    assertStringIncludes(r.stdout, name);
  }
  assertEquals(await exists(join(REPO_ROOT, "build_info.json")), false);
});

Deno.test("release.ts --target picks a subset; bad flags exit 2", async () => {
  const r = await dryRun(
    "--dry-run",
    "--target",
    "darwin-arm64,x86_64-unknown-linux-gnu",
    "--out",
    "/tmp/o",
  );
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "targets: linux-amd64 darwin-arm64\n");
  assertStringIncludes(r.stdout, "/tmp/o/pushgateway-");
  assert(!r.stdout.includes("windows"), r.stdout);
  for (const bad of [["--target", "linux-386"], ["--frobnicate"]]) {
    const b = await dryRun("--dry-run", ...bad);
    assertEquals(b.code, EXIT_CODES.usage, bad.join(" "));
    assertStringIncludes(b.stderr, "usage: deno task release");
  }
});
