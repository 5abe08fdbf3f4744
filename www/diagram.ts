/**
 * The block diagram: the heap from its start to the break, drawn from the layout table.
 *
 * Each block is one element keyed by its header address. A redraw lays out every block (one
 * loop over typed arrays, see geometry.ts) but touches the DOM only for the rows in view and,
 * among those, only for what changed, so one `free` in a heap of 10,000 blocks rewrites a
 * handful of attributes, not the page.
 *
 * The contract for tests and tutorial authors: every block element carries `data-address` (its
 * data address, decimal), `data-size` (data bytes) and `data-free` ("true"/"false"), and
 * `data-names` when a script named it; the break marker carries `data-brk` (decimal). With
 * checks off a damaged header carries `data-corrupt` (the fields broken: "size flags next …"),
 * and a `next` or size that points nowhere real is drawn to where it points, an `.offheap`
 * marker with `data-offheap` (the address) when that is outside the blocks. At the end of a
 * scenario a block nothing refers to carries `data-leaked="true"`. When the heap derives `next`
 * from each size instead of storing it (boundary tags), each block's link (`.next-arrow`) carries
 * `data-derived="true"` and is drawn dotted, with an open head.
 *
 * Each block shows the first bytes of its data, read from linear memory: printable text as
 * text, the rest as hex.
 *
 * Blocks slide, grow and shrink into place (CSS transitions on position and width), a block that
 * appears grows in and one that disappears fades out; `prefers-reduced-motion` turns all of it off.
 *
 * It is the one panel every playground has: app.ts makes it, and the overview and the zoom
 * follow it through `DiagramWindow`.
 */

import { CONSTANTS, FIELD, FLAG, FLAG_FREE, type Layout } from "./engine";
import type { DiagramWindow, Host, Panel, View } from "./panel";
import type { PointerName } from "./timeline";
import { derivedNext, hex, pageSize, shortBytes, bytes as bytesText } from "./format";
import { COMPACT, READABLE, blockEnd, firstOnRow, fitZoom, layOut, type Geometry, type Scale } from "./geometry";

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * The head of every `next` arrow (`url(#arrowhead)`), and the open head of a derived one
 * (`url(#arrowhead-open)`), defined once inside each diagram.
 */
const ARROWHEAD = `<defs><marker id="arrowhead" viewBox="0 0 8 8" refX="6" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
  <path d="M0 0 L8 4 L0 8 z" fill="#3d4a5c" /></marker>
  <marker id="arrowhead-open" viewBox="0 0 8 8" refX="6" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
  <path d="M1 1 L7 4 L1 7" fill="none" stroke="#3d4a5c" stroke-width="1.3" stroke-linejoin="round" stroke-linecap="round" /></marker>
  <marker id="arrowhead-broken" viewBox="0 0 8 8" refX="6" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
  <path d="M0 0 L8 4 L0 8 z" fill="#b3261e" /></marker></defs>`;

/** Bytes of each block's data shown in the diagram (the bytes panel shows more). */
const DATA_SHOWN = 48;

/** Vertical rhythm of one row: the lane for `next` arrows, the block, the lane for labels. */
interface Rows {
  arrow: number;
  block: number;
  label: number;
  gap: number;
}
const READABLE_ROWS: Rows = { arrow: 30, block: 60, label: 22, gap: 8 };
const COMPACT_ROWS: Rows = { arrow: 12, block: 30, label: 20, gap: 6 };

/**
 * The widest the markers' labels get, in pixels (11.5 px text; measured in DejaVu Sans, wider
 * than most): "brk = sbrk(0) 0x…", "heap start 0x…", and "heap start" alone.
 */
const LABEL_WIDTH = { brk: 150, start: 140, startWords: 72 };

function rowHeight(r: Rows): number {
  return r.arrow + r.block + r.label + r.gap;
}

/**
 * What the diagram asks of the playground: `run` a `free` when the learner clicks a block (or
 * presses Enter or Delete on it), `inspect` one pointed at or focused (by its data address).
 */
export type DiagramEvents = Pick<Host, "run" | "inspect">;

/** How the diagram fits where it is placed. */
export interface DiagramOptions {
  /** The tallest the viewport may grow before it scrolls, in pixels (default: most of the window). */
  maxHeight?: () => number;
  /** The shortest it gets, however small the heap (default 240 pixels). */
  minHeight?: number;
  /** Reads `length` bytes of linear memory at `address`, to show each block's data (none: not shown). */
  read?: (address: number, length: number) => Uint8Array;
}

/** The state last written to one block element, to write only what changes. */
interface BlockView {
  el: HTMLElement;
  size: HTMLElement;
  addr: HTMLElement;
  kind: HTMLElement;
  path: SVGPathElement;
  inPath: SVGPathElement;
  svg: SVGSVGElement;
  nullTag: HTMLElement;
  names: HTMLElement;
  namesKey: string;
  text: HTMLElement;
  /** The update whose bytes `text` shows. */
  bytesSeen: number;
  /** Damage and leak, as last written: "fields|leaked|brokenSize". */
  status: string;
  seen: number;
  x: number;
  y: number;
  w: number;
  hw: number;
  data: number;
  dataSize: number;
  free: boolean;
  arrow: string;
  clipped: boolean;
  narrow: number;
}

/** Draws the heap and keeps the drawing in step with it. */
export class Diagram implements Panel, DiagramWindow {
  readonly viewport: HTMLElement;
  readonly #plane: HTMLElement;
  readonly #events: DiagramEvents;
  readonly #blocks = new Map<number, BlockView>();
  readonly #extras = new Map<string, HTMLElement>();
  readonly #brk: HTMLElement;
  readonly #start: HTMLElement;
  #generation = 0;
  #layout: Layout | null = null;
  /** Bytes of the heap itself, gaps between segments left out (`Totals.extent`, from Rust). */
  #extent = 0;
  #geometry: Geometry | null = null;
  #fit = false;
  #zoom = 2;
  #width = 800;
  #height = 480;
  #scrollTop = 0;
  #rows: Rows = READABLE_ROWS;
  #selected = -1;
  #pending = 0;
  /** The layout drawn before the last update: blocks not in it are new, and flash once. */
  #previous: Layout | null = null;
  #flashNew = false;
  /** Pointer names by data address, from the timeline. */
  #names: ReadonlyMap<number, PointerName[]> = new Map();
  /**
   * Names that point into a block rather than at its data (`{a + 16}`, or what malloc handed out
   * from a broken list), by the data address of the block they point into, with how far in.
   */
  #inside = new Map<number, { name: string; offset: number; dangling: boolean }[]>();
  /** Damaged headers: their broken fields and what the check said, by header address. */
  #damaged = new Map<number, { fields: string[]; message: string }>();
  /** Leaked blocks, by data address (only at the end of a scenario). */
  #leaked: ReadonlySet<number> = new Set();
  /** Counts updates: each block reads its bytes again once after one. */
  #updates = 0;
  readonly #read: ((address: number, length: number) => Uint8Array) | null;
  /** Where broken `next` pointers and sizes point: drawn over the blocks, clipped to the drawing. */
  readonly #broken: SVGSVGElement;
  readonly #moved = new Set<() => void>();
  readonly #maxHeight: () => number;
  readonly #minHeight: number;

  constructor(viewport: HTMLElement, events: DiagramEvents, options: DiagramOptions = {}) {
    this.viewport = viewport;
    this.#events = events;
    this.#maxHeight = options.maxHeight ?? maxHeight;
    this.#minHeight = options.minHeight ?? 240;
    this.#read = options.read ?? null;
    this.#plane = document.createElement("div");
    this.#plane.className = "plane";
    this.#broken = document.createElementNS(SVG_NS, "svg");
    this.#broken.setAttribute("class", "broken-arrows");
    this.#broken.setAttribute("aria-hidden", "true");
    const defs = document.createElementNS(SVG_NS, "svg");
    defs.setAttribute("width", "0");
    defs.setAttribute("height", "0");
    defs.setAttribute("aria-hidden", "true");
    defs.setAttribute("style", "position: absolute");
    defs.innerHTML = ARROWHEAD;
    viewport.append(defs, this.#plane);

    this.#brk = document.createElement("div");
    this.#brk.className = "marker brk";
    this.#brk.innerHTML = `<span class="marker-line"></span><span class="marker-label"><b>brk</b> = sbrk(0) <code></code></span>`;
    this.#start = document.createElement("div");
    this.#start.className = "marker start";
    this.#start.innerHTML = `<span class="marker-line"></span><span class="marker-label"><b>heap start</b> <code></code></span>`;
    this.#plane.append(this.#start, this.#brk, this.#broken);

    this.#measure();
    new ResizeObserver(() => {
      const before = this.#width;
      this.#measure();
      if (this.#layout && (this.#width !== before || this.#fit)) this.#relayout();
      else this.#paint();
    }).observe(viewport);
    viewport.addEventListener(
      "scroll",
      () => {
        this.#scrollTop = viewport.scrollTop;
        if (!this.#pending) {
          this.#pending = requestAnimationFrame(() => {
            this.#pending = 0;
            this.#paint();
          });
        }
        this.#notifyMoved();
      },
      { passive: true },
    );
    const free = (el: HTMLElement): void => {
      this.#events.run({ op: "free", address: Number(el.dataset.address) });
    };
    this.#plane.addEventListener("click", (e) => {
      const el = (e.target as Element).closest<HTMLElement>(".block");
      if (el) free(el);
    });
    this.#plane.addEventListener("keydown", (e) => {
      const el = (e.target as Element).closest<HTMLElement>(".block");
      if (!el) return;
      if (e.key === "Enter" || e.key === "Delete" || e.key === "Backspace" || e.key === " ") {
        e.preventDefault();
        free(el);
      } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        const sibling = this.#neighbour(Number(el.dataset.header), e.key === "ArrowRight" ? 1 : -1);
        sibling?.focus();
      }
    });
    const inspect = (e: Event): void => {
      const el = (e.target as Element).closest<HTMLElement>(".block");
      if (el) this.#events.inspect(Number(el.dataset.address));
    };
    this.#plane.addEventListener("focusin", inspect);
    this.#plane.addEventListener("pointerover", inspect);
  }

  /** The layout drawn last. */
  get layout(): Layout | null {
    return this.#layout;
  }

  /** How the diagram is drawn now: its scale (pixels per byte, narrowest parts, row width) and whether it fits the whole heap. */
  get scale(): { fit: boolean; zoom: number; minHeader: number; minData: number; width: number } {
    const s = this.#layout ? this.#scaleNow() : { ...READABLE, zoom: this.#zoom, width: this.#width };
    return { fit: this.#fit, zoom: s.zoom, minHeader: s.minHeader, minData: s.minData, width: this.#width };
  }

  /** Draws the view's layout, which replaces the one drawn before, with its names and selection. */
  update(view: View): void {
    this.#names = view.names;
    this.#inside = insideNames(view.layout, view.names);
    this.#damaged = new Map(view.damage.blocks.map((b) => [b.header, { fields: b.fields, message: b.message }]));
    this.#leaked = view.leaked;
    this.#updates++;
    this.#previous = this.#layout;
    this.#layout = view.layout;
    this.#extent = view.totals.extent;
    this.#flashNew = true;
    this.#relayout();
    this.#flashNew = false;
    this.select(view);
  }

  /** Toggles between readable blocks (with a minimum width) and fitting the whole heap. */
  setFit(fit: boolean): void {
    this.#fit = fit;
    this.#rows = fit ? COMPACT_ROWS : READABLE_ROWS;
    this.viewport.classList.toggle("fit", fit);
    this.#relayout();
    this.#notifyMoved();
  }

  /** Pixels per byte in the readable view. */
  setZoom(zoom: number): void {
    this.#zoom = zoom;
    if (!this.#fit) this.#relayout();
    this.#notifyMoved();
  }

  onMove(listener: () => void): void {
    this.#moved.add(listener);
  }

  #notifyMoved(): void {
    for (const listener of this.#moved) listener();
  }

  /** Marks the block whose data starts at `view.selected` as the one inspected (-1: none). */
  select(view: View): void {
    const address = view.selected;
    if (address === this.#selected) return;
    this.#selected = address;
    for (const v of this.#blocks.values()) v.el.classList.toggle("selected", v.data === address);
  }

  /** Scrolls so that the block containing `address` (or nearest above it) is in view. */
  reveal(address: number): void {
    const layout = this.#layout;
    const geometry = this.#geometry;
    if (!layout || !geometry || geometry.count === 0) return;
    let i = 0;
    while (i + 1 < layout.count && layout.table[(i + 1) * layout.stride + FIELD.header]! <= address) i++;
    const y = geometry.row[i]! * rowHeight(this.#rows);
    this.viewport.scrollTop = Math.max(0, y - this.#height / 3);
    this.#scrollTop = this.viewport.scrollTop;
    this.#paint();
    this.#notifyMoved();
  }

  /** The address range of the rows in view, for the overview's window. */
  visibleRange(): { from: number; to: number } | null {
    const layout = this.#layout;
    const geometry = this.#geometry;
    if (!layout || !geometry || geometry.count === 0) return null;
    const rh = rowHeight(this.#rows);
    const r0 = Math.floor(this.#scrollTop / rh);
    const r1 = Math.floor((this.#scrollTop + this.#height) / rh);
    const a = Math.min(firstOnRow(geometry, r0), geometry.count - 1);
    const b = Math.max(firstOnRow(geometry, r1 + 1) - 1, a);
    const t = layout.table;
    const s = layout.stride;
    return { from: t[a * s + FIELD.header]!, to: blockEnd(layout, b) };
  }

  #measure(): void {
    const style = getComputedStyle(this.viewport);
    const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    this.#width = Math.max(160, this.viewport.clientWidth - pad - 2);
    this.#height = Math.max(100, this.viewport.clientHeight);
  }

  #scaleNow(): Scale {
    if (this.#fit) {
      const rows = Math.max(1, Math.floor(this.#maxHeight() / rowHeight(this.#rows)) - 1);
      // Bytes of the heap itself: gaps between segments are drawn at a fixed width.
      const room = this.#width * rows - COMPACT.tailWidth - COMPACT.gapWidth * Math.min(rows, 8);
      return { ...COMPACT, zoom: fitZoom(Math.max(1, this.#extent), Math.max(1, room), 1), width: this.#width };
    }
    return { ...READABLE, zoom: this.#zoom, width: this.#width };
  }

  #relayout(): void {
    if (!this.#layout) return;
    this.#geometry = layOut(this.#layout, this.#scaleNow());
    const content = this.#geometry.rows * rowHeight(this.#rows);
    this.#plane.style.height = `${content}px`;
    // (The width is not known while the diagram is not laid out: hidden, say.)
    if (Number.isFinite(this.#width)) this.#broken.setAttribute("width", String(this.#width));
    this.#broken.setAttribute("height", String(content));
    // The viewport grows with the heap up to most of the window, then scrolls.
    const height = `${Math.round(Math.min(Math.max(Math.min(this.#minHeight, this.#maxHeight()), content + 24), this.#maxHeight()))}px`;
    if (this.viewport.style.height !== height) this.viewport.style.height = height;
    this.#paint();
  }

  /** Writes the rows in view to the DOM, touching only what changed. */
  #paint(): void {
    const layout = this.#layout;
    const g = this.#geometry;
    if (!layout || !g) return;
    const gen = ++this.#generation;
    const rh = rowHeight(this.#rows);
    const r0 = Math.max(0, Math.floor(this.#scrollTop / rh) - 2);
    const r1 = Math.floor((this.#scrollTop + this.#height) / rh) + 2;
    const t = layout.table;
    const s = layout.stride;
    const previous = this.#flashNew ? this.#previous : null;

    for (let i = firstOnRow(g, r0); i < g.count && g.row[i]! <= r1; i++) {
      const o = i * s;
      const header = t[o + FIELD.header]!;
      let v = this.#blocks.get(header);
      const fresh = !v;
      if (!v) {
        v = this.#createBlock(header);
        this.#blocks.set(header, v);
      }
      v.seen = gen;
      this.#writeBlock(v, layout, g, i, rh);
      if (fresh && previous && previous.count > 0 && !hasHeader(previous, header)) appear(v.el);
    }
    for (const [header, v] of this.#blocks) {
      if (v.seen !== gen) {
        // A block the operation removed (merged into a neighbour, given back) fades out; one
        // merely scrolled out of view just goes.
        if (previous && !hasHeader(layout, header)) vanish(v.el);
        else v.el.remove();
        this.#blocks.delete(header);
      }
    }

    this.#paintMarkers(layout, g, rh, r0, r1);
  }

  /**
   * Marks a damaged header (`data-corrupt`: its broken fields) and a leaked block
   * (`data-leaked`), with what the check said in the block's title and description.
   */
  #writeStatus(v: BlockView, header: number, data: number, flags: number): void {
    const damage = this.#damaged.get(header);
    const corrupt = damage ? damage.fields.join(" ") || "header" : (flags & FLAG.damaged) !== 0 ? "header" : "";
    const leaked = this.#leaked.has(data);
    const status = `${corrupt}|${leaked}`;
    if (status === v.status) return;
    v.status = status;
    const el = v.el;
    el.classList.toggle("corrupt", corrupt !== "");
    el.classList.toggle("leaked", leaked);
    if (corrupt) el.dataset.corrupt = corrupt;
    else delete el.dataset.corrupt;
    if (leaked) el.dataset.leaked = "true";
    else delete el.dataset.leaked;
    (el.querySelector(".hdr-label") as HTMLElement).textContent = corrupt ? "hdr ⚠" : "hdr";
    const notes = [
      corrupt ? `Damaged header (${corrupt}): ${damage?.message ?? "its bytes were written over"}` : "",
      leaked ? "Leaked: no pointer the program still holds refers to this block, so it can never be freed." : "",
    ].filter(Boolean);
    if (notes.length) el.setAttribute("aria-description", notes.join(" "));
    else el.removeAttribute("aria-description");
    const base = el.title.split("\n⚠ ")[0]!;
    el.title = notes.length ? `${base}\n⚠ ${notes.join(" ")}` : base;
  }

  /**
   * Broken `next` pointers and sizes of the rows in view, drawn to where they point: into a
   * block when the address is one of the heap's, else to a marker with the address, at the end
   * of the row (outside the heap, or past the break). Clipped to the drawing.
   */
  #paintBroken(layout: Layout, g: Geometry, rh: number, r0: number, r1: number, used: Set<string>): void {
    const t = layout.table;
    const s = layout.stride;
    const rows = this.#rows;
    const paths: string[] = [];
    if (FLAG.brokenNext | FLAG.brokenSize) {
      for (let i = firstOnRow(g, r0); i < g.count && g.row[i]! <= r1; i++) {
        const o = i * s;
        const flags = t[o + FIELD.flags]!;
        const broken: ["next" | "size", number][] = [];
        if (flags & FLAG.brokenNext) broken.push(["next", t[o + FIELD.next]!]);
        if (flags & FLAG.brokenSize) broken.push(["size", t[o + FIELD.data]! + t[o + FIELD.size]!]);
        for (const [kind, target] of broken) {
          const header = t[o + FIELD.header]!;
          const top = g.row[i]! * rh;
          // From the header's top (next), or from the data's bottom edge (size).
          const x0 = kind === "next" ? g.x[i]! + Math.min(g.hw[i]! / 2, 20) : g.x[i]! + g.hw[i]!;
          const y0 = kind === "next" ? top + rows.arrow : top + rows.arrow + rows.block;
          const at = this.#pointAt(layout, g, rh, target, kind);
          let x1: number;
          let y1: number;
          let elbow = false;
          if (at) {
            [x1, y1] = at;
          } else {
            const key = `off:${kind}:${header}`;
            used.add(key);
            const el = this.#extra(key, "offheap", () => `<span class="offheap-addr"></span><span class="offheap-where"></span>`);
            const where = target >= layout.brk && target < layout.limit ? "past the break" : target < layout.heapStart || target >= layout.brk ? "outside the heap" : "between blocks";
            const width = 150;
            const left = Math.max(0, this.#width - width);
            const y = kind === "next" ? top : top + rows.arrow + rows.block + 2;
            place(el, `${left}px`, `${y}px`);
            setText(el.querySelector(".offheap-addr")!, `${kind === "next" ? "next" : "end"} → ${hex(target)}`);
            setText(el.querySelector(".offheap-where")!, where);
            el.dataset.offheap = String(target);
            el.dataset.kind = kind;
            el.dataset.from = String(header);
            el.classList.toggle("below", kind === "size");
            el.title =
              kind === "next"
                ? `The header at ${hex(header)} now says next = ${hex(target)}: ${where}. A walk along the chain would follow it there.`
                : `The header at ${hex(header)} now says its data is ${t[o + FIELD.size]!} bytes long, which would end at ${hex(target)}: ${where}.`;
            x1 = left;
            y1 = y + 9;
            elbow = true;
          }
          // To a marker in the lane: up (or down) to it, then along, staying inside the drawing.
          const dir = y1 < y0 ? -1 : 1;
          paths.push(
            elbow
              ? `M${x0} ${y0} V${y1 - dir * 5} Q${x0} ${y1} ${x0 + 5} ${y1} H${x1 - 2}`
              : brokenPath(x0, y0, x1, y1, kind === "next" ? -1 : 1, rows.arrow - 4),
          );
        }
      }
    }
    const markup = paths.map((d) => `<path d="${d}" marker-end="url(#arrowhead-broken)"></path>`).join("");
    if (this.#broken.dataset.paths !== markup) {
      this.#broken.innerHTML = markup;
      this.#broken.dataset.paths = markup;
    }
  }

  /**
   * Where `address` is drawn, if a block (or the break) is there: on the top edge of the block
   * for a `next`, the bottom edge for a size's end. `null` when no block holds it.
   */
  #pointAt(layout: Layout, g: Geometry, rh: number, address: number, kind: "next" | "size"): [number, number] | null {
    if (address === layout.brk) return [g.brk.x, g.brk.row * rh + this.#rows.arrow + (kind === "next" ? 0 : this.#rows.block)];
    if (address < layout.heapStart || address > layout.brk) return null;
    const t = layout.table;
    const s = layout.stride;
    let lo = 0;
    let hi = layout.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid * s + FIELD.header]! <= address) lo = mid + 1;
      else hi = mid;
    }
    const j = lo - 1;
    if (j < 0) return null;
    const header = t[j * s + FIELD.header]!;
    const data = t[j * s + FIELD.data]!;
    const end = blockEnd(layout, j);
    if (address >= end) return null;
    const hw = g.hw[j]!;
    const dw = g.w[j]! - hw;
    const x = g.x[j]! + (address < data ? ((address - header) / Math.max(1, data - header)) * hw : hw + ((address - data) / Math.max(1, end - data)) * dw);
    return [x, g.row[j]! * rh + this.#rows.arrow + (kind === "next" ? 0 : this.#rows.block)];
  }

  #createBlock(header: number): BlockView {
    const el = document.createElement("div");
    el.className = "block";
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.dataset.header = String(header);
    // The spaces between the parts are not drawn (they sit between flex items), but they keep
    // the block's text "hdr 8 B used 16 B …" rather than "hdr8 Bused16 B…" (see blockLabel).
    el.innerHTML =
      `<div class="hdr"><span class="hdr-label">hdr</span> <span class="hdr-bytes"></span></div> ` +
      `<div class="dat"><span class="dat-kind"></span> <span class="dat-size"></span> <code class="dat-text"></code> <code class="dat-addr"></code></div> ` +
      `<span class="null-tag">null</span> <span class="names" hidden></span>`;
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "next-arrow");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("class", "out");
    const inPath = document.createElementNS(SVG_NS, "path");
    inPath.setAttribute("class", "in");
    svg.append(path, inPath);
    el.append(svg);
    this.#plane.append(el);
    return {
      el,
      size: el.querySelector(".dat-size")!,
      addr: el.querySelector(".dat-addr")!,
      kind: el.querySelector(".dat-kind")!,
      nullTag: el.querySelector(".null-tag")!,
      names: el.querySelector(".names")!,
      namesKey: "",
      text: el.querySelector(".dat-text")!,
      bytesSeen: -1,
      status: "",
      path,
      inPath,
      svg,
      seen: 0,
      x: NaN,
      y: NaN,
      w: NaN,
      hw: NaN,
      data: -1,
      dataSize: -1,
      free: false,
      arrow: "",
      clipped: false,
      narrow: -1,
    };
  }

  #writeBlock(v: BlockView, layout: Layout, g: Geometry, i: number, rh: number): void {
    const t = layout.table;
    const o = i * layout.stride;
    const header = t[o + FIELD.header]!;
    const data = t[o + FIELD.data]!;
    const size = t[o + FIELD.size]!;
    const flags = t[o + FIELD.flags]!;
    const free = (flags & FLAG_FREE) !== 0;
    const next = t[o + FIELD.next]!;
    const brokenNext = (flags & FLAG.brokenNext) !== 0;
    const brokenSize = (flags & FLAG.brokenSize) !== 0;
    const derived = (flags & FLAG.derivedNext) !== 0;
    const x = g.x[i]!;
    const y = g.row[i]! * rh + this.#rows.arrow;
    const w = g.w[i]!;
    const hw = g.hw[i]!;
    const el = v.el;

    if (x !== v.x || y !== v.y) {
      el.style.left = `${x}px`;
      el.style.top = `${y}px`;
      v.x = x;
      v.y = y;
    }
    if (w !== v.w || hw !== v.hw) {
      el.style.width = `${w}px`;
      el.style.setProperty("--hw", `${hw}px`);
      v.w = w;
      v.hw = hw;
    }
    const narrow = (w - hw < 78 ? 1 : 0) | (hw < 30 ? 2 : 0) | (w - hw < 22 ? 4 : 0);
    if (narrow !== v.narrow) {
      el.classList.toggle("narrow", (narrow & 1) !== 0);
      el.classList.toggle("no-hdr-label", (narrow & 2) !== 0);
      el.classList.toggle("tiny", (narrow & 4) !== 0);
      v.narrow = narrow;
    }
    const clipped = g.clipped[i] === 1;
    if (clipped !== v.clipped) {
      el.classList.toggle("clipped", clipped);
      v.clipped = clipped;
    }
    const names = this.#names.get(data);
    const inside = this.#inside.get(data);
    const namesKey =
      (names ? names.map((n) => (n.dangling ? `~${n.name}` : n.name)).join(" ") : "") +
      (inside ? `|${inside.map((n) => `${n.name}+${n.offset}`).join(" ")}` : "");
    const namesChanged = namesKey !== v.namesKey;
    if (namesChanged) {
      v.namesKey = namesKey;
      if (names) el.dataset.names = names.map((n) => n.name).join(" ");
      else delete el.dataset.names;
      if (inside) el.dataset.inside = inside.map((n) => `${n.name}+${n.offset}`).join(" ");
      else delete el.dataset.inside;
      const tags = [
        ...(names ?? []).map((n) => {
          const tag = document.createElement("span");
          tag.className = n.dangling ? "name dangling" : "name";
          tag.textContent = n.name;
          tag.title = n.dangling
            ? `${n.name} still holds ${hex(data)}, but the block it was given has been freed (or moved): a dangling pointer`
            : `${n.name} = ${hex(data)}`;
          return tag;
        }),
        ...(inside ?? []).map((n) => {
          const tag = document.createElement("span");
          tag.className = n.dangling ? "name inside dangling" : "name inside";
          tag.textContent = `${n.name} → +${n.offset}`;
          tag.title = `${n.name} = ${hex(data + n.offset)}: ${n.offset} bytes into this block's data, not an address malloc returned for it`;
          return tag;
        }),
      ];
      // Spaces between the tags keep the block's text "a b", not "ab" (see blockLabel).
      v.names.replaceChildren(...tags.flatMap((tag, k) => (k > 0 ? [" ", tag] : [tag])));
      v.names.hidden = tags.length === 0;
    }
    if (data !== v.data || size !== v.dataSize || free !== v.free || namesChanged) {
      const changed = v.data !== -1 && (data !== v.data || size !== v.dataSize || free !== v.free);
      el.dataset.address = String(data);
      el.dataset.size = String(size);
      el.dataset.free = String(free);
      el.classList.toggle("free", free);
      el.classList.toggle("used", !free);
      el.classList.toggle("selected", data === this.#selected);
      v.kind.textContent = free ? "free" : "used";
      v.size.textContent = brokenSize ? `size ${hex(size)}?` : shortBytes(size);
      v.addr.textContent = hex(data);
      (el.querySelector(".hdr-bytes") as HTMLElement).textContent = `${data - header} B`;
      el.title = `${free ? "free" : "used"} · ${bytesText(size)} at ${hex(data)} · header at ${hex(header)}` +
        (free ? "" : "\nclick to free");
      if (changed) flash(el);
      v.data = data;
      v.dataSize = size;
      v.free = free;
      v.status = "";
    }
    this.#writeStatus(v, header, data, flags);
    if (v.bytesSeen !== this.#updates && this.#read && !this.#fit) {
      v.bytesSeen = this.#updates;
      const shown = Math.min(blockEnd(layout, i) - data, DATA_SHOWN);
      const raw = this.#read(data, Math.max(0, shown));
      setText(v.text, dataText(raw) + (blockEnd(layout, i) - data > shown ? " …" : ""));
    }
    const drawnLab = { size: v.size.textContent ?? "", bytes: v.text.textContent ?? "", inside: inside?.map((n) => `${n.name} → +${n.offset}`) ?? [] };
    const label = blockLabel(header, data, size, free, names, narrow, next === 0, derived ? next : null, this.#fit, drawnLab);
    if (el.getAttribute("aria-label") !== label) el.setAttribute("aria-label", label);

    // The `next` arrow: to the following header when it sits right after this block on the same
    // row; to the right edge when it continues on another row or across a gap; `null` at the end.
    // A derived link is drawn dotted, with an open head.
    let arrow: string;
    const following = i + 1 < g.count ? t[(i + 1) * layout.stride + FIELD.header]! : -1;
    const arrowIn = g.arrowIn[i] === 1;
    if (brokenNext) arrow = `broken|${hw}|${arrowIn}`;
    else if (next === 0) arrow = `null|${hw}|${arrowIn}`;
    else if (next === following && g.row[i + 1] === g.row[i] && g.arrowIn[i + 1] === 0)
      arrow = `to|${hw}|${w + g.hw[i + 1]! / 2}|${arrowIn}`;
    else arrow = `on|${hw}|${w}|${arrowIn}`;
    arrow += derived ? "|derived" : "";
    if (arrow !== v.arrow) {
      this.#writeArrow(v, arrow, next, hw, w, arrowIn, derived);
      v.arrow = arrow;
    }
  }

  #writeArrow(v: BlockView, kind: string, next: number, hw: number, w: number, arrowIn: boolean, derived: boolean): void {
    const lane = this.#rows.arrow;
    const compact = this.#fit;
    const hx = Math.min(hw / 2, 20);
    const left = 14;
    let tx: number;
    let d: string;
    const top = compact ? 3 : 9;
    if (kind.startsWith("broken")) {
      // A `next` written over: drawn to where it points (see #paintBroken), not as a link.
      tx = hx;
      d = "";
      v.el.classList.remove("last");
    } else if (kind.startsWith("null")) {
      tx = hx + 22;
      const x0 = hx + left + 3;
      d = `M${x0} ${lane} V${top + 4} Q${x0} ${top} ${x0 + 4} ${top} H${tx + left}`;
      v.el.classList.add("last");
    } else {
      v.el.classList.remove("last");
      const target = kind.startsWith("to") ? Number(kind.split("|")[2]) : w + 10;
      tx = target;
      // A hump from just right of this header's centre to just left of the next one's, so
      // that consecutive arrows read as separate pointers, not one line.
      const x0 = hx + left + 3;
      const x1 = tx + left - 3;
      const rise = Math.min(lane - top, Math.max(10, (x1 - x0) / 3));
      d = kind.startsWith("to")
        ? `M${x0} ${lane} C${x0} ${lane - rise} ${x1} ${lane - rise} ${x1} ${lane - 1}`
        : `M${x0} ${lane} C${x0} ${top} ${x0 + 6} ${top} ${x0 + 12} ${top} H${tx + left}`;
    }
    const head = derived ? "url(#arrowhead-open)" : "url(#arrowhead)";
    v.path.setAttribute("d", d);
    v.path.setAttribute("marker-end", kind.startsWith("null") || kind.startsWith("broken") ? "" : head);
    const xin = hx + left - 3;
    v.inPath.setAttribute("d", arrowIn ? `M0 ${top} H${xin - 4} Q${xin} ${top} ${xin} ${top + 4} V${lane - 1}` : "");
    v.inPath.setAttribute("marker-end", arrowIn ? head : "");
    v.svg.classList.toggle("derived", derived);
    if (derived) v.svg.dataset.derived = "true";
    else delete v.svg.dataset.derived;
    const width = Math.max(tx, hx) + left + 8;
    v.svg.setAttribute("width", String(width));
    v.svg.setAttribute("height", String(lane));
    v.svg.setAttribute("viewBox", `0 0 ${width} ${lane}`);
    v.svg.style.left = `${-left}px`;
    v.svg.style.top = `${-lane}px`;
    v.nullTag.style.left = `${tx + 2}px`;
    v.el.dataset.next = String(next);
  }

  /** Markers, gaps between segments, the spare tail, page boundaries and broken pointers in view. */
  #paintMarkers(layout: Layout, g: Geometry, rh: number, r0: number, r1: number): void {
    const used = new Set<string>();
    const rows = this.#rows;
    this.#paintBroken(layout, g, rh, r0, r1, used);

    // Heap start and the break are always drawn, wherever they are.
    place(this.#start, `0px`, `${rows.arrow}px`);
    setStyle(this.#start, "--h", `${rows.block}px`);
    setText(this.#start.querySelector("code")!, hex(layout.heapStart));
    if (this.#start.hidden !== (g.count === 0)) this.#start.hidden = g.count === 0;
    place(this.#brk, `${g.brk.x}px`, `${g.brk.row * rh + rows.arrow}px`);
    setStyle(this.#brk, "--h", `${rows.block}px`);
    setText(this.#brk.querySelector("code")!, hex(layout.brk));
    if (this.#brk.dataset.brk !== String(layout.brk)) this.#brk.dataset.brk = String(layout.brk);
    this.#brk.classList.toggle("alone", g.count === 0);
    // The break's label starts at the break, or as far left of it as it takes to end inside the
    // right edge (never past the left one); on the first row, the heap start's label gives way
    // where the two would meet.
    const shift = Math.max(-g.brk.x, Math.min(-4, this.#width - LABEL_WIDTH.brk - g.brk.x));
    setStyle(this.#brk, "--label-left", `${shift}px`);
    const from = g.brk.x + shift;
    this.#start.classList.toggle("no-address", g.brk.row === 0 && from < LABEL_WIDTH.start);
    this.#start.classList.toggle("no-label", g.brk.row === 0 && from < LABEL_WIDTH.startWords);

    for (const gap of g.gaps) {
      if (gap.row < r0 || gap.row > r1) continue;
      const key = `gap:${gap.to}`;
      used.add(key);
      const el = this.#extra(key, "gap", () =>
        `<span class="gap-label">not this heap's</span><code></code><svg class="next-arrow" aria-hidden="true"><path class="out" marker-end="url(#arrowhead)"></path></svg>`);
      place(el, `${gap.x}px`, `${gap.row * rh + rows.arrow}px`);
      setStyle(el, "width", `${gap.w}px`);
      setText(el.querySelector("code")!, `${shortBytes(gap.to - gap.from)} gap`);
      el.title = `${hex(gap.from)} – ${hex(gap.to)}: memory grown by someone else (Rust's own allocator, for example). The next segment of the heap starts at ${hex(gap.to)}.`;
      const svg = el.querySelector("svg")!;
      // The link across the gap is the `next` of the block before it: derived (from the
      // segment table) when the heap stores none.
      const derived = gap.before > 0 && (layout.table[(gap.before - 1) * layout.stride + FIELD.flags]! & FLAG.derivedNext) !== 0;
      svg.classList.toggle("derived", derived);
      if (derived) svg.dataset.derived = "true";
      else delete svg.dataset.derived;
      svg.querySelector("path")!.setAttribute("marker-end", derived ? "url(#arrowhead-open)" : "url(#arrowhead)");
      svg.setAttribute("width", String(gap.w + 28));
      svg.setAttribute("height", String(rows.arrow));
      svg.style.top = `${-rows.arrow}px`;
      svg.style.left = `-14px`;
      const top = this.#fit ? 3 : 9;
      svg.querySelector("path")!.setAttribute("d", `M0 ${top} H${gap.w + 24}`);
    }

    if (g.tail && g.tail.row >= r0 && g.tail.row <= r1) {
      used.add("tail");
      const tail = g.tail;
      const el = this.#extra("tail", "tail", () =>
        `<span class="tail-label"></span><span class="tail-sub"></span><span class="limit-label"></span>`);
      place(el, `${tail.x}px`, `${tail.row * rh + rows.arrow}px`);
      setStyle(el, "width", `${tail.w}px`);
      setText(el.querySelector(".tail-label")!, `${shortBytes(tail.to - tail.from)} spare`);
      setText(el.querySelector(".tail-sub")!, `${layout.pagesGrown} × ${pageSize()} grown`);
      setText(el.querySelector(".limit-label")!, `end of pages ${hex(tail.to)}`);
      const title =
        `${bytesText(tail.to - tail.from)} between the break and the end of the pages grown so far ` +
        `(${hex(tail.to)}): the break can rise this far without memory.grow.`;
      if (el.title !== title) el.title = title;
    }

    // Page boundaries that fall inside the blocks in view (not at the heap's start).
    const pageBytes = CONSTANTS.pageSize;
    const t = layout.table;
    const s = layout.stride;
    for (let i = firstOnRow(g, r0); i < g.count && g.row[i]! <= r1; i++) {
      const o = i * s;
      const header = t[o + FIELD.header]!;
      const data = t[o + FIELD.data]!;
      const end = blockEnd(layout, i);
      let p = Math.ceil(header / pageBytes) * pageBytes;
      if (p === header && (i === 0 || g.arrowIn[i] === 1 && g.gaps.some((q) => q.before === i))) p += pageBytes;
      for (; p < end; p += pageBytes) {
        const hw = g.hw[i]!;
        const dw = g.w[i]! - hw;
        const x = g.x[i]! + (p < data ? ((p - header) / (data - header)) * hw : hw + ((p - data) / (end - data)) * dw);
        const key = `page:${p}`;
        used.add(key);
        const el = this.#extra(key, "page-mark", () => `<span class="page-line"></span><span class="page-label"></span>`);
        place(el, `${x}px`, `${g.row[i]! * rh + rows.arrow}px`);
        setStyle(el, "--h", `${rows.block}px`);
        setText(el.querySelector(".page-label")!, `page ${p / pageBytes}`);
        el.title = `${hex(p)}: a ${pageSize()} page boundary (page ${p / pageBytes} of linear memory starts here)`;
        if (this.#extras.size > 4000) break;
      }
    }

    for (const [key, el] of this.#extras) {
      if (!used.has(key)) {
        el.remove();
        this.#extras.delete(key);
      }
    }
  }

  #extra(key: string, className: string, html: () => string): HTMLElement {
    let el = this.#extras.get(key);
    if (!el) {
      el = document.createElement("div");
      el.className = className;
      el.innerHTML = html();
      this.#plane.append(el);
      this.#extras.set(key, el);
    }
    return el;
  }

  #neighbour(header: number, step: number): HTMLElement | undefined {
    const layout = this.#layout;
    if (!layout) return undefined;
    for (let i = 0; i < layout.count; i++) {
      if (layout.table[i * layout.stride + FIELD.header] === header) {
        const j = i + step;
        if (j < 0 || j >= layout.count) return undefined;
        const h = layout.table[j * layout.stride + FIELD.header]!;
        if (!this.#blocks.has(h)) this.reveal(h);
        return this.#blocks.get(h)?.el;
      }
    }
    return undefined;
  }
}

/**
 * A block's accessible name: what the block is and what Enter does, then the words drawn on it,
 * in the order they are drawn, so that the name contains the visible text (WCAG 2.5.3, label in
 * name). `narrow` holds #writeBlock's bits: 1 hides the kind and the address, 2 the header's
 * words, 4 all of the data's; `last` shows the `null` tag; `derived` is the block's `next` when
 * the heap derived it (said, since the dotted link has no words); the fitted view draws no words.
 */
function blockLabel(
  header: number,
  data: number,
  size: number,
  free: boolean,
  names: PointerName[] | undefined,
  narrow: number,
  last: boolean,
  derived: number | null,
  fit: boolean,
  lab: { size: string; bytes: string; inside: string[] } = { size: shortBytes(size), bytes: "", inside: [] },
): string {
  const named = names ? ` Named ${names.map((n) => (n.dangling ? `${n.name} (dangling)` : n.name)).join(", ")}.` : "";
  const link = derived === null ? "" : ` Its next is derived, not stored: ${derivedNext(header, data, size, derived)}.`;
  const said =
    `${free ? "Free" : "Used"} block at ${hex(data)}, ${bytesText(size)} of data after a ${data - header}-byte header.${link}${named} ` +
    (free ? "Already free." : "Press Enter to free it.");
  if (fit) return said;
  const drawn: string[] = [];
  if ((narrow & 2) === 0) drawn.push(`hdr ${data - header} B`);
  // The misuse lab's words: the size as the header says it, the data's first bytes, names inside.
  const bytes = lab.bytes ? ` ${lab.bytes}` : "";
  if ((narrow & 4) === 0) drawn.push((narrow & 1) === 0 ? `${free ? "free" : "used"} ${lab.size}${bytes} ${hex(data)}` : `${lab.size}${bytes}`);
  if (last) drawn.push("null");
  if (names || lab.inside.length) drawn.push([...(names ?? []).map((n) => n.name), ...lab.inside].join(" "));
  return `${said} Drawn as: ${drawn.join(", ")}.`;
}

/** Whether `layout` has a block with this header (blocks are in address order: binary search). */
function hasHeader(layout: Layout, header: number): boolean {
  let lo = 0;
  let hi = layout.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const h = layout.table[mid * layout.stride + FIELD.header]!;
    if (h === header) return true;
    if (h < header) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** The tallest the diagram's viewport gets before it scrolls. */
function maxHeight(): number {
  return Math.min(640, innerHeight * 0.62);
}

const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

/** Sets an element's text only when it differs (an unchanged write still costs a relayout). */
function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Positions an absolutely positioned element (left/top, not a transform: a transform would
 * make every block a stacking context of its own, which costs compositing time). */
function place(el: HTMLElement, left: string, top: string): void {
  setStyle(el, "left", left);
  setStyle(el, "top", top);
}

/** Sets an inline style property only when it differs. */
function setStyle(el: HTMLElement | SVGElement, property: string, value: string): void {
  if (el.style.getPropertyValue(property) !== value) el.style.setProperty(property, value);
}

/** Whether blocks may move: not when the reader asked for reduced motion. */
function animated(el: HTMLElement): boolean {
  return typeof el.animate === "function" && !reducedMotion.matches;
}

/** Briefly highlights an element that the last operation changed. */
function flash(el: HTMLElement): void {
  if (!animated(el)) return;
  el.animate(
    [{ boxShadow: "0 0 0 4px rgba(0, 158, 115, 0.55)" }, { boxShadow: "0 0 0 0 rgba(0, 158, 115, 0)" }],
    { duration: 900, easing: "ease-out" },
  );
}

/** A block the last operation created grows in from its left edge (where its header is). */
function appear(el: HTMLElement): void {
  if (!animated(el)) return;
  el.animate(
    [
      { transform: "scaleX(0.2)", opacity: 0.2, boxShadow: "0 0 0 4px rgba(0, 158, 115, 0.55)" },
      { transform: "scaleX(1)", opacity: 1, boxShadow: "0 0 0 4px rgba(0, 158, 115, 0.4)", offset: 0.4 },
      { transform: "scaleX(1)", opacity: 1, boxShadow: "0 0 0 0 rgba(0, 158, 115, 0)" },
    ],
    { duration: 700, easing: "ease-out" },
  );
}

/**
 * A block the last operation removed fades out where it was, as a copy without the block's
 * class, data or focus, so that nothing reads it as part of the heap while it goes.
 */
function vanish(el: HTMLElement): void {
  if (!animated(el)) {
    el.remove();
    return;
  }
  el.className = "ghost " + el.className.replace(/\bblock\b/, "").trim();
  el.removeAttribute("tabindex");
  el.removeAttribute("role");
  el.removeAttribute("aria-label");
  el.setAttribute("aria-hidden", "true");
  for (const key of Object.keys(el.dataset)) delete el.dataset[key];
  el.animate([{ opacity: 1 }, { opacity: 0, transform: "scaleY(0.6)" }], { duration: 260, easing: "ease-in" }).finished.then(
    () => el.remove(),
    () => el.remove(),
  );
}

/**
 * A path from a header (or a data area's edge) to where its broken pointer points: out into
 * the lane above (`dir` -1) or below (+1) the blocks, along it, and onto the target; a small
 * loop when it points at itself.
 */
function brokenPath(x0: number, y0: number, x1: number, y1: number, dir: number, lane: number): string {
  if (Math.abs(x1 - x0) < 2 && Math.abs(y1 - y0) < 2) {
    return `M${x0} ${y0} c${-14} ${dir * lane} ${14} ${dir * lane} ${3} ${dir * 2}`;
  }
  const lift = dir * Math.max(10, Math.min(lane, Math.abs(x1 - x0) / 3));
  // Control points stay inside the drawing, which clips what is outside it.
  const c0 = Math.max(2, y0 + lift);
  const c1 = Math.max(2, y1 + lift);
  return `M${x0} ${y0} C${x0} ${c0} ${x1} ${c1} ${x1} ${y1}`;
}

/**
 * A block's bytes as the diagram writes them: runs of printable ASCII as quoted text, other
 * bytes as hex, a run of four or more equal bytes counted (`"hello" 00×11`).
 */
export function dataText(bytes: Uint8Array): string {
  const out: string[] = [];
  const printable = (b: number): boolean => b >= 0x20 && b < 0x7f;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let j = i + 1;
    if (printable(b)) {
      while (j < bytes.length && printable(bytes[j]!)) j++;
      out.push(JSON.stringify(String.fromCharCode(...bytes.subarray(i, j))));
    } else {
      while (j < bytes.length && bytes[j] === b) j++;
      const h = b.toString(16).padStart(2, "0");
      out.push(j - i >= 4 ? `${h}×${j - i}` : Array.from({ length: j - i }, () => h).join(" "));
    }
    i = j;
  }
  return out.join(" ");
}

/** The names whose address lies inside a block's bytes but is not its data address (see `Diagram.#inside`). */
function insideNames(layout: Layout, names: ReadonlyMap<number, PointerName[]>): Map<number, { name: string; offset: number; dangling: boolean }[]> {
  const out = new Map<number, { name: string; offset: number; dangling: boolean }[]>();
  if (names.size === 0) return out;
  const t = layout.table;
  const s = layout.stride;
  for (const [address, list] of names) {
    // The last block whose data starts at or before the address (blocks are in address order).
    let lo = 0;
    let hi = layout.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid * s + FIELD.data]! <= address) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < 0) continue;
    const data = t[i * s + FIELD.data]!;
    if (data === address || address >= blockEnd(layout, i)) continue;
    const entry = out.get(data) ?? [];
    for (const n of list) entry.push({ name: n.name, offset: address - data, dangling: n.dangling });
    out.set(data, entry);
  }
  return out;
}
