/**
 * Small formatting helpers shared by the diagram, the narration and the panels. Addresses and
 * byte counts are written by Rust (`addressText`, `bytesText`: the allocator's own messages use
 * the same words), so the wasm module must be loaded before they are called; the rest is
 * display formatting only the page does.
 */

import { addressText, bytesText } from "#brkalloc";
import { CONSTANTS } from "./engine";

/** An address as the allocator's messages write it: `0x` and eight hex digits. */
export function hex(address: number): string {
  return addressText(address);
}

/** A byte count with thousands separators: `65,536 bytes`, `1 byte`. */
export function bytes(n: number): string {
  return bytesText(n);
}

/** A short byte count for tight labels: `24 B`, `1.5 KiB`, `2 MiB`. */
export function shortBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  return `${trim(n / (1024 * 1024))} MiB`;
}

/** The size of a page `memory.grow` adds, as labels write it: `64 KiB`. */
export function pageSize(): string {
  return shortBytes(CONSTANTS.pageSize);
}

function trim(x: number): string {
  return x >= 100 ? Math.round(x).toString() : x.toFixed(1).replace(/\.0$/, "");
}

/** `n` with the noun in the singular or plural: `1 block`, `3 blocks`. */
export function count(n: number, noun: string, plural = noun + "s"): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : plural}`;
}

/** A signed byte delta as `sbrk` takes it: `+32`, `-64`. */
export function signed(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** A ratio in [0, 1] as a percentage with one decimal: `37.5%`. */
export function percent(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

/**
 * Where a derived `next` comes from, in words (the heap stores no `next`; see `FLAG.derivedNext`):
 * `header + 8 + size = 0x…` when the next header sits right after the data, the segment table
 * when the chain jumps a gap, `null` for the block that ends at the break.
 */
export function derivedNext(header: number, data: number, size: number, next: number): string {
  if (next === 0) return "null, as the block ends at the break";
  if (next === data + size) return `header + ${data - header} + size = ${hex(next)}`;
  return `${hex(next)}, from the segment table (a gap follows the block)`;
}
