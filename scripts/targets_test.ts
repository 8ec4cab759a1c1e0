import { assertEquals, assertThrows } from "@std/assert";
import {
  archiveKinds,
  archiveNames,
  denortCachePath,
  denortDownloadUrl,
  denortZipName,
  executableName,
  hostTarget,
  osArch,
  parseTarget,
  parseTargetList,
  releaseDirName,
  TARGETS,
} from "./targets.ts";

Deno.test("TARGETS lists the six deno compile targets with Go-style names", () => {
  assertEquals(TARGETS.map((t) => [t.triple, osArch(t)]), [
    ["x86_64-unknown-linux-gnu", "linux-amd64"],
    ["aarch64-unknown-linux-gnu", "linux-arm64"],
    ["x86_64-apple-darwin", "darwin-amd64"],
    ["aarch64-apple-darwin", "darwin-arm64"],
    ["x86_64-pc-windows-msvc", "windows-amd64"],
    ["aarch64-pc-windows-msvc", "windows-arm64"],
  ]);
});

Deno.test("parseTarget() accepts triples and os-arch names", () => {
  const cases: [string, string][] = [
    ["x86_64-unknown-linux-gnu", "linux-amd64"],
    ["linux-amd64", "linux-amd64"],
    [" linux-arm64 ", "linux-arm64"],
    ["aarch64-apple-darwin", "darwin-arm64"],
    ["darwin-amd64", "darwin-amd64"],
    ["aarch64-pc-windows-msvc", "windows-arm64"],
    ["windows-amd64", "windows-amd64"],
  ];
  for (const [input, want] of cases) assertEquals(osArch(parseTarget(input)), want, input);
});

Deno.test("parseTarget() rejects unknown names", () => {
  for (const bad of ["", "linux-386", "x86_64-unknown-linux-musl", "amd64", "Linux-amd64"]) {
    assertThrows(() => parseTarget(bad), RangeError, "Unknown target", bad);
  }
});

Deno.test("parseTargetList() splits commas, dedupes and keeps release order", () => {
  const cases: [string[], string[]][] = [
    [[], TARGETS.map(osArch)],
    [["windows-amd64,linux-amd64"], ["linux-amd64", "windows-amd64"]],
    [["linux-amd64", "x86_64-unknown-linux-gnu"], ["linux-amd64"]],
    [["darwin-arm64", "linux-arm64,aarch64-pc-windows-msvc"], [
      "linux-arm64",
      "darwin-arm64",
      "windows-arm64",
    ]],
  ];
  for (const [input, want] of cases) {
    assertEquals(parseTargetList(input).map(osArch), want, input.join(" "));
  }
  assertThrows(() => parseTargetList(["linux-amd64,"]), RangeError, "Empty target");
  assertThrows(() => parseTargetList(["freebsd-amd64"]), RangeError, "freebsd-amd64");
});

Deno.test("hostTarget() maps Deno.build values", () => {
  assertEquals(hostTarget("linux", "x86_64")?.triple, "x86_64-unknown-linux-gnu");
  assertEquals(hostTarget("darwin", "aarch64")?.triple, "aarch64-apple-darwin");
  assertEquals(hostTarget("windows", "x86_64")?.triple, "x86_64-pc-windows-msvc");
  assertEquals(hostTarget("freebsd", "x86_64"), undefined);
  assertEquals(hostTarget("linux", "riscv64"), undefined);
});

Deno.test("names: executable, directory, archives, denort", () => {
  const cases: [string, string, string, string[]][] = [
    ["linux-amd64", "pushgateway", "pushgateway-0.1.0.linux-amd64", [
      "pushgateway-0.1.0.linux-amd64.tar.gz",
    ]],
    ["darwin-arm64", "pushgateway", "pushgateway-0.1.0.darwin-arm64", [
      "pushgateway-0.1.0.darwin-arm64.tar.gz",
    ]],
    ["windows-amd64", "pushgateway.exe", "pushgateway-0.1.0.windows-amd64", [
      "pushgateway-0.1.0.windows-amd64.tar.gz",
      "pushgateway-0.1.0.windows-amd64.zip",
    ]],
  ];
  for (const [name, exe, dir, archives] of cases) {
    const t = parseTarget(name);
    assertEquals(executableName(t), exe);
    assertEquals(releaseDirName("0.1.0", t), dir);
    assertEquals(archiveNames("0.1.0", t), archives);
    assertEquals(archiveKinds(t).length, archives.length);
  }
  const t = parseTarget("linux-arm64");
  assertEquals(denortZipName(t), "denort-aarch64-unknown-linux-gnu.zip");
  assertEquals(
    denortDownloadUrl("2.9.6", t),
    "https://dl.deno.land/release/v2.9.6/denort-aarch64-unknown-linux-gnu.zip",
  );
  assertEquals(
    denortCachePath("/root/.cache/deno/", "2.9.6", t),
    "/root/.cache/deno/dl/release/v2.9.6/denort-aarch64-unknown-linux-gnu.zip",
  );
});
