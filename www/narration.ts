/**
 * Narration: one plain sentence per operation, built from the events the heap reported. The
 * timeline keeps each step's sentence; narration-panel.ts shows them, with the log.
 */

import { callText as wasmCallText } from "#brkalloc";
import { CONSTANTS, policyInfo, type Operation } from "./engine";
import { bytes, count, hex, pageSize, signed } from "./format";
import type { HeapEvent, OpResult, Options } from "./types";

/** The call as the learner typed it, in Rust's words (`callText`): `malloc(24)`, `free(0x00110048)`. */
export function callText(op: Operation): string {
  switch (op.op) {
    case "malloc":
      return wasmCallText("malloc", [op.size]);
    case "free":
      return wasmCallText("free", [op.address]);
    case "realloc":
      return wasmCallText("realloc", [op.address, op.size]);
    case "calloc":
      return wasmCallText("calloc", [op.count, op.size]);
    case "strcpy":
      return wasmCallText("strcpy", [op.address, op.text]);
    case "memset":
      return wasmCallText("memset", [op.address, op.byte, op.count]);
    case "store":
      return wasmCallText("store", [op.address, op.index, op.byte]);
    case "memcpy":
      return wasmCallText("memcpy", [op.address, op.src, op.count]);
  }
}

function find<K extends HeapEvent["kind"]>(events: HeapEvent[], kind: K): Extract<HeapEvent, { kind: K }> | undefined {
  return events.find((e) => e.kind === kind) as Extract<HeapEvent, { kind: K }> | undefined;
}

function all<K extends HeapEvent["kind"]>(events: HeapEvent[], kind: K): Extract<HeapEvent, { kind: K }>[] {
  return events.filter((e) => e.kind === kind) as Extract<HeapEvent, { kind: K }>[];
}

/** What moving the break and growing pages added to an operation, as trailing clauses. */
function growth(events: HeapEvent[]): string {
  let out = "";
  const pages = find(events, "pages-grown");
  if (pages) {
    out += `; the break crossed the end of the pages it owns, so memory.grow adds ${count(pages.pages, "page")} of ${pageSize()} (${pages.total} grown in all)`;
  }
  const seg = find(events, "new-segment");
  if (seg) {
    out += `; the new pages do not follow the heap (other code grew the memory in between), so a new segment starts at ${hex(seg.start)}, past a gap from ${hex(seg.gapFrom)}`;
  }
  return out;
}

/** What the narration needs to know besides the events. */
export interface Context {
  options: Options;
  headerSize: number;
  /** Blocks in the heap before the operation. */
  blocksBefore: number;
  /** The data size asked for, when the operation asked for one. */
  requested: number | null;
  /** The call as the narration should start it (`a = malloc(16)`); `callText(op)` when absent. */
  call?: string;
  /** Visits beyond those kept as events (a long search is counted, not listed). */
  moreVisits?: number;
  /** Of those, visits to free blocks. */
  moreFreeVisits?: number;
}

/** The search, as a clause with its subject: "first fit visits 3 blocks". */
function search(events: HeapEvent[], policy: string, more: number): { text: string; plural: boolean } | null {
  const cls = find(events, "size-class");
  if (cls) {
    return { text: `${policy} look in size class ${cls.class} (blocks of ${cls.minSize} bytes or more)`, plural: true };
  }
  const visits = all(events, "visit").length + more;
  return visits > 0 ? { text: `${policy} visits ${count(visits, "block")}`, plural: false } : null;
}

/** Describes how a new block was found, for malloc, calloc and a moving realloc. */
function placement(events: HeapEvent[], ctx: Context): string {
  const policy = policyInfo(ctx.options.policy).words;
  const looked = search(events, policy, ctx.moreVisits ?? 0);
  const reuse = find(events, "reuse");
  const split = find(events, "split");
  const append = find(events, "append");
  const moved = find(events, "break-moved");
  const sbrk = moved ? `sbrk(${signed(moved.to - moved.from)}) moves the break from ${hex(moved.from)} to ${hex(moved.to)}` : "the break moves up";
  if (reuse) {
    const subject = looked ? `${looked.text} and ${looked.plural ? "reuse" : "reuses"}` : `${policy} reuses`;
    let s = `${subject} the free block at ${hex(reuse.block + ctx.headerSize)} (${bytes(reuse.size)})`;
    if (split) {
      s += `, splitting off the ${bytes(split.restSize)} it does not need as a new free block at ${hex(split.rest + ctx.headerSize)}`;
    } else if (!ctx.options.split && ctx.requested !== null && reuse.size > Math.max(CONSTANTS.minData, Math.ceil(ctx.requested / CONSTANTS.align) * CONSTANTS.align)) {
      s += `, and keeps all of it: this allocator does not split blocks`;
    }
    return s + growth(events);
  }
  const visits = all(events, "visit");
  let noFit: string;
  if (ctx.blocksBefore === 0) noFit = "the heap has no blocks yet";
  else if (!looked) noFit = "no free block fits";
  else if (visits.length > 0 && !visits.some((v) => v.free) && !(ctx.moreFreeVisits ?? 0)) noFit = `${looked.text} and ${looked.plural ? "find" : "finds"} no free block`;
  else noFit = `${looked.text}, but no free block is big enough`;
  if (append) {
    return `${noFit}, so ${sbrk}: a new block is written there, header at ${hex(append.block)}, data at ${hex(append.block + ctx.headerSize)}${growth(events)}`;
  }
  return looked?.text ?? "done";
}

/**
 * One sentence for an operation the heap carried out, or (checks off) crashed in: a simulated
 * segmentation fault, which changed nothing.
 */
export function narrate(op: Operation, result: OpResult, context: Context): string {
  const ctx: Context = { ...context, moreVisits: result.moreVisits, moreFreeVisits: result.moreFreeVisits };
  const call = context.call ?? callText(op);
  const events = result.events;
  if (result.fault) {
    // Rust's message starts with the call and the words ("malloc(16): segmentation fault: …").
    const what = result.fault.message.replace(/^.*?segmentation fault:\s*/i, "");
    return `Segmentation fault in ${call}: ${what}${/[.!?]$/.test(what) ? "" : "."} Nothing on the heap changed.`;
  }
  switch (op.op) {
    case "malloc":
      return `${call}: ${placement(events, ctx)}.`;
    case "calloc":
      return `${call}: ${placement(events, ctx)}; calloc then fills its data with zeros.`;
    case "free":
      return `${call}: ${freeing(events, ctx.headerSize)}${lookup(events, "free")}.`;
    case "realloc":
      return `${call}: ${reallocating(events, ctx)}${lookup(events, "realloc")}.`;
    case "strcpy":
    case "memset":
    case "store":
    case "memcpy":
      return `${call}: ${writing(op, result)}.`;
  }
}

/** What a write put where: "writes 6 bytes (the text and its terminating NUL) from 0x… to 0x…". */
function writing(op: Extract<Operation, { op: "strcpy" | "memset" | "store" | "memcpy" }>, result: OpResult): string {
  const w = result.written;
  if (!w) return "done";
  const span = (at: number): string => (w.bytes === 1 ? hex(at) : `${hex(at)}–${hex(at + w.bytes - 1)}`);
  const range = `at ${span(w.at)}`;
  switch (op.op) {
    case "strcpy":
      return `writes ${bytes(w.bytes)}, the text's and its terminating NUL, ${range}`;
    case "memset":
      return `writes ${bytes(w.bytes)} ${range}, each ${byteText(Number(op.byte))}`;
    case "store":
      return `writes the byte ${byteText(Number(op.byte))} ${range}`;
    case "memcpy":
      return `copies ${bytes(w.bytes)} from ${span(Number(op.src))} to ${span(w.at)}`;
  }
}

/** A byte as the narration writes it: `0x41 ('A')`, `0x00`. */
export function byteText(b: number): string {
  const code = `0x${b.toString(16).padStart(2, "0")}`;
  return b >= 0x21 && b < 0x7f ? `${code} ('${String.fromCharCode(b)}')` : code;
}

/** How far the checked free or realloc walked the chain to find the block, as a trailing clause. */
function lookup(events: HeapEvent[], name: string): string {
  const found = find(events, "lookup");
  return found ? `; ${name} looked at ${count(found.blocks, "block")} to find ${hex(found.addr)}` : "";
}

function freeing(events: HeapEvent[], headerSize: number): string {
  const release = find(events, "release");
  const merges = all(events, "coalesce");
  const moved = find(events, "break-moved");
  const down = moved ? ` from ${hex(moved.from)} to ${hex(moved.to)}` : "";
  if (release) {
    if (release.blocks === 1 && merges.length === 0) {
      return `the last block, so the break moves back down by ${bytes(release.bytes)}${down}`;
    }
    const merged = merges.length ? `merges with the free ${merges.length === 1 ? "block" : "blocks"} beside it, ` : "";
    return `the block ${merged}ends the heap, so ${count(release.blocks, "block")} (${bytes(release.bytes)}, headers included) go back and the break moves down${down}`;
  }
  if (merges.length) {
    const last = merges[merges.length - 1]!;
    return `the block is marked free and merged with ${merges.length === 1 ? "its free neighbour" : `its ${merges.length} free neighbours`} into one free block of ${bytes(last.size)} at ${hex(last.block + headerSize)}`;
  }
  if (find(events, "mark-free")) return "the block is marked free and stays in the chain, to be reused";
  return "done";
}

function reallocating(events: HeapEvent[], ctx: Context): string {
  const inPlace = find(events, "resize-in-place");
  const move = find(events, "move");
  if (inPlace) {
    const verb = inPlace.to > inPlace.from ? "grows" : inPlace.to < inPlace.from ? "shrinks" : "stays";
    let s = `the block ${verb} in place from ${inPlace.from} to ${bytes(inPlace.to)}`;
    const split = find(events, "split");
    if (split) s += `; the ${bytes(split.restSize)} left over become a free block at ${hex(split.rest + ctx.headerSize)}`;
    if (find(events, "coalesce")) s += `; it takes in the free block after it`;
    const moved = find(events, "break-moved");
    if (moved) s += `; sbrk(${signed(moved.to - moved.from)}) moves the break from ${hex(moved.from)} to ${hex(moved.to)}`;
    return s + growth(events);
  }
  if (move) {
    return `the block cannot grow where it stands; ${placement(events, ctx)}; then ${bytes(move.bytes)} are copied from ${hex(move.from)} to ${hex(move.to)} and the old block is freed`;
  }
  return placement(events, ctx);
}
