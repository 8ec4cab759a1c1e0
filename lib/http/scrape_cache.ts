/**
 * The rendered scrape of one format and escaping scheme, kept between
 * scrapes and rebuilt incrementally: per family, its series cut into runs
 * (`series_segments.ts`), each run's bytes and their raw deflate
 * (`lib/compress/gzip_member.ts`) cached until the run changes. A scrape
 * after a write renders and compresses only the runs the write touched; the
 * gzip body is one member whose deflate stream is the cached pieces one
 * after the other.
 *
 * The cache is format-agnostic: an {@linkcode ExpositionRenderer} says how a
 * family's series and frame are written.
 *
 * Families come in two kinds. *Stored* families are the store's merged
 * families (`MergedSeries`: their series keep their ids across scrapes, see
 * `series_segments.ts`); their runs are cached, and a run's `Metric` objects
 * are asked of the store only when the run is rendered. *Volatile* families
 * (the gateway's own metrics, fresh objects on every scrape) are rendered
 * every time and, for gzip, consecutive ones are compressed together as one
 * piece.
 *
 * @module
 */

import { type DeflatedRun, deflateRun, gzipMember, joinRuns } from "@lib/compress/gzip_member.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import type { Metric, MetricFamily } from "@lib/model/metric.ts";
import type { MergedSeries } from "@lib/store/store.ts";
import { resegment, type SeriesRun } from "@lib/http/series_segments.ts";
import type { ExpositionRenderer, FamilyFrame, FamilyRenderer } from "@lib/http/scrape_formats.ts";

/**
 * A family to expose, in output order: a stored family (its runs cached), or
 * a volatile one whose series are fresh objects on every scrape (nothing to
 * cache).
 */
export type ScrapeFamily =
  | { readonly volatile: false; readonly family: MergedSeries }
  | { readonly volatile: true; readonly family: MetricFamily };

/** A family to expose as one `MetricFamily` (a stored family's series materialised). */
export function wholeFamily(f: ScrapeFamily): MetricFamily {
  if (f.volatile) return f.family;
  return { ...f.family.head(), metric: f.family.series() };
}

/** The body of one scrape: its parts in order and its total length. */
export interface ScrapeBody {
  readonly parts: readonly Uint8Array[];
  readonly length: number;
}

/** What a cache has done since it was made (counts, for tests and benchmarks). */
export interface ExpositionCacheStats {
  /** Runs of stored series rendered (a run rendered again after its bytes were dropped counts again). */
  runsRendered: number;
  /** Runs of stored series compressed. */
  runsDeflated: number;
}

interface Segment extends SeriesRun {
  /** Length of the rendered bytes; -1 until rendered. */
  length: number;
  raw: Uint8Array | undefined;
  deflated: DeflatedRun | undefined;
}

interface FamilyState {
  /** The family these outputs are for. */
  source: MergedSeries;
  /** Its head, unescaped, without series. */
  bare: MetricFamily;
  /** Escaped name, help, type and unit that `renderer` was made for. */
  readonly headKey: string;
  readonly renderer: FamilyRenderer | undefined;
  segments: Segment[];
  rawParts: Uint8Array[] | undefined;
  run: DeflatedRun | undefined;
  /** The last frame's bytes and their deflate, reused while they are equal. */
  frameRuns:
    | { head: Uint8Array; tail: Uint8Array; headRun: DeflatedRun; tailRun: DeflatedRun }
    | undefined;
}

function newSegment(ids: Float64Array, start: number, closed: boolean): Segment {
  return { ids, start, closed, length: -1, raw: undefined, deflated: undefined };
}

/**
 * The run with its chunks copied into one: a scrape then hands the server one
 * buffer per family instead of hundreds of small pieces (made when a family
 * changes, kept until it changes again).
 */
function packed(run: DeflatedRun): DeflatedRun {
  if (run.chunks.length <= 1) return run;
  const one = new Uint8Array(run.size);
  let at = 0;
  for (const c of run.chunks) {
    one.set(c, at);
    at += c.length;
  }
  return { ...run, chunks: [one] };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The scrape of one format and escaping scheme, cached per run of series. */
export class ExpositionCache {
  readonly #renderer: ExpositionRenderer;
  readonly #scheme: EscapingScheme;
  readonly #families = new Map<string, FamilyState>();
  readonly #stats: ExpositionCacheStats = { runsRendered: 0, runsDeflated: 0 };
  /** Set by the first identity scrape: keep rendered bytes besides their deflate from then on. */
  #keepRaw = false;

  /** A cache for `renderer` with names escaped by `scheme`. */
  constructor(renderer: ExpositionRenderer, scheme: EscapingScheme) {
    this.#renderer = renderer;
    this.#scheme = scheme;
  }

  /** Number of families with cached state. */
  get familyCount(): number {
    return this.#families.size;
  }

  /** Work done so far (a copy). */
  get stats(): ExpositionCacheStats {
    return { ...this.#stats };
  }

  /**
   * Renders a scrape, uncompressed.
   *
   * @param families The families to expose, in output order.
   * @returns The body's parts (cached bytes, not to be modified) and length.
   */
  identity(families: readonly ScrapeFamily[]): ScrapeBody {
    this.#keepRaw = true;
    const parts: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const f of families) {
      if (f.volatile) {
        for (const p of this.#renderWhole(f.family)) parts.push(p);
        continue;
      }
      seen.add(f.family.name);
      for (const p of this.#rawParts(this.#state(f.family))) parts.push(p);
    }
    if (this.#renderer.end.length > 0) parts.push(this.#renderer.end);
    this.#evict(seen);
    let length = 0;
    for (const p of parts) length += p.length;
    return { parts: parts.filter((p) => p.length > 0), length };
  }

  /**
   * Renders a scrape as one gzip member.
   *
   * @param families The families to expose, in output order.
   * @returns The member's parts (header, cached deflate pieces, trailer) and length.
   */
  gzip(families: readonly ScrapeFamily[]): ScrapeBody {
    const runs: DeflatedRun[] = [];
    let pending: Uint8Array[] = [];
    const flush = () => {
      if (pending.length > 0) runs.push(deflateRun(pending));
      pending = [];
    };
    const seen = new Set<string>();
    for (const f of families) {
      if (f.volatile) {
        for (const p of this.#renderWhole(f.family)) pending.push(p);
        continue;
      }
      seen.add(f.family.name);
      const run = this.#familyRun(this.#state(f.family));
      if (run.length === 0) continue;
      flush();
      runs.push(run);
    }
    if (this.#renderer.end.length > 0) pending.push(this.#renderer.end);
    flush();
    this.#evict(seen);
    const parts = gzipMember(joinRuns(runs));
    let length = 0;
    for (const p of parts) length += p.length;
    return { parts, length };
  }

  /** Drops the state of families no longer exposed. */
  #evict(seen: ReadonlySet<string>): void {
    if (this.#families.size <= seen.size) return;
    for (const name of this.#families.keys()) if (!seen.has(name)) this.#families.delete(name);
  }

  #escapedHead(family: MetricFamily): MetricFamily {
    const bare: MetricFamily = { name: family.name, type: family.type, metric: [] };
    if (family.help !== undefined) bare.help = family.help;
    if (family.unit !== undefined) bare.unit = family.unit;
    return escapeMetricFamily(bare, this.#scheme);
  }

  #escapedSeries(family: MetricFamily, metrics: Metric[]): readonly Metric[] {
    if (this.#scheme === "allow-utf-8") return metrics;
    return escapeMetricFamily({ ...family, metric: metrics }, this.#scheme).metric;
  }

  /** The whole family rendered now, uncached. */
  #renderWhole(family: MetricFamily): Uint8Array[] {
    const head = this.#escapedHead(family);
    const renderer = this.#renderer.family(head);
    if (renderer === undefined) return [];
    const body = renderer.series(this.#escapedSeries(family, family.metric));
    const frame = renderer.frame(body.length);
    return frame === undefined ? [] : [frame.head, body, frame.tail];
  }

  /** The state of a stored family, brought up to date with `family`. */
  #state(family: MergedSeries): FamilyState {
    let state = this.#families.get(family.name);
    if (state !== undefined && state.source === family) return state;
    const bare = family.head();
    const head = this.#escapedHead(bare);
    const headKey = [head.name, head.help ?? "\x00", head.type, head.unit ?? "\x00"].join("\xff");
    if (state === undefined || state.headKey !== headKey) {
      state = {
        source: family,
        bare,
        headKey,
        renderer: this.#renderer.family(head),
        segments: [],
        rawParts: undefined,
        run: undefined,
        frameRuns: undefined,
      };
      this.#families.set(family.name, state);
    }
    state.source = family;
    state.bare = bare;
    state.segments = resegment(state.segments, family, newSegment);
    state.rawParts = undefined;
    state.run = undefined;
    return state;
  }

  #raw(state: FamilyState, seg: Segment): Uint8Array {
    if (seg.raw !== undefined) return seg.raw;
    const metrics = state.source.series(seg.start, seg.start + seg.ids.length);
    const bytes = state.renderer!.series(this.#escapedSeries(state.bare, metrics));
    seg.length = bytes.length;
    this.#stats.runsRendered++;
    if (this.#keepRaw) seg.raw = bytes;
    return bytes;
  }

  #deflated(state: FamilyState, seg: Segment): DeflatedRun {
    if (seg.deflated === undefined) {
      seg.deflated = deflateRun(this.#raw(state, seg));
      this.#stats.runsDeflated++;
    }
    return seg.deflated;
  }

  #frame(state: FamilyState): FamilyFrame | undefined {
    let body = 0;
    for (const seg of state.segments) body += seg.length;
    return state.renderer!.frame(body);
  }

  #rawParts(state: FamilyState): Uint8Array[] {
    if (state.rawParts !== undefined) return state.rawParts;
    if (state.renderer === undefined) return state.rawParts = [];
    const raws = state.segments.map((seg) => this.#raw(state, seg));
    const frame = this.#frame(state);
    state.rawParts = frame === undefined ? [] : [frame.head, ...raws, frame.tail];
    return state.rawParts;
  }

  #familyRun(state: FamilyState): DeflatedRun {
    if (state.run !== undefined) return state.run;
    if (state.renderer === undefined) return state.run = joinRuns([]);
    const runs = state.segments.map((seg) => this.#deflated(state, seg));
    const frame = this.#frame(state);
    if (frame === undefined) return state.run = joinRuns([]);
    let f = state.frameRuns;
    if (f === undefined || !sameBytes(f.head, frame.head) || !sameBytes(f.tail, frame.tail)) {
      f = {
        head: frame.head,
        tail: frame.tail,
        headRun: deflateRun(frame.head),
        tailRun: deflateRun(frame.tail),
      };
      state.frameRuns = f;
    }
    state.run = packed(joinRuns([f.headRun, ...runs, f.tailRun]));
    return state.run;
  }
}
