/**
 * The error every parser and decoder in `lib/expfmt` throws for bad input.
 *
 * @module
 */

/**
 * A parse failure. `message` is the exact text upstream's pushgateway sends in
 * its 400 response, e.g. `text format parsing error in line 3: invalid metric name`
 * or, for protobuf input, the decoder's error text. The OpenMetrics parser (not
 * in upstream) uses the same layout: `openmetrics format parsing error in line 3: …`.
 */
export class ParseError extends Error {
  /** The 1-based line of the text input the error was found on (0 when not from text). */
  readonly line: number;

  /**
   * Creates a parse error; `line` > 0 prefixes the message as expfmt does,
   * naming `format` (`text` unless given).
   */
  constructor(message: string, line = 0, format = "text") {
    super(line > 0 ? `${format} format parsing error in line ${line}: ${message}` : message);
    this.name = "ParseError";
    this.line = line;
  }
}
