/**
 * The numbers beside the diagram: blocks, bytes used and free, header overhead, the largest free
 * block, fragmentation, the break and the pages grown.
 *
 * The totals are Rust's (`Playground.totals()`, the allocator's `Stats`), read once per view;
 * this panel only writes them out.
 */

import { FIELD, type Layout } from "./engine";
import { bytes, count, hex, pageSize, percent, shortBytes } from "./format";
import type { Mount, Panel, View } from "./panel";

/** The rows: key, label, hint (the module must be loaded: the page size is Rust's). */
const rows = (): [key: string, label: string, hint: string][] => [
  ["blocks", "Blocks", "Blocks on the chain, used and free"],
  ["used", "Used", "Data bytes handed out by malloc and not yet freed"],
  ["free", "Free", "Data bytes in free blocks, waiting to be reused"],
  ["overhead", "Header overhead", "Bytes spent on headers: one per block"],
  ["largest", "Largest free block", "The biggest malloc that can be served without moving the break"],
  ["frag", "Fragmentation", "1 − largest free block ÷ all free bytes: how scattered the free space is"],
  ["extent", "Heap size", "Bytes from the heap start to the break, headers included"],
  ["brk", "Break", "sbrk(0): the end of the heap"],
  ["pages", "Pages grown", `${pageSize()} pages obtained with memory.grow; they are never given back`],
  ["spare", "Spare before memory.grow", "How far the break can rise inside the pages already grown"],
  ["leaked", "Leaked", "At the end of a scenario: used blocks no pointer the script still holds refers to, which can never be freed"],
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
    for (const [key, label, hint] of rows()) {
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

  update({ layout, totals: st, leaked, steps, position }: View): void {
    const heapBytes = st.extent || 1;
    this.#set("blocks", `${count(st.blocks, "block")}${st.freeBlocks ? ` · ${st.freeBlocks} free` : ""}`);
    this.#set("used", bytes(st.used));
    this.#set("free", bytes(st.free));
    this.#set("overhead", `${bytes(st.overhead)}${st.extent ? ` · ${percent(st.overhead / heapBytes)}` : ""}`);
    this.#set("largest", bytes(st.largestFree));
    this.#set("frag", percent(st.fragmentation));
    this.#set("extent", `${bytes(st.extent)}${st.segments > 1 ? ` in ${st.segments} segments` : ""}`);
    this.#set("brk", hex(layout.brk));
    this.#set("pages", `${layout.pagesGrown} × ${pageSize()}`);
    this.#set("spare", shortBytes(Math.max(0, layout.limit - layout.brk)));
    const atEnd = steps.length > 0 && position === steps.length;
    this.#set("leaked", leakText(layout, leaked, atEnd));
    // For tests and tutorial authors: the figures as numbers, at the end of the steps.
    const cell = this.#cells.get("leaked")!;
    cell.dataset.blocks = atEnd ? String(leaked.size) : "";
    cell.dataset.bytes = atEnd ? String(leakedBytes(layout, leaked)) : "";
  }

  #set(key: string, text: string): void {
    const cell = this.#cells.get(key)!;
    if (cell.textContent !== text) cell.textContent = text;
  }
}

/** The leaked blocks and their data bytes ("—" before the end of the steps, where nothing is counted yet). */
function leakText(layout: Layout, leaked: ReadonlySet<number>, atEnd: boolean): string {
  if (!atEnd) return "—";
  if (leaked.size === 0) return "none";
  return `${count(leaked.size, "block")} · ${bytes(leakedBytes(layout, leaked))}`;
}

/** The data bytes of the leaked blocks. */
function leakedBytes(layout: Layout, leaked: ReadonlySet<number>): number {
  let sum = 0;
  const t = layout.table;
  for (let i = 0; i < layout.count; i++) {
    const o = i * layout.stride;
    if (leaked.has(t[o + FIELD.data]!)) sum += t[o + FIELD.size]!;
  }
  return sum;
}
