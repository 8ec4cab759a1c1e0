import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  archiveCommands,
  type BaseFacts,
  checkExecutable,
  compileArgs,
  decideBase,
  embeddedFiles,
  formatBuildDate,
  formatChecksums,
  inspectExecutable,
  isMissingBaseOutput,
  parseChecksums,
  parseEpoch,
  parseReleaseArgs,
  releaseLayout,
  renderBuildInfo,
  tarArgs,
  tarMembers,
  UsageError,
  V8_FLAGS,
  zipArgs,
  zipMembers,
} from "./release_lib.ts";
import { osArch, parseTarget } from "./targets.ts";

Deno.test("parseReleaseArgs() reads targets, --out and --dry-run", () => {
  const all = parseReleaseArgs([]);
  assertEquals([all.targets.length, all.out, all.dryRun, all.help], [6, "dist", false, false]);
  const some = parseReleaseArgs([
    "--target",
    "windows-amd64,x86_64-unknown-linux-gnu",
    "--target=darwin-arm64",
    "--out",
    "/tmp/x",
    "--dry-run",
  ]);
  assertEquals(some.targets.map(osArch), ["linux-amd64", "darwin-arm64", "windows-amd64"]);
  assertEquals([some.out, some.dryRun], ["/tmp/x", true]);
  assertEquals(parseReleaseArgs(["-h"]).help, true);
});

Deno.test("parseReleaseArgs() rejects bad command lines", () => {
  const cases: [string[], string][] = [
    [["--frobnicate"], "Unknown argument: --frobnicate"],
    [["extra"], "Unknown argument: extra"],
    [["--target", "linux-386"], 'Unknown target "linux-386"'],
    [["--out="], "--out needs a directory"],
  ];
  for (const [args, msg] of cases) {
    assertThrows(() => parseReleaseArgs(args), UsageError, msg, args.join(" "));
  }
});

Deno.test("formatBuildDate() uses promu's layout in UTC", () => {
  const cases: [string, string][] = [
    ["2026-03-05T09:04:05Z", "20260305-09:04:05"],
    ["1999-12-31T23:59:59.999Z", "19991231-23:59:59"],
    ["2026-11-25T01:00:00+02:00", "20261124-23:00:00"],
  ];
  for (const [iso, want] of cases) assertEquals(formatBuildDate(new Date(iso)), want);
});

Deno.test("renderBuildInfo() writes the five keys in order", () => {
  const text = renderBuildInfo({
    tags: "unknown",
    buildDate: "20260305-09:04:05",
    buildUser: "root@box",
    branch: "main",
    revision: "abc123",
  });
  assertEquals(Object.keys(JSON.parse(text)), [
    "revision",
    "branch",
    "buildUser",
    "buildDate",
    "tags",
  ]);
  assert(text.endsWith("}\n"));
});

Deno.test("parseEpoch() reads whole seconds", () => {
  assertEquals(parseEpoch(undefined), undefined);
  assertEquals(parseEpoch(""), undefined);
  assertEquals(parseEpoch("1700000000"), 1700000000);
  assertEquals(parseEpoch(" 0 "), 0);
  for (const bad of ["-1", "1.5", "1e9", "now"]) {
    assertThrows(() => parseEpoch(bad), UsageError, "SOURCE_DATE_EPOCH", bad);
  }
});

Deno.test("compileArgs() builds the deno compile command line", () => {
  assertEquals(compileArgs({ target: parseTarget("linux-arm64"), output: "/o/pushgateway" }), [
    "compile",
    "--no-lock",
    "--unstable-net",
    "--target",
    "aarch64-unknown-linux-gnu",
    "--output",
    "/o/pushgateway",
    "--include",
    "deno.json",
    "--include",
    "build_info.json",
    "--include",
    "ui/",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env=LOG_TOKENS,LOG_STREAM,PGHOST,PGPORT,PGUSER,PGUSERNAME,PGDATABASE,PGPASSWORD," +
    "PGAPPNAME,PGTARGETSESSIONATTRS,USER,USERNAME,LOGNAME",
    "--v8-flags=--expose-gc,--min-semi-space-size=4",
    "main.ts",
  ]);
  assertEquals(
    compileArgs({
      target: parseTarget("windows-amd64"),
      output: "o.exe",
      entry: "x.ts",
      include: [],
      permissions: ["-A"],
      v8Flags: ["--max-semi-space-size=64", "--max-old-space-size=512"],
    }),
    [
      "compile",
      "--no-lock",
      "--unstable-net",
      "--target",
      "x86_64-pc-windows-msvc",
      "--output",
      "o.exe",
      "-A",
      "--v8-flags=--max-semi-space-size=64,--max-old-space-size=512",
      "x.ts",
    ],
  );
});

Deno.test("deno task start runs with the V8 flags the release is compiled with", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const start = config.tasks.start ?? "";
  assertEquals(start.match(/--v8-flags=(\S+)/)?.[1], V8_FLAGS.join(","));
});

Deno.test("releaseLayout() and member lists", () => {
  const linux = releaseLayout("0.1.0", parseTarget("linux-amd64"));
  assertEquals(linux, {
    dir: "pushgateway-0.1.0.linux-amd64",
    executable: "pushgateway",
    files: ["LICENSE", "NOTICE", "pushgateway"],
    archives: ["pushgateway-0.1.0.linux-amd64.tar.gz"],
  });
  assertEquals(tarMembers(linux), [
    "pushgateway-0.1.0.linux-amd64/",
    "pushgateway-0.1.0.linux-amd64/LICENSE",
    "pushgateway-0.1.0.linux-amd64/NOTICE",
    "pushgateway-0.1.0.linux-amd64/pushgateway",
  ]);
  const win = releaseLayout("1.2.3", parseTarget("windows-arm64"), ["NOTICE", "LICENSE"]);
  assertEquals(win.files, ["LICENSE", "NOTICE", "pushgateway.exe"]);
  assertEquals(win.archives, [
    "pushgateway-1.2.3.windows-arm64.tar.gz",
    "pushgateway-1.2.3.windows-arm64.zip",
  ]);
  assertEquals(zipMembers(win), [
    "pushgateway-1.2.3.windows-arm64/LICENSE",
    "pushgateway-1.2.3.windows-arm64/NOTICE",
    "pushgateway-1.2.3.windows-arm64/pushgateway.exe",
  ]);
});

Deno.test("tarArgs() and zipArgs() carry the reproducibility flags", () => {
  const tar = tarArgs("/out/x.tar", "/stage", "x", 1700000000);
  for (
    const flag of [
      "--sort=name",
      "--mtime=@1700000000",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--file=/out/x.tar",
      "--directory=/stage",
    ]
  ) {
    assert(tar.includes(flag), flag);
  }
  assertEquals(tar.at(-1), "x");
  assertEquals(zipArgs("/out/x.zip", ["x/a", "x/b"]), [
    "-X",
    "-D",
    "-9",
    "-q",
    "/out/x.zip",
    "x/a",
    "x/b",
  ]);
});

const A = "a".repeat(64);
const B = "0123456789abcdef".repeat(4);

Deno.test("formatChecksums() writes sorted sha256sum lines", () => {
  assertEquals(
    formatChecksums([
      { file: "pushgateway-0.1.0.windows-amd64.zip", sha256: A },
      { file: "pushgateway-0.1.0.linux-amd64.tar.gz", sha256: B },
    ]),
    `${B}  pushgateway-0.1.0.linux-amd64.tar.gz\n${A}  pushgateway-0.1.0.windows-amd64.zip\n`,
  );
  assertEquals(formatChecksums([]), "");
  assertThrows(() => formatChecksums([{ file: "x", sha256: "ABC" }]), RangeError, "digest");
  assertThrows(() => formatChecksums([{ file: "x", sha256: A.toUpperCase() }]), RangeError);
  assertThrows(() => formatChecksums([{ file: "a\nb", sha256: A }]), RangeError, "file name");
});

Deno.test("parseChecksums() reads what formatChecksums() writes", () => {
  const sums = [{ file: "b.zip", sha256: A }, { file: "a b.tar.gz", sha256: B }];
  assertEquals(parseChecksums(formatChecksums(sums)), [sums[1], sums[0]]);
  assertThrows(() => parseChecksums(`${A} x\n`), SyntaxError, "line 1");
});

/** Builds a synthetic header of `size` bytes with the given writes applied. */
function header(size: number, writes: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(size);
  writes(new DataView(b.buffer), b);
  return b;
}

function elf(machine: number, little = true): Uint8Array {
  return header(64, (v, b) => {
    b.set([0x7f, 0x45, 0x4c, 0x46, 2, little ? 1 : 2, 1]);
    v.setUint16(18, machine, little);
  });
}

function macho(cpu: number, little = true): Uint8Array {
  return header(32, (v) => {
    v.setUint32(0, 0xfeedfacf, little);
    v.setUint32(4, cpu, little);
  });
}

function pe(machine: number, offset = 0x80): Uint8Array {
  return header(offset + 24, (v, b) => {
    b.set([0x4d, 0x5a]);
    v.setUint32(0x3c, offset, true);
    b.set([0x50, 0x45, 0, 0], offset);
    v.setUint16(offset + 4, machine, true);
  });
}

Deno.test("inspectExecutable() reads ELF, Mach-O and PE headers", () => {
  const cases: [string, Uint8Array, ReturnType<typeof inspectExecutable>][] = [
    ["ELF x86-64", elf(0x3e), { format: "ELF", cpu: "x86_64" }],
    ["ELF aarch64", elf(0xb7), { format: "ELF", cpu: "aarch64" }],
    ["ELF big-endian aarch64", elf(0xb7, false), { format: "ELF", cpu: "aarch64" }],
    ["ELF riscv", elf(0xf3), { format: "ELF", cpu: "e_machine 0xf3" }],
    ["Mach-O x86_64", macho(0x01000007), { format: "Mach-O", cpu: "x86_64" }],
    ["Mach-O arm64", macho(0x0100000c), { format: "Mach-O", cpu: "aarch64" }],
    ["Mach-O big-endian arm64", macho(0x0100000c, false), { format: "Mach-O", cpu: "aarch64" }],
    ["PE AMD64", pe(0x8664), { format: "PE", cpu: "x86_64" }],
    ["PE ARM64 far header", pe(0xaa64, 0x400), { format: "PE", cpu: "aarch64" }],
    ["PE i386", pe(0x14c), { format: "PE", cpu: "machine 0x14c" }],
    ["empty", new Uint8Array(0), undefined],
    ["shell script", new TextEncoder().encode("#!/bin/sh\nexec deno run x.js\n"), undefined],
    ["MZ without PE signature", header(128, (_v, b) => b.set([0x4d, 0x5a])), undefined],
    ["PE offset past the end", pe(0x8664, 0x80).subarray(0, 0x84), undefined],
    ["fat Mach-O", header(32, (v) => v.setUint32(0, 0xcafebabe)), undefined],
  ];
  for (const [name, bytes, want] of cases) assertEquals(inspectExecutable(bytes), want, name);
});

Deno.test("checkExecutable() matches headers against targets", () => {
  const cases: [Uint8Array, string, string | null][] = [
    [elf(0x3e), "linux-amd64", null],
    [elf(0xb7), "linux-arm64", null],
    [macho(0x01000007), "darwin-amd64", null],
    [macho(0x0100000c), "darwin-arm64", null],
    [pe(0x8664), "windows-amd64", null],
    [pe(0xaa64), "windows-arm64", null],
    // DENORT_BIN silently overriding --target: an x86-64 ELF for aarch64.
    [elf(0x3e), "linux-arm64", "should be ELF for aarch64, found ELF for x86_64"],
    [elf(0x3e), "darwin-amd64", "should be Mach-O for x86_64, found ELF for x86_64"],
    [macho(0x0100000c), "darwin-amd64", "found Mach-O for aarch64"],
    [pe(0x8664), "windows-arm64", "found PE for x86_64"],
    [new Uint8Array(4), "linux-amd64", "found no ELF, Mach-O or PE header"],
  ];
  for (const [bytes, target, want] of cases) {
    const got = checkExecutable(bytes, parseTarget(target));
    if (want === null) assertEquals(got, undefined, target);
    else assertMatch(got ?? "", new RegExp(want.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), target);
  }
});

const linux = parseTarget("linux-amd64");
const arm = parseTarget("linux-arm64");

function facts(over: Partial<BaseFacts>): BaseFacts {
  return {
    target: linux,
    host: linux,
    denoVersion: "2.9.6",
    denortBin: undefined,
    cachePath: "/c/dl/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
    cacheExists: false,
    downloadUrl: "https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip",
    downloadReachable: false,
    downloadError: "dns error",
    ...over,
  };
}

Deno.test("decideBase() picks DENORT_BIN (host only), then cache, then download", () => {
  const cases: [string, Partial<BaseFacts>, string][] = [
    ["DENORT_BIN for host", { denortBin: "/x/denort" }, "ok DENORT_BIN"],
    ["cache", { cacheExists: true }, "ok cache"],
    ["download", { downloadReachable: true, downloadError: undefined }, "ok download"],
    ["DENORT_BIN wins over cache", { denortBin: "/x/denort", cacheExists: true }, "ok DENORT_BIN"],
    [
      "DENORT_BIN for another target",
      { target: arm, denortBin: "/x/denort", cacheExists: true },
      "fail",
    ],
    ["DENORT_BIN on unsupported host", { host: undefined, denortBin: "/x/denort" }, "fail"],
    ["nothing", {}, "fail"],
  ];
  for (const [name, over, want] of cases) {
    const d = decideBase(facts(over));
    assertEquals(d.ok ? `ok ${d.source}` : "fail", want, name);
  }
});

Deno.test("decideBase() explains how to provide a missing base", () => {
  const d = decideBase(facts({}));
  assert(!d.ok);
  for (
    const part of [
      "denort-x86_64-unknown-linux-gnu.zip",
      "/c/dl/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip (absent)",
      "unreachable: dns error",
      "dl.deno.land",
      "DENORT_BIN",
      "warm the cache",
    ]
  ) {
    assert(d.message.includes(part), part);
  }
  const other = decideBase(facts({ target: arm }));
  assert(
    !other.ok && !other.message.includes("DENORT_BIN"),
    "DENORT_BIN is offered for the host only",
  );
  const refused = decideBase(facts({ target: arm, denortBin: "/x/deno" }));
  assert(!refused.ok);
  assertMatch(refused.message, /DENORT_BIN is set.*aarch64-unknown-linux-gnu.*silently/s);
});

Deno.test("isMissingBaseOutput() spots a failed base download only", () => {
  const failed =
    "\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file\n\n" +
    "Caused by:\n    0: Setting up base binary.\n    1: error sending request for url " +
    "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error " +
    "(Connect): dns error";
  assert(isMissingBaseOutput(failed));
  assert(!isMissingBaseOutput('error: Module not found "file:///x/main.ts".'));
  assert(!isMissingBaseOutput("Caused by:\n 0: Writing binary bytes\n 1: Failed to parse PE"));
});

Deno.test("embeddedFiles() lists the Embedded Files tree", () => {
  const output = [
    "\x1b[0m\x1b[32mCompile\x1b[0m main.ts to out/pg",
    "",
    "\x1b[0m\x1b[1mEmbedded Files\x1b[0m",
    "",
    "pg",
    "├─┬ .deno_compile_node_modules (2.69MB - 2.26MB unique)",
    "│ └─┬ localhost (2.69MB - 2.26MB unique)",
    "│   ├── @bufbuild/protobuf/* (1.92MB - 1.5MB unique)",
    "│   ├── bcryptjs/3.0.3/* (109.93KB - 104.37KB unique)",
    "│   └── yaml/2.9.1/* (675.49KB - 674KB unique)",
    "├── build_info.json (3B)",
    "├── deno.json (1.56KB)",
    "├─┬ lib (354B)",
    "│ ├── http/* (200B)",
    "│ └── version.ts (10.8KB)",
    "├── main.ts (1.06KB)",
    "\x1b[0m\x1b[38;5;245m└──\x1b[0m ui/* (0B)",
    "",
    "Files: 2.34MB",
    "Metadata: 15.29KB",
  ].join("\n");
  assertEquals(embeddedFiles(output), [
    ".deno_compile_node_modules/localhost/@bufbuild/protobuf/*",
    ".deno_compile_node_modules/localhost/bcryptjs/3.0.3/*",
    ".deno_compile_node_modules/localhost/yaml/2.9.1/*",
    "build_info.json",
    "deno.json",
    "lib/http/*",
    "lib/version.ts",
    "main.ts",
    "ui/*",
  ]);
  assertEquals(embeddedFiles("Compile main.ts\nerror: boom"), []);
});

Deno.test("archiveCommands() runs tar then gzip for tarballs, zip from the staging dir", () => {
  const linux = releaseLayout("1.2.3", parseTarget("linux-amd64"));
  assertEquals(archiveCommands(linux.archives[0]!, linux, "/out", "/stage", 42), [
    {
      cmd: "tar",
      args: tarArgs("/out/pushgateway-1.2.3.linux-amd64.tar", "/stage", linux.dir, 42),
      env: { LC_ALL: "C" },
    },
    {
      cmd: "gzip",
      args: ["-n", "-9", "--force", "/out/pushgateway-1.2.3.linux-amd64.tar"],
      env: {},
    },
  ]);
  const windows = releaseLayout("1.2.3", parseTarget("windows-amd64"));
  assertEquals(archiveCommands(windows.archives[1]!, windows, "/out", "/stage", 42), [{
    cmd: "zip",
    args: zipArgs("/out/pushgateway-1.2.3.windows-amd64.zip", zipMembers(windows)),
    cwd: "/stage",
    env: { TZ: "UTC", LC_ALL: "C" },
  }]);
});
