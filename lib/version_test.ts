import { assertEquals } from "@std/assert";
import {
  buildContextText,
  buildInfoFrom,
  loadBuildInfo,
  type RuntimeFacts,
  versionInfoText,
} from "@lib/version.ts";

const LINUX_X64: RuntimeFacts = { denoVersion: "2.9.6", os: "linux", arch: "x86_64" };

Deno.test("buildInfoFrom() takes the version from deno.json and the rest from build_info.json", () => {
  const info = buildInfoFrom({ version: "0.1.0" }, {
    revision: "e803ebd",
    branch: "main",
    buildUser: "root@builder",
    buildDate: "20260527-15:09:00",
    tags: "netgo",
  }, LINUX_X64);
  assertEquals(info, {
    version: "0.1.0",
    revision: "e803ebd",
    branch: "main",
    buildUser: "root@builder",
    buildDate: "20260527-15:09:00",
    goVersion: "deno2.9.6",
    goos: "linux",
    goarch: "amd64",
    tags: "netgo",
  });
});

Deno.test("buildInfoFrom() reads missing, empty or non-string fields as unknown", () => {
  const cases: [unknown, unknown][] = [
    [undefined, undefined],
    [{}, {}],
    [{ version: "" }, { revision: 5, branch: null }],
    ["not an object", []],
  ];
  for (const [denoJson, buildJson] of cases) {
    const info = buildInfoFrom(denoJson, buildJson, LINUX_X64);
    assertEquals(
      [info.version, info.revision, info.branch, info.buildUser, info.buildDate, info.tags],
      ["unknown", "unknown", "unknown", "unknown", "unknown", "unknown"],
    );
  }
});

Deno.test("buildInfoFrom() maps Deno's architecture names to Go's", () => {
  const cases: [string, string][] = [["x86_64", "amd64"], ["aarch64", "arm64"], [
    "riscv64",
    "riscv64",
  ]];
  for (const [arch, want] of cases) {
    assertEquals(buildInfoFrom({}, {}, { ...LINUX_X64, arch }).goarch, want);
  }
  assertEquals(buildInfoFrom({}, {}, { ...LINUX_X64, os: "darwin" }).goos, "darwin");
});

Deno.test("loadBuildInfo() reads the repository's deno.json and the running Deno", async () => {
  const info = await loadBuildInfo();
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assertEquals(info.version, denoJson.version);
  assertEquals(info.goVersion, "deno" + Deno.version.deno);
  assertEquals(info.goos, Deno.build.os);
  let buildJson: Record<string, string> = {};
  try {
    buildJson = JSON.parse(await Deno.readTextFile(new URL("../build_info.json", import.meta.url)));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  assertEquals(info.revision, buildJson.revision || "unknown");
  assertEquals(info.tags, buildJson.tags || "unknown");
});

Deno.test("versionInfoText() and buildContextText() match prometheus/common's log values", () => {
  const info = buildInfoFrom({ version: "0.1.0" }, {
    revision: "abc",
    branch: "HEAD",
    buildUser: "u@h",
    buildDate: "20260527-15:09:00",
  }, LINUX_X64);
  assertEquals(versionInfoText(info), "(version=0.1.0, branch=HEAD, revision=abc)");
  assertEquals(
    buildContextText(info),
    "(go=deno2.9.6, platform=linux/amd64, user=u@h, date=20260527-15:09:00, tags=unknown)",
  );
});
