/**
 * The numbers beside the diagram: blocks, bytes used and free, header overhead, the largest free
 * block, fragmentation, the break and the pages grown.
 *
 * They are sums over the layout table, defined exactly as `Totals` in crate/lab/src/snapshot.rs
 * (the end-to-end tests compare the two), so the panel costs one loop and no JSON.
 */

import { FIELD, FLAG_FREE, type Layout } from "./engine";
import { bytes, count, hex, percent, shortBytes } from "./format";
import type { Mount, Panel, View } from "./panel";

/** Sums over the blocks, as `Totals` defines them. */
export interface Stats {
  blocks: number;
  freeBlocks: number;
  used: number;
  free: number;
  overhead: number;
  largestFree: number;
  fragmentation: number;
  extent: number;
  segments: number;
}

/** Computes the stats of `layout`. */
export function computeStats(layout: Layout): Stats {
  const { table: t, stride: s, count: n } = layout;
  const st: Stats = { blocks: n, freeBlocks: 0, used: 0, free: 0, overhead: 0, largestFree: 0, fragmentation: 0, extent: 0, segments: 0 };
  let segStart = -1;
  let prevEnd = -1;
  for (let i = 0; i < n; i++) {
    const o = i * s;
    const header = t[o + FIELD.header]!;
    const data = t[o + FIELD.data]!;
    const size = t[o + FIELD.size]!;
    st.overhead += data - header;
    if ((t[o + FIELD.flags]! & FLAG_FREE) !== 0) {
      st.freeBlocks++;
      st.free += size;
      if (size > st.largestFree) st.largestFree = size;
    } else {
      st.used += size;
    }
    if (header !== prevEnd) {
      if (segStart >= 0) st.extent += prevEnd - segStart;
      segStart = header;
      st.segments++;
    }
    prevEnd = data + size;
  }
  if (segStart >= 0) st.extent += prevEnd - segStart;
  if (st.free > 0) st.fragmentation = 1 - st.largestFree / st.free;
  return st;
}

const ROWS: [key: string, label: string, hint: string][] = [
  ["blocks", "Blocks", "Blocks on the chain, used and free"],
  ["used", "Used", "Data bytes handed out by malloc and not yet freed"],
  ["free", "Free", "Data bytes in free blocks, waiting to be reused"],
  ["overhead", "Header overhead", "Bytes spent on headers: one per block"],
  ["largest", "Largest free block", "The biggest malloc that can be served without moving the break"],
  ["frag", "Fragmentation", "1 − largest free block ÷ all free bytes: how scattered the free space is"],
  ["extent", "Heap size", "Bytes from the heap start to the break, headers included"],
  ["brk", "Break", "sbrk(0): the end of the heap"],
  ["pages", "Pages grown", "64 KiB pages obtained with memory.grow; they are never given back"],
  ["spare", "Spare before memory.grow", "How far the break can rise inside the pages already grown"],
];

/** The stats panel. */
export class StatsPanel implements Panel {
  readonly #cells = new Map<string, HTMLElement>();

  static mount({ find }: Mount): StatsPanel | null {
    const root = find("stats");
    return root && new StatsPanel(root);
  }

  constructor(root: HTMLElement) {
    const dl = document.createElement("dl");
    dl.className = "stats";
    for (const [key, label, hint] of ROWS) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      dt.title = hint;
      const dd = document.createElement("dd");
      dd.dataset.stat = key;
      dd.title = hint;
      dl.append(dt, dd);
      this.#cells.set(key, dd);
    }
    root.append(dl);
  }

  update({ layout }: View): void {
    const st = computeStats(layout);
    const heapBytes = st.extent || 1;
    this.#set("blocks", `${count(st.blocks, "block")}${st.freeBlocks ? ` · ${st.freeBlocks} free` : ""}`);
    this.#set("used", bytes(st.used));
    this.#set("free", bytes(st.free));
    this.#set("overhead", `${bytes(st.overhead)}${st.extent ? ` · ${percent(st.overhead / heapBytes)}` : ""}`);
    this.#set("largest", bytes(st.largestFree));
    this.#set("frag", percent(st.fragmentation));
    this.#set("extent", `${bytes(st.extent)}${st.segments > 1 ? ` in ${st.segments} segments` : ""}`);
    this.#set("brk", hex(layout.brk));
    this.#set("pages", `${layout.pagesGrown} × 64 KiB`);
    this.#set("spare", shortBytes(Math.max(0, layout.limit - layout.brk)));
  }

  #set(key: string, text: string): void {
    const cell = this.#cells.get(key)!;
    if (cell.textContent !== text) cell.textContent = text;
  }
}
