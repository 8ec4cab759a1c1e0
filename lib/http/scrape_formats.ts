/**
 * The exposition formats as the scrape cache uses them: each renders a
 * family in pieces (the bytes of any run of its series, and the frame around
 * all of them), so that runs can be rendered, cached and compressed apart.
 * A new format is one more {@linkcode ExpositionRenderer}.
 *
 * @module
 */

import { textFamilyPieces } from "@lib/expfmt/text_render.ts";
import { OPENMETRICS_EOF, openMetricsFamilyPieces } from "@lib/expfmt/openmetrics_render.ts";
import type { OpenMetricsAwareFormat } from "@lib/expfmt/negotiate.ts";
import type { Metric, MetricFamily } from "@lib/model/metric.ts";
import { delimitedFrame, encodeMetricFields } from "@lib/protobuf/encode.ts";

/** The bytes before and after a family's series. */
export interface FamilyFrame {
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
}

/** Renders one family (name, help and type fixed) in pieces. */
export interface FamilyRenderer {
  /** The bytes of a run of the family's series, already escaped, in order. */
  series(metrics: readonly Metric[]): Uint8Array;
  /**
   * The frame around the family's series, given their total length in bytes;
   * `undefined` when the family shows nothing at all (text: no sample lines).
   */
  frame(bodyLength: number): FamilyFrame | undefined;
}

/** One exposition format, in pieces. */
export interface ExpositionRenderer {
  /**
   * The renderer of a family whose name, help and type (already escaped) are
   * those of `head` (its series are not read); `undefined` when the format
   * shows nothing of such a family.
   */
  family(head: MetricFamily): FamilyRenderer | undefined;
  /** Bytes after the last family (none for text 0.0.4 and protobuf, `# EOF` for OpenMetrics). */
  readonly end: Uint8Array;
}

const NOTHING = new Uint8Array(0);
const utf8 = new TextEncoder();

/** Text format 0.0.4, as `renderFamilyText` writes it. */
export const TEXT_RENDERER: ExpositionRenderer = {
  family(head: MetricFamily): FamilyRenderer | undefined {
    const pieces = textFamilyPieces(head);
    if (pieces === undefined) return undefined;
    const frame: FamilyFrame = { head: utf8.encode(pieces.head), tail: NOTHING };
    return {
      series: (metrics) => utf8.encode(pieces.series(metrics)),
      frame: (bodyLength) => bodyLength === 0 ? undefined : frame,
    };
  },
  end: NOTHING,
};

/**
 * Length-delimited protobuf `MetricFamily` messages, as `encodeDelimited`
 * writes them, without the family's unit: upstream's scrape goes through
 * client_golang's `Gatherers`, which rebuild every family from its name, help
 * and type only, so its protobuf scrapes never carry a unit.
 */
export const PROTOBUF_RENDERER: ExpositionRenderer = {
  family(head: MetricFamily): FamilyRenderer {
    const { unit: _, ...bare } = head;
    return {
      series: (metrics) => encodeMetricFields(metrics),
      frame: (bodyLength) => delimitedFrame(bare, bodyLength),
    };
  },
  end: NOTHING,
};

/**
 * OpenMetrics 1.0.0, as `renderFamilyOpenMetrics` writes it (no `_created`
 * lines, as promhttp by default), then `# EOF` after the last family.
 */
export const OPENMETRICS_RENDERER: ExpositionRenderer = {
  family(head: MetricFamily): FamilyRenderer | undefined {
    const pieces = openMetricsFamilyPieces(head);
    if (pieces === undefined) return undefined;
    const frame: FamilyFrame = { head: utf8.encode(pieces.head), tail: NOTHING };
    return {
      series: (metrics) => utf8.encode(pieces.series(metrics)),
      frame: (bodyLength) => bodyLength === 0 ? undefined : frame,
    };
  },
  end: utf8.encode(OPENMETRICS_EOF),
};

/** One renderer per negotiable format: a new format does not compile until it has one. */
const RENDERERS: Readonly<Record<OpenMetricsAwareFormat, ExpositionRenderer>> = {
  text: TEXT_RENDERER,
  protobuf: PROTOBUF_RENDERER,
  openmetrics: OPENMETRICS_RENDERER,
};

/**
 * The renderer of a negotiated format.
 *
 * @param format The format.
 * @returns Its renderer.
 */
export function rendererFor(format: OpenMetricsAwareFormat): ExpositionRenderer {
  return RENDERERS[format];
}
