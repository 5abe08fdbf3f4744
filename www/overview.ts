/**
 * The overview: the whole heap on one strip, to scale, whatever its size. It shows what the
 * detailed diagram cannot at once: where the blocks sit in the pages grown so far, the
 * break, the spare room above it, and which part of the heap the diagram is showing.
 */

import { CONSTANTS, FIELD, FLAG_FREE, type Layout } from "./engine";
import { hex, pageSize } from "./format";
import { blockEnd } from "./geometry";
import type { DiagramWindow, Mount, Panel, View } from "./panel";

const COLORS = {
  track: "#eef1f5",
  used: "#0072B2",
  free: "#E69F00",
  header: "#1f2a37",
  gap: "#c3cad4",
  page: "#CC79A7",
  brk: "#D55E00",
  window: "#009E73",
  text: "#4a5568",
};

/** A strip of canvas that draws the heap to scale, with the part the diagram shows framed. */
export class Overview implements Panel {
  readonly #canvas: HTMLCanvasElement;
  readonly #caption: HTMLElement;
  readonly #diagram: DiagramWindow;
  #layout: Layout | null = null;
  #window: { from: number; to: number } | null = null;
  #range = { lo: 0, hi: 1 };
  /** The canvas's size in CSS pixels, kept by a ResizeObserver so drawing never forces layout. */
  #size = { w: 0, h: 0 };

  static mount({ find, diagram }: Mount): Overview | null {
    const canvas = find<HTMLCanvasElement>("overview");
    const caption = find("overview-caption");
    return canvas && caption && new Overview(canvas, caption, diagram);
  }

  /** A click shows the diagram at the address under it; the frame follows the diagram. */
  constructor(canvas: HTMLCanvasElement, caption: HTMLElement, diagram: DiagramWindow) {
    this.#canvas = canvas;
    this.#caption = caption;
    this.#diagram = diagram;
    canvas.addEventListener("click", (e) => {
      const rect = canvas.getBoundingClientRect();
      const f = (e.clientX - rect.left) / rect.width;
      diagram.reveal(Math.round(this.#range.lo + f * (this.#range.hi - this.#range.lo)));
    });
    diagram.onMove(() => this.#setWindow(diagram.visibleRange()));
    new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]!.contentRect;
      this.#size = { w: Math.round(box.width), h: Math.round(box.height) };
      this.draw();
    }).observe(canvas);
  }

  /** Draws the view's heap, framing what the diagram (drawn just before) shows of it. */
  update(view: View): void {
    this.#layout = view.layout;
    this.#window = this.#diagram.visibleRange();
    this.draw();
  }

  /** Moves the frame only. */
  #setWindow(window: { from: number; to: number } | null): void {
    this.#window = window;
    this.draw();
  }

  draw(): void {
    const layout = this.#layout;
    const canvas = this.#canvas;
    const cssW = this.#size.w;
    const cssH = this.#size.h;
    if (!layout || cssW === 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);

    const lo = layout.heapStart;
    const hi = Math.max(layout.limit, layout.brk, lo + 1);
    this.#range = { lo, hi };
    const span = hi - lo;
    const X = (a: number): number => ((a - lo) / span) * cssW;
    const top = 16;
    const h = cssH - top - 4;

    ctx.fillStyle = COLORS.track;
    ctx.fillRect(0, top, cssW, h);

    // Foreign memory between segments.
    const { table: t, stride: s, count } = layout;
    let prevEnd = -1;
    for (let i = 0; i < count; i++) {
      const header = t[i * s + FIELD.header]!;
      if (prevEnd >= 0 && header !== prevEnd) {
        ctx.fillStyle = COLORS.gap;
        ctx.fillRect(X(prevEnd), top, Math.max(1, X(header) - X(prevEnd)), h);
      }
      prevEnd = blockEnd(layout, i);
    }
    // Blocks a pixel wide or more get a rectangle each; narrower ones are summed per pixel
    // column, which is then split between used and free in proportion, so drawing costs one
    // pass over the table plus one pass over the columns, whatever the number of blocks.
    const used = new Float64Array(Math.ceil(cssW) + 1);
    const free = new Float64Array(Math.ceil(cssW) + 1);
    const scale = cssW / span;
    const usedRects = new Path2D();
    const freeRects = new Path2D();
    const headerRects = new Path2D();
    const y = top + 3;
    const bh = h - 6;
    for (let i = 0; i < count; i++) {
      const o = i * s;
      const header = t[o + FIELD.header]!;
      const data = t[o + FIELD.data]!;
      const end = blockEnd(layout, i);
      const isFree = (t[o + FIELD.flags]! & FLAG_FREE) !== 0;
      const x0 = (header - lo) * scale;
      const w = (end - header) * scale;
      if (w >= 1) {
        (isFree ? freeRects : usedRects).rect(x0, y, w, bh);
        if (w >= 6) headerRects.rect(x0, y, Math.max(1, (data - header) * scale), bh);
      } else {
        (isFree ? free : used)[Math.min(used.length - 1, Math.floor(x0))]! += end - header;
      }
    }
    for (let x = 0; x < used.length; x++) {
      const u = used[x]!;
      const f = free[x]!;
      if (u + f === 0) continue;
      const fh = (bh * f) / (u + f);
      if (fh < bh) usedRects.rect(x, y + fh, 1, bh - fh);
      if (fh > 0) freeRects.rect(x, y, 1, fh);
    }
    ctx.fillStyle = COLORS.used;
    ctx.fill(usedRects);
    ctx.fillStyle = COLORS.free;
    ctx.fill(freeRects);
    ctx.fillStyle = COLORS.header;
    ctx.fill(headerRects);

    // Page boundaries.
    ctx.font = "10px ui-monospace, SFMono-Regular, Menlo, monospace";
    ctx.textBaseline = "top";
    const pageBytes = CONSTANTS.pageSize;
    const pagePx = (pageBytes / span) * cssW;
    const labelEvery = Math.max(1, Math.ceil(46 / Math.max(pagePx, 1e-9)));
    for (let p = Math.ceil(lo / pageBytes) * pageBytes, k = 0; p <= hi; p += pageBytes, k++) {
      const x = Math.round(X(p)) + 0.5;
      ctx.strokeStyle = COLORS.page;
      ctx.setLineDash([3, 2]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + h);
      ctx.stroke();
      ctx.setLineDash([]);
      if (k % labelEvery === 0 && x < cssW - 30) {
        ctx.fillStyle = COLORS.text;
        ctx.fillText(`page ${p / pageBytes}`, x + 3, 2);
      }
      if (pagePx < 2 && k > 2000) break;
    }

    // The break.
    const bx = Math.min(cssW - 1.5, Math.round(X(layout.brk)) + 0.5);
    ctx.strokeStyle = COLORS.brk;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(bx, top - 2);
    ctx.lineTo(bx, top + h + 2);
    ctx.stroke();
    ctx.lineWidth = 1;

    // What the diagram shows.
    if (this.#window && count > 0) {
      const x0 = X(this.#window.from);
      const x1 = X(this.#window.to);
      ctx.strokeStyle = COLORS.window;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + 1, top + 1, Math.max(3, x1 - x0 - 2), h - 2);
      ctx.lineWidth = 1;
    }

    const caption =
      `${hex(lo)} – ${hex(hi)} · break at ${hex(layout.brk)} · ` +
      `${layout.pagesGrown} ${layout.pagesGrown === 1 ? "page" : "pages"} of ${pageSize()} grown`;
    if (this.#caption.textContent !== caption) this.#caption.textContent = caption;
  }
}
