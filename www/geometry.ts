/**
 * Where each block goes on screen: a pure function from the layout table to positions.
 *
 * Memory is drawn like text: blocks follow each other in address order along rows that wrap at
 * the diagram's width, each as wide as its bytes times the zoom, but never narrower than a
 * readable minimum. Segments that are not adjacent in memory are separated by a gap; after the
 * last block comes the break, then the spare room left in the pages already grown.
 *
 * Positions live in typed arrays, indexed like the layout table, so laying out 10,000 blocks is
 * one tight loop with no allocation per block.
 */

import { FIELD, FLAG, type Layout } from "./engine";

/**
 * Where block `i`'s bytes end, as drawn. A header whose size was written over (checks off:
 * `FLAG.brokenSize`) says a size its block does not have; the block is drawn up to the next
 * header the table found (or the break), and the size it claims is shown where it points.
 */
export function blockEnd(layout: Layout, i: number): number {
  const { stride, table } = layout;
  const o = i * stride;
  const data = table[o + FIELD.data]!;
  if ((table[o + FIELD.flags]! & FLAG.brokenSize) === 0) return data + table[o + FIELD.size]!;
  const next = i + 1 < layout.count ? table[(i + 1) * stride + FIELD.header]! : layout.brk;
  return Math.max(data, next);
}

/** How the diagram scales bytes to pixels. */
export interface Scale {
  /** Pixels per byte. */
  zoom: number;
  /** Narrowest header, in pixels. */
  minHeader: number;
  /** Narrowest data area, in pixels. */
  minData: number;
  /** Width of a row, in pixels. */
  width: number;
  /** Width given to a gap between segments. */
  gapWidth: number;
  /** Width given to the spare room between the break and the end of the grown pages. */
  tailWidth: number;
}

/** The readable scale: labels fit in every block. */
export const READABLE: Omit<Scale, "zoom" | "width"> = {
  minHeader: 40,
  minData: 80,
  gapWidth: 84,
  tailWidth: 150,
};

/** The compact scale used to fit a whole large heap on screen. */
export const COMPACT: Omit<Scale, "zoom" | "width"> = {
  minHeader: 1,
  minData: 2,
  gapWidth: 40,
  tailWidth: 120,
};

/** A gap between two segments: memory in between belongs to someone else. */
export interface Gap {
  /** End of the previous segment. */
  from: number;
  /** Start of the next segment. */
  to: number;
  /** Index of the block that follows the gap. */
  before: number;
  x: number;
  row: number;
  w: number;
}

/** Positions of everything in the diagram. */
export interface Geometry {
  count: number;
  x: Float64Array;
  w: Float64Array;
  hw: Float64Array;
  row: Int32Array;
  /** 1 when a block was drawn narrower than its bytes (wider than a whole row). */
  clipped: Uint8Array;
  /** 1 when the arrow into this block comes from elsewhere (a row above, across a gap). */
  arrowIn: Uint8Array;
  gaps: Gap[];
  /** Where the break is drawn. */
  brk: { x: number; row: number };
  /** The spare room after the break, if the pages grown reach past it. */
  tail: { x: number; row: number; w: number; from: number; to: number } | null;
  rows: number;
}

/** Lays out every block of `layout` at `scale`. */
export function layOut(layout: Layout, scale: Scale): Geometry {
  const { count, stride, table } = layout;
  const x = new Float64Array(count);
  const w = new Float64Array(count);
  const hw = new Float64Array(count);
  const row = new Int32Array(count);
  const clipped = new Uint8Array(count);
  const arrowIn = new Uint8Array(count);
  const gaps: Gap[] = [];
  const width = Math.max(scale.width, scale.minHeader + scale.minData);

  let cx = 0;
  let r = 0;
  let prevEnd = -1;
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    const header = table[o + FIELD.header]!;
    const data = table[o + FIELD.data]!;
    const size = blockEnd(layout, i) - data;
    if (i > 0 && header !== prevEnd) {
      if (cx > 0 && cx + scale.gapWidth > width) {
        r++;
        cx = 0;
      }
      gaps.push({ from: prevEnd, to: header, before: i, x: cx, row: r, w: scale.gapWidth });
      cx += scale.gapWidth;
      arrowIn[i] = 1;
    }
    const h = Math.max(scale.minHeader, (data - header) * scale.zoom);
    let d = Math.max(scale.minData, size * scale.zoom);
    if (h + d > width) {
      d = width - h;
      clipped[i] = 1;
    }
    if (cx > 0 && cx + h + d > width) {
      r++;
      cx = 0;
      if (i > 0) arrowIn[i] = 1;
    }
    x[i] = cx;
    row[i] = r;
    hw[i] = h;
    w[i] = h + d;
    cx += h + d;
    prevEnd = data + size;
  }

  const brk = { x: cx, row: r };
  let tail: Geometry["tail"] = null;
  if (layout.limit > layout.brk) {
    if (cx > 0 && cx + scale.tailWidth > width) {
      r++;
      cx = 0;
    }
    tail = { x: cx, row: r, w: scale.tailWidth, from: layout.brk, to: layout.limit };
  }
  return { count, x, w, hw, row, clipped, arrowIn, gaps, brk, tail, rows: r + 1 };
}

/** The zoom at which a heap of `totalBytes` fills about `rows` rows of `width` pixels. */
export function fitZoom(totalBytes: number, width: number, rows: number): number {
  if (totalBytes <= 0) return 1;
  return Math.max(1e-4, Math.min(4, (width * rows * 0.92) / totalBytes));
}

/** Index of the first block on row `r` or later (binary search: rows only grow). */
export function firstOnRow(g: Geometry, r: number): number {
  let lo = 0;
  let hi = g.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (g.row[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
