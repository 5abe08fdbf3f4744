/**
 * The data the wasm `Playground` hands to JavaScript, typed.
 *
 * Mirrors crate/lab/src/snapshot.rs, crate/brkalloc/src/observer.rs and crate/brkalloc/src/heap/policy.rs field for
 * field (serde renames them to camelCase, event kinds to kebab-case). Addresses and sizes are
 * plain numbers: on wasm32 every `usize` fits in a JavaScript number exactly.
 */

/** The placement policies, as `Policy::name` spells them. */
export type Policy = "first-fit" | "next-fit" | "best-fit" | "worst-fit" | "segregated";

/** Every policy, in the order of `Policy::ALL`. */
export const POLICIES: readonly Policy[] = ["first-fit", "next-fit", "best-fit", "worst-fit", "segregated"];

/** What `new Playground(options)` and `reset(options)` accept. Unknown fields are refused. */
export interface PlaygroundOptions {
  /** Start from these options, then apply the other fields: "seed" is the brief's allocator. */
  preset?: "seed" | "default";
  policy?: Policy;
  split?: boolean;
  coalesce?: boolean;
  trim?: boolean;
}

/** The options in force (`Options`, serialised). */
export interface Options {
  policy: Policy;
  split: boolean;
  coalesce: boolean;
  trim: boolean;
}

/** `Pages`: page accounting of a backend that grows memory in pages. */
export interface Pages {
  pageSize: number;
  grown: number;
}

/** `Segment`: a run of adjacent blocks. */
export interface Segment {
  start: number;
  end: number;
}

/** `BlockSnapshot`: one block, a header then its data. */
export interface BlockSnapshot {
  header: number;
  data: number;
  size: number;
  headerSize: number;
  free: boolean;
  /** The header of the following block, or 0 (null) for the last. */
  next: number;
  segment: number;
}

/** `FreeList`: one size class of the segregated policy. */
export interface FreeList {
  class: number;
  minSize: number;
  blocks: number[];
}

/** `Totals`: sums over the blocks. */
export interface Totals {
  blocks: number;
  freeBlocks: number;
  used: number;
  free: number;
  overhead: number;
  largestFree: number;
  fragmentation: number;
  extent: number;
}

/** `Snapshot`: the whole heap at one moment. */
export interface Snapshot {
  heapStart: number;
  brk: number;
  headerSize: number;
  align: number;
  pages: Pages | null;
  policy: Policy;
  segments: Segment[];
  blocks: BlockSnapshot[];
  freeLists: FreeList[];
  totals: Totals;
}

/** `Event`: one thing the heap did, tagged by `kind`. */
export type HeapEvent =
  | { kind: "visit"; block: number; size: number; free: boolean; fits: boolean }
  | { kind: "size-class"; class: number; minSize: number }
  | { kind: "reuse"; block: number; size: number }
  | { kind: "split"; block: number; size: number; rest: number; restSize: number }
  | { kind: "append"; block: number; size: number }
  | { kind: "mark-free"; block: number; size: number }
  | { kind: "coalesce"; block: number; absorbed: number; size: number }
  | { kind: "release"; block: number; blocks: number; bytes: number }
  | { kind: "break-moved"; from: number; to: number }
  | { kind: "pages-grown"; pages: number; total: number }
  | { kind: "new-segment"; gapFrom: number; start: number }
  | { kind: "resize-in-place"; block: number; from: number; to: number }
  /** The unchecked `free` cut a free last block down past the trim threshold (never in the page). */
  | { kind: "trim"; block: number; from: number; to: number }
  /** The checked `free` or `realloc` walked the chain to find the block whose data is at `addr`. */
  | { kind: "lookup"; addr: number; blocks: number }
  | { kind: "move"; from: number; to: number; bytes: number };

/** What `alloc`, `free`, `realloc` and `calloc` return when they succeed. */
export interface OpResult {
  /** The data address handed out (`null` for `free`). */
  address: number | null;
  /** What the heap did, in order. A long search keeps its first visits as events. */
  events: HeapEvent[];
  /** Visits beyond those listed in `events`, only counted. */
  moreVisits: number;
  /** Of those, visits to free blocks. */
  moreFreeVisits: number;
}

/** A pointer in a scenario statement (`Ptr`): a name an earlier statement assigned, or an address. */
export type ScenarioPtr = { name: string } | { address: number };

/** One statement of a scenario script (`scenario::Stmt`), tagged by `op`. */
export type ScenarioStmt =
  | { op: "malloc"; name: string | null; size: number }
  | { op: "calloc"; name: string | null; count: number; size: number }
  | { op: "realloc"; name: string | null; ptr: ScenarioPtr; size: number }
  | { op: "free"; ptr: ScenarioPtr };

/** `scenario::Step`: a statement and where it was written (1-based line and column). */
export interface ScenarioStep {
  line: number;
  column: number;
  span: { start: number; end: number };
  stmt: ScenarioStmt;
}

/** `scenario::Scenario`, as `parseScenario` returns it. */
export interface Scenario {
  steps: ScenarioStep[];
}

/** What `loadTrace` returns: the trace's header and what its operations are. */
export interface TraceSummary {
  operations: number;
  allocs: number;
  frees: number;
  reallocs: number;
  ids: number;
  heapSizeHint: number;
  weight: number;
}

/** The heap at one point of a trace replay. */
export interface TraceSample {
  op: number;
  extent: number;
  live: number;
  peakLive: number;
  peakExtent: number;
  fragmentation: number;
}

/** What one `replayTrace` call did. */
export interface TraceProgress {
  done: number;
  total: number;
  samples: TraceSample[];
}
