/**
 * The network byte counters of `/proc/<pid>/net/netstat`, read the way
 * client_golang's process collector reads them (through procfs'
 * `Proc.Netstat`): the `InOctets` and `OutOctets` fields of the `IpExt`
 * section. The file holds the counters of the process's network namespace,
 * all interfaces together; nothing is summed or chosen per interface.
 *
 * @module
 */

import { parseGoFloat } from "@lib/expfmt/text_parse.ts";

/** Bytes received and sent, from `IpExt: InOctets` and `IpExt: OutOctets`. */
export interface NetstatOctets {
  /** `IpExt` `InOctets`, or 0 when the file has no such field. */
  readonly receiveBytes: number;
  /** `IpExt` `OutOctets`, or 0 when the file has no such field. */
  readonly transmitBytes: number;
}

const enc = new TextEncoder();

/**
 * Parses the text of `/proc/<pid>/net/netstat` as procfs does: lines come in
 * pairs, a line of names (`IpExt: InNoRoutes … InOctets OutOctets …`) followed
 * by a line of values, both split at every single space. A missing field
 * counts as 0, as client_golang reports it.
 *
 * Every value of every section must parse as a Go float and each pair must
 * have as many values as names; otherwise the file is unusable and the result
 * is `undefined` (client_golang then leaves both metrics out). Go's
 * hexadecimal float forms, which the kernel never writes, count as unusable.
 *
 * @param text The file's contents.
 * @returns The two counters, or `undefined` when the text is malformed.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * const text = "IpExt: InNoRoutes InOctets OutOctets\nIpExt: 0 1500 600\n";
 * assertEquals(parseNetstatOctets(text), { receiveBytes: 1500, transmitBytes: 600 });
 * ```
 */
export function parseNetstatOctets(text: string): NetstatOctets | undefined {
  // Go's bufio.ScanLines: no token after a final newline, one trailing \r dropped per line.
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const line = (i: number): string => {
    const l = lines[i] ?? "";
    return l.endsWith("\r") ? l.slice(0, -1) : l;
  };
  let receiveBytes = 0;
  let transmitBytes = 0;
  for (let i = 0; i < lines.length; i += 2) {
    const names = line(i).split(" ");
    const values = line(i + 1).split(" ");
    if (names.length !== values.length) return undefined;
    const section = (names[0] as string).replace(/:$/, "");
    for (let k = 1; k < names.length; k++) {
      const bytes = enc.encode(values[k]);
      const value = parseGoFloat(bytes, 0, bytes.length);
      if (value === undefined) return undefined;
      if (section !== "IpExt") continue;
      if (names[k] === "InOctets") receiveBytes = value;
      else if (names[k] === "OutOctets") transmitBytes = value;
    }
  }
  return { receiveBytes, transmitBytes };
}
