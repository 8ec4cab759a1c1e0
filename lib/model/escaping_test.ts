import { assertEquals, assertStrictEquals } from "@std/assert";
import {
  escapeMetricFamily,
  escapeName,
  escapeValueEncoding,
  type EscapingScheme,
  parseEscapingScheme,
  unescapeName,
} from "@lib/model/escaping.ts";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";

// Expected strings produced by common v0.69 model.EscapeName / UnescapeName.
// Columns: name, underscores, dots, values.
const ESCAPE_CASES: [string, string, string, string][] = [
  ["", "", "", ""],
  ["abc", "abc", "abc", "abc"],
  ["my_metric", "my_metric", "my__metric", "my_metric"],
  ["my.metric", "my_metric", "my_dot_metric", "U__my_2e_metric"],
  ["1abc", "_abc", "__abc", "U___31_abc"],
  ["a1", "a1", "a1", "a1"],
  ["a:b", "a:b", "a:b", "a:b"],
  ["a-b.c_d", "a_b_c_d", "a__b_dot_c__d", "U__a_2d_b_2e_c__d"],
  ["ünïcödé", "_n_c_d_", "__n__c__d__", "U___fc_n_ef_c_f6_d_e9_"],
  ["😀x", "_x", "__x", "U___1f600_x"],
  ["with space", "with_space", "with__space", "U__with_20_space"],
  ["_dot_", "_dot_", "__dot__", "_dot_"],
  [".", "_", "_dot_", "U___2e_"],
  ["0", "_", "__", "U___30_"],
  ["U__my_2e_metric", "U__my_2e_metric", "U____my__2e__metric", "U__my_2e_metric"],
  // A lone surrogate is what Go calls an invalid rune.
  ["a\ud800", "a_", "a__", "U__a_FFFD_"],
];

Deno.test("escapeName() matches common's EscapeName for every scheme", () => {
  for (const [name, u, d, v] of ESCAPE_CASES) {
    assertEquals(escapeName(name, "allow-utf-8"), name);
    assertEquals(escapeName(name, "underscores"), u, `underscores ${name}`);
    assertEquals(escapeName(name, "dots"), d, `dots ${name}`);
    assertEquals(escapeName(name, "values"), v, `values ${name}`);
  }
});

// Columns: escaped name, dots-unescaped, values-unescaped.
const UNESCAPE_CASES: [string, string, string][] = [
  ["", "", ""],
  ["my.metric", "my.metric", "my.metric"],
  ["my_dot_metric", "my.metric", "my_dot_metric"],
  ["a_dot_b__c", "a.b_c", "a_dot_b__c"],
  ["a__dot_b", "a_.b", "a__dot_b"],
  ["U__my_2e_metric", "U_my_2e_metric", "my.metric"],
  ["U__a__b", "U_a_b", "a_b"],
  ["U__a_1f600_b", "U_a_1f600_b", "a😀b"],
  ["U__a_1F600_", "U_a_1F600_", "a😀"],
  ["U__abc_2E_", "U_abc_2E_", "abc."],
  ["U__a_3A_b", "U_a_3A_b", "a:b"],
  ["U__a_0_", "U_a_0_", "a\x00"],
  ["U__", "U_", ""],
  // Malformed: returned unchanged.
  ["U__a_", "U_a_", "U__a_"],
  ["U___", "U__", "U___"],
  ["U__a_zz_", "U_a_zz_", "U__a_zz_"],
  ["U__a_1234567_", "U_a_1234567_", "U__a_1234567_"],
  ["U__a_10FFFF_", "U_a_10FFFF_", "U__a_10FFFF_"], // six digits are already too many
  ["U__a_d800_", "U_a_d800_", "U__a_d800_"],
  ["U__a_110000_", "U_a_110000_", "U__a_110000_"],
  // Go's byte `lower` turns control bytes 0x10-0x19 into digits.
  ["U__a_\x10\x19_", "U_a_\x10\x19_", "a\t"],
];

Deno.test("unescapeName() matches common's UnescapeName", () => {
  for (const [name, d, v] of UNESCAPE_CASES) {
    assertEquals(unescapeName(name, "allow-utf-8"), name);
    assertEquals(unescapeName(name, "underscores"), name);
    assertEquals(unescapeName(name, "dots"), d, `dots ${name}`);
    assertEquals(unescapeName(name, "values"), v, `values ${name}`);
  }
});

// The `U__` label names of a push path (the grouping key unescapes them with
// unescapeName(…, "values")). Columns: escaped name, values-unescaped.
const VALUES_UNESCAPE_CASES: [string, string][] = [
  ["U__foo_2e_bar", "foo.bar"],
  ["U__label_2e_name2", "label.name2"],
  ["U__no:unescapingrequired", "no:unescapingrequired"],
  ["U__capitals_2E_ok", "capitals.ok"],
  ["U__underscores__doubled__", "underscores_doubled_"],
  ["U__label_20_with_20__1f631_", "label with 😱"],
  ["U___82b1__706b_", "花火"],
  ["U__", ""],
  ["plain_name", "plain_name"],
  ["u__lower_2e_", "u__lower_2e_"],
  ["", ""],
  // invalid escapes leave the name as it is
  ["U__underscores_doubled_", "U__underscores_doubled_"],
  ["U__underscores__doubled_", "U__underscores__doubled_"],
  ["U__my__hack_2e_attempt_872348732fabdabbab_", "U__my__hack_2e_attempt_872348732fabdabbab_"],
  ["U__my__hack_2e", "U__my__hack_2e"],
  ["U__bad__utf_2eg_", "U__bad__utf_2eg_"],
  ["U__bad__utf_D900_", "U__bad__utf_D900_"],
  ["U__trailing_", "U__trailing_"],
  ["U__big_110000_", "U__big_110000_"],
  // upstream's loop gives up at the sixth hex digit
  ["U__six_10ffff_", "U__six_10ffff_"],
  ["U__five_fffff_", "five\u{fffff}"],
  ["U__nul_0_", "nul\u0000"],
  // Go's byte `lower` turns 0x10 into '0': the escape of U+0000.
  ["U___\x10_", "\x00"],
];

Deno.test("unescapeName() decodes push-path label names like common's UnescapeName", () => {
  for (const [input, want] of VALUES_UNESCAPE_CASES) {
    assertEquals(unescapeName(input, "values"), want, input);
  }
});

Deno.test("escapeValueEncoding() is escapeName()'s values escape, applied to every name", () => {
  // Names escapeName() leaves alone are escaped too.
  const cases: [string, string][] = [
    ["", "U__"],
    ["abc", "U__abc"],
    ["a:b", "U__a:b"],
    ["a1", "U__a1"],
    ["U__x", "U__U____x"],
    ["_", "U____"],
  ];
  for (const [name, want] of cases) assertEquals(escapeValueEncoding(name), want, name);
  for (const [name, , , v] of ESCAPE_CASES) {
    if (v !== name) assertEquals(escapeValueEncoding(name), v, name);
    // A lone surrogate comes back as U+FFFD.
    const back = name.isWellFormed() ? name : name.toWellFormed();
    assertEquals(unescapeName(escapeValueEncoding(name), "values"), back, name);
  }
});

Deno.test("unescapeName() reverses escapeName() for values and dots", () => {
  for (const name of ["my.metric", "a-b.c_d", "ünïcödé", "😀x", "with space", "1abc"]) {
    assertEquals(unescapeName(escapeName(name, "values"), "values"), name);
  }
  assertEquals(unescapeName(escapeName("a.b_c", "dots"), "dots"), "a.b_c");
});

Deno.test("parseEscapingScheme() accepts exactly the four names", () => {
  const cases: [string, EscapingScheme | undefined][] = [
    ["allow-utf-8", "allow-utf-8"],
    ["underscores", "underscores"],
    ["dots", "dots"],
    ["values", "values"],
    ["Underscores", undefined],
    ["", undefined],
    ["utf-8", undefined],
  ];
  for (const [s, want] of cases) assertEquals(parseEscapingScheme(s), want, s);
});

function family(name: string, labels: [string, string][][]): MetricFamily {
  return {
    name,
    help: "h.elp",
    type: MetricType.GAUGE,
    metric: labels.map((ls) => ({
      label: ls.map(([n, v]) => ({ name: n, value: v })),
      gauge: { value: 1 },
    })),
  };
}

Deno.test("escapeMetricFamily() returns the same object when nothing changes", () => {
  const legacy = family("a:b", [[["job", "x.y"], ["c:d", "v"]], []]);
  for (const s of ["allow-utf-8", "underscores", "dots", "values"] as const) {
    assertStrictEquals(escapeMetricFamily(legacy, s), legacy);
  }
  const utf8 = family("my.metric", [[["my.label", "v"]]]);
  assertStrictEquals(escapeMetricFamily(utf8, "allow-utf-8"), utf8);
});

Deno.test("escapeMetricFamily() escapes the name, label names and __name__ values", () => {
  const input = family("my.metric", [
    [["job", "x.y"]],
    [["my.label", "a.b"], ["__name__", "x.y"], ["ok", "1"]],
    [["__name__", "legacy_ok"]],
  ]);
  const before = structuredClone(input);
  const cases: [EscapingScheme, string, string, string][] = [
    ["underscores", "my_metric", "my_label", "x_y"],
    ["dots", "my_dot_metric", "my_dot_label", "x_dot_y"],
    ["values", "U__my_2e_metric", "U__my_2e_label", "U__x_2e_y"],
  ];
  for (const [scheme, name, label, nameValue] of cases) {
    const out = escapeMetricFamily(input, scheme);
    assertEquals(out.name, name);
    assertEquals(out.help, "h.elp");
    assertEquals(out.type, MetricType.GAUGE);
    // Series that need nothing are shared, not copied.
    assertStrictEquals(out.metric[0], input.metric[0]);
    assertStrictEquals(out.metric[2], input.metric[2]);
    assertEquals(out.metric[1], {
      label: [
        { name: label, value: "a.b" },
        { name: "__name__", value: nameValue },
        { name: "ok", value: "1" },
      ],
      gauge: { value: 1 },
    });
    assertStrictEquals(out.metric[1]!.gauge, input.metric[1]!.gauge);
  }
  assertEquals(input, before, "input must not be modified");
});

Deno.test("escapeMetricFamily() with a legacy name but UTF-8 label names", () => {
  const input = family("ok_name", [[["a-b", "v"]]]);
  const out = escapeMetricFamily(input, "underscores");
  assertEquals(out.name, "ok_name");
  assertEquals(out.metric[0]!.label, [{ name: "a_b", value: "v" }]);
});
