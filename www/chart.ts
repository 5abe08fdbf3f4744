/**
 * A small SVG chart of a trace replay over time, no chart library: heap size and live data (in
 * bytes) above, utilisation and fragmentation (0 to 100%) below, sharing the operations axis.
 * Series differ by dash pattern as well as colour (Okabe–Ito), and the legend says which is which.
 *
 * The chart is also a slider: clicking, dragging or the arrow keys pick an operation, and the
 * page shows the heap at that point of the trace.
 */

import { percent, shortBytes } from "./format";
import type { TraceSample } from "./types";

const SVG_NS = "http://www.w3.org/2000/svg";

/** One line of the chart. */
interface Series {
  key: string;
  label: string;
  color: string;
  dash: string;
  value: (s: TraceSample) => number;
}

const BYTES: Series[] = [
  { key: "extent", label: "heap size (start to break)", color: "#0072B2", dash: "", value: (s) => s.extent },
  { key: "live", label: "live data (bytes asked for)", color: "#E69F00", dash: "6 3", value: (s) => s.live },
];
const RATIOS: Series[] = [
  { key: "utilisation", label: "utilisation (peak live ÷ peak heap size)", color: "#009E73", dash: "", value: (s) => s.utilisation },
  { key: "fragmentation", label: "fragmentation (1 − largest free ÷ free)", color: "#D55E00", dash: "2 3", value: (s) => s.fragmentation },
];

/** A round step for about `n` ticks over `max`. */
function tickStep(max: number, n: number): number {
  const raw = max / Math.max(1, n);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export class TraceChart {
  readonly root: HTMLElement;
  readonly #onPick: (op: number) => void;
  #samples: TraceSample[] = [];
  #total = 0;
  #at = -1;
  #svg: SVGSVGElement | null = null;
  #cursor: SVGLineElement | null = null;
  #plot = { left: 58, right: 0, width: 0 };

  /** `onPick` receives the operation chosen (clicked, dragged to, or stepped to with the keys). */
  constructor(root: HTMLElement, onPick: (op: number) => void) {
    this.root = root;
    this.#onPick = onPick;
    root.tabIndex = 0;
    root.setAttribute("role", "slider");
    root.setAttribute("aria-label", "Operation of the trace shown in the diagram");
    // A slider always says where it stands (aria-valuenow is required): before a replay, at 0 of 0.
    root.setAttribute("aria-valuemin", "0");
    root.setAttribute("aria-valuemax", "0");
    root.setAttribute("aria-valuenow", "0");
    root.setAttribute("aria-valuetext", "no trace replayed yet");
    root.addEventListener("keydown", (e) => {
      if (this.#total === 0) return;
      const step = Math.max(1, Math.round(this.#total / 100));
      const to =
        e.key === "ArrowLeft" || e.key === "ArrowDown"
          ? this.#at - step
          : e.key === "ArrowRight" || e.key === "ArrowUp"
            ? this.#at + step
            : e.key === "PageDown"
              ? this.#at - step * 10
              : e.key === "PageUp"
                ? this.#at + step * 10
                : e.key === "Home"
                  ? 0
                  : e.key === "End"
                    ? this.#total
                    : null;
      if (to === null) return;
      e.preventDefault();
      this.#onPick(Math.max(0, Math.min(this.#total, to)));
    });
    const pick = (e: PointerEvent): void => {
      if (this.#total === 0 || !this.#svg) return;
      const rect = this.#svg.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const f = (x - this.#plot.left) / Math.max(1, this.#plot.width);
      this.#onPick(Math.round(Math.max(0, Math.min(1, f)) * this.#total));
    };
    root.addEventListener("pointerdown", (e) => {
      root.setPointerCapture(e.pointerId);
      pick(e);
    });
    root.addEventListener("pointermove", (e) => {
      if (root.hasPointerCapture(e.pointerId)) pick(e);
    });
  }

  /** Draws `samples` (a replay of `total` operations), with the cursor at operation `at`. */
  draw(samples: TraceSample[], total: number, at = total): void {
    this.#samples = samples;
    this.#total = total;
    const width = Math.max(320, Math.round(this.root.clientWidth || 640));
    const panel = 118;
    const gap = 26;
    const top = 10;
    const left = 58;
    const right = 12;
    const plotW = width - left - right;
    const height = top + 2 * panel + gap + 24;
    this.#plot = { left, right, width: plotW };
    const last = samples[samples.length - 1];
    const maxOp = Math.max(1, total);
    const X = (op: number): number => left + (op / maxOp) * plotW;

    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart-svg", "aria-hidden": "true" });
    const panels: [Series[], number, (v: number) => string, number][] = [
      [BYTES, top, (v) => shortBytes(v), Math.max(1, ...samples.map((s) => Math.max(s.extent, s.live)))],
      [RATIOS, top + panel + gap, (v) => percent(v), 1],
    ];
    for (const [series, y0, format, max] of panels) {
      const Y = (v: number): number => y0 + panel - (v / max) * panel;
      // Grid and axis labels.
      const step = max === 1 ? 0.25 : tickStep(max, 4);
      for (let v = 0; v <= max * 1.0001; v += step) {
        svg.append(el("line", { x1: left, x2: left + plotW, y1: Y(v), y2: Y(v), class: v === 0 ? "axis" : "grid" }));
        const label = el("text", { x: left - 6, y: Y(v) + 3.5, class: "tick", "text-anchor": "end" });
        label.textContent = format(v);
        svg.append(label);
      }
      for (const s of series) {
        if (samples.length === 0) continue;
        const d = samples.map((p, i) => `${i === 0 ? "M" : "L"}${X(p.op).toFixed(1)} ${Y(s.value(p)).toFixed(1)}`).join(" ");
        svg.append(el("path", { d, class: `line ${s.key}`, stroke: s.color, "stroke-dasharray": s.dash, fill: "none", "data-series": s.key }));
      }
    }
    // The operations axis.
    const opStep = tickStep(maxOp, 6);
    for (let op = 0; op <= maxOp; op += opStep) {
      const label = el("text", { x: X(op), y: height - 6, class: "tick", "text-anchor": "middle" });
      label.textContent = op.toLocaleString("en-US");
      svg.append(label);
    }
    this.#cursor = el("line", { y1: top - 4, y2: top + 2 * panel + gap, class: "cursor" });
    svg.append(this.#cursor);
    this.root.replaceChildren(svg);
    this.#svg = svg;
    this.root.setAttribute("aria-valuemax", String(total));
    this.root.dataset.samples = String(samples.length);
    if (last) this.root.dataset.utilisation = last.utilisation.toFixed(4);
    this.mark(at);
  }

  /** Moves the cursor to operation `at`. */
  mark(at: number): void {
    this.#at = at;
    if (this.#cursor) {
      const x = this.#plot.left + (at / Math.max(1, this.#total)) * this.#plot.width;
      this.#cursor.setAttribute("x1", String(x));
      this.#cursor.setAttribute("x2", String(x));
    }
    this.root.setAttribute("aria-valuenow", String(at));
    // The sample at or before `at`, read out for screen readers.
    let s: TraceSample | undefined;
    for (const p of this.#samples) if (p.op <= at) s = p;
    this.root.setAttribute(
      "aria-valuetext",
      s
        ? `operation ${at} of ${this.#total}: heap ${shortBytes(s.extent)}, live ${shortBytes(s.live)}, utilisation ${percent(s.utilisation)}, fragmentation ${percent(s.fragmentation)}`
        : `operation ${at} of ${this.#total}`,
    );
  }
}

/** The legend, as HTML: each series' line style and what it measures. */
export function legend(): string {
  return [...BYTES, ...RATIOS]
    .map(
      (s) =>
        `<li><svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" stroke="${s.color}" stroke-width="2.5" stroke-dasharray="${s.dash}"/></svg>${s.label}</li>`,
    )
    .join("");
}
