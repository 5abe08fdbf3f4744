/**
 * The one place the front end talks to the wasm module: it loads it, forwards each operation to
 * the Rust `Playground`, and reads the heap's layout table and bytes straight out of
 * `WebAssembly.Memory`. Everything the allocator decides happens in Rust; this file only types it.
 */

import init, { Playground, blockTable, constants, generateTrace, parseScenario, policies } from "#brkalloc";
import {
  LAYOUT_FIELDS,
  type BlockTable,
  type Constants,
  type Damage,
  type FreeList,
  type OpResult,
  type LayoutField,
  type Options,
  type PlaygroundOptions,
  type Policy,
  type PolicyInfo,
  type Scenario,
  type Snapshot,
  type Totals,
  type TraceProgress,
  type TraceSummary,
} from "./types";

/**
 * Field offsets of one block's row in the layout table, as the module's `blockTable()` names
 * them: filled in when the module is loaded (`loadModule`), before any heap exists.
 */
export const FIELD = {} as Record<LayoutField, number>;
/** Flag bit of the layout table that says a block is free (`blockTable().freeFlag`). */
export let FLAG_FREE = 0;
/**
 * Flag bits of the layout table for a damaged heap (`blockTable().damagedFlag`,
 * `brokenNextFlag`, `brokenSizeFlag`): a row that is a damaged header; one whose `next` column
 * is the raw pointer written over it; one whose `size` column is the raw size. And
 * `derivedNext` (`blockTable().derivedNextFlag`): the row's `next` was derived from the size
 * (or the segment table), not read from the header: the heap does not store it.
 */
export const FLAG = { damaged: 0, brokenNext: 0, brokenSize: 0, derivedNext: 0 };
/** `u32`s per block in the layout table (`blockTable().stride`). */
let STRIDE = 0;

/**
 * Reads the layout table's shape from the module. A field the page decodes that the module
 * does not name is an error at start, not a diagram drawn from the wrong column.
 */
function readBlockTable(): void {
  const table = blockTable() as BlockTable;
  const missing = LAYOUT_FIELDS.filter((f) => !table.fields.includes(f));
  if (missing.length || !(table.stride >= table.fields.length) || !table.freeFlag) {
    throw new Error(
      `the wasm module's block table (${JSON.stringify(table)}) lacks what the page reads: ` +
        `the fields ${LAYOUT_FIELDS.join(", ")}, a stride and a free flag` +
        (missing.length ? ` (missing: ${missing.join(", ")})` : ""),
    );
  }
  for (const f of LAYOUT_FIELDS) FIELD[f] = table.fields.indexOf(f);
  FLAG_FREE = table.freeFlag;
  FLAG.damaged = table.damagedFlag;
  FLAG.brokenNext = table.brokenNextFlag;
  FLAG.brokenSize = table.brokenSizeFlag;
  FLAG.derivedNext = table.derivedNextFlag;
  STRIDE = table.stride;
}

/**
 * The heap as the diagram reads it: one row of `stride` u32 per block, in chain order, copied in
 * one `slice` out of linear memory (a view would go stale when the memory grows).
 */
export interface Layout {
  count: number;
  stride: number;
  table: Uint32Array;
  heapStart: number;
  brk: number;
  /** End of the pages the break owns in its current region: it can rise this far for free. */
  limit: number;
  pagesGrown: number;
  /** Bytes of linear memory in all, whoever grew them. */
  memoryBytes: number;
}

/**
 * One operation the learner (or a scenario) asks for, with its arguments as typed. The writes
 * are C's: `strcpy(address, text)`, `memset(address, byte, count)`, `address[index] = byte`
 * (`store`), `memcpy(address, src, count)`; `address` is where the bytes go.
 */
export type Operation =
  | { op: "malloc"; size: unknown }
  | { op: "free"; address: unknown }
  | { op: "realloc"; address: unknown; size: unknown }
  | { op: "calloc"; count: unknown; size: unknown }
  | { op: "strcpy"; address: unknown; text: unknown }
  | { op: "memset"; address: unknown; byte: unknown; count: unknown }
  | { op: "store"; address: unknown; index: unknown; byte: unknown }
  | { op: "memcpy"; address: unknown; src: unknown; count: unknown };

/** The operations that write into memory (and return no block). */
export const WRITES = ["strcpy", "memset", "store", "memcpy"] as const;

/** Whether an operation (or a step's `op`) is one of the writes. */
export function isWrite(op: string): op is (typeof WRITES)[number] {
  return (WRITES as readonly string[]).includes(op);
}


/**
 * The allocator's constants on wasm32 (`constants()`: header size, alignment, minimum data size,
 * page size, …): filled in when the module is loaded (`loadModule`), before any heap exists.
 */
export const CONSTANTS = {} as Constants;

/**
 * Rust's words for the placement policies (`policies()`: label, words, summary), in
 * `Policy::ALL` order: read once when the module is loaded (`loadModule`).
 */
let POLICY_INFO: readonly PolicyInfo[] = [];

/** Rust's words for `policy` (the module must be loaded). */
export function policyInfo(policy: Policy): PolicyInfo {
  const info = POLICY_INFO.find((p) => p.name === policy);
  if (!info) throw new Error(`unknown policy ${JSON.stringify(policy)}`);
  return info;
}

let ready: Promise<unknown> | null = null;

/** Loads the wasm module once; later calls share the same promise. */
export function loadModule(): Promise<unknown> {
  ready ??= init().then(() => {
    readBlockTable();
    Object.assign(CONSTANTS, constants() as Constants);
    POLICY_INFO = policies() as PolicyInfo[];
  });
  return ready;
}

/**
 * Reads a scenario script with the Rust parser (the module must be loaded). Throws an Error
 * whose message is `line L, column C: what was expected`.
 */
export function readScenario(text: string): Scenario {
  return parseScenario(text) as Scenario;
}

/** A malloc-lab trace of one of the generator's kinds ("random", "small-large", "grow", "coalesce"), as `.rep` text. */
export function makeTrace(kind: string, ops: number, seed: number): string {
  return generateTrace(kind, ops, seed);
}


/** What the check of a sound heap says. */
const SOUND: Damage = Object.freeze({ message: null, blocks: [] }) as Damage;

/** A heap living in the module's linear memory. */
export class Engine {
  readonly #playground: Playground;
  readonly #memory: WebAssembly.Memory;
  /** Whether the heap checks what it is handed (then nothing can damage it). */
  #checks = true;

  private constructor(playground: Playground) {
    this.#playground = playground;
    this.#memory = playground.memory();
    this.#checks = this.options().checks;
  }

  /** Loads the module (if needed) and makes a heap with `options`. Throws a readable Error. */
  static async create(options?: PlaygroundOptions): Promise<Engine> {
    await loadModule();
    return new Engine(new Playground(options));
  }

  /**
   * Runs one operation. Throws an Error with the allocator's sentence; the heap is unchanged
   * then. With checks off, the result may carry a `fault` instead (a simulated segmentation
   * fault: nothing changed either, but the step stands).
   */
  run(operation: Operation): OpResult {
    const p = this.#playground;
    switch (operation.op) {
      case "malloc":
        return p.alloc(operation.size) as OpResult;
      case "free":
        return p.free(operation.address) as OpResult;
      case "realloc":
        return p.realloc(operation.address, operation.size) as OpResult;
      case "calloc":
        return p.calloc(operation.count, operation.size) as OpResult;
      case "strcpy":
        return p.strcpy(operation.address, operation.text) as OpResult;
      case "memset":
        return p.memset(operation.address, operation.byte, operation.count) as OpResult;
      case "store":
        return p.store(operation.address, operation.index, operation.byte) as OpResult;
      case "memcpy":
        return p.memcpy(operation.address, operation.src, operation.count) as OpResult;
    }
  }

  /** Starts a new, empty heap with these options (the same memory is reused). */
  reset(options?: PlaygroundOptions): void {
    this.#playground.reset(options);
    this.#checks = this.options().checks;
  }

  /** The options in force. */
  options(): Options {
    return this.#playground.options() as Options;
  }

  /**
   * What the heap's check finds now: a sentence saying what broke and what a C program would
   * run into next (`null` when the heap is sound), and each damaged header with its fields.
   */
  damage(): Damage {
    // Only a heap whose checks are off can be damaged: a checked one is not asked.
    return this.#checks ? SOUND : (this.#playground.damage() as Damage);
  }

  /** The whole heap as data (slower than `layout`: it is built and copied as objects). */
  snapshot(): Snapshot {
    return this.#playground.snapshot() as Snapshot;
  }

  /** The heap's totals, as the allocator's `Stats` defines them (one walk of the chain in Rust). */
  totals(): Totals {
    return this.#playground.totals() as Totals;
  }

  /** The segregated policy's size-class lists (empty under the other policies). */
  freeLists(): FreeList[] {
    return this.#playground.freeLists() as FreeList[];
  }

  /** Runs the heap's invariant checker: `undefined` when the heap is sound, else what is wrong. */
  check(): string | undefined {
    return this.#playground.check() ?? undefined;
  }

  /** Refreshes the layout table in Rust and returns a view of it in linear memory. */
  layout(): Layout {
    const p = this.#playground;
    // `layout()` may grow memory (its table is a Vec), so the buffer is read after it.
    const count = p.layout();
    const ptr = p.layoutPtr();
    const buffer = this.#memory.buffer;
    return {
      count,
      stride: STRIDE,
      table: new Uint32Array(buffer, ptr, count * STRIDE).slice(),
      heapStart: p.heapStart(),
      brk: p.brk(),
      limit: p.limit(),
      pagesGrown: p.pagesGrown(),
      memoryBytes: buffer.byteLength,
    };
  }

  /** The address of the first header (or of the break, when there is no block). */
  heapStart(): number {
    return this.#playground.heapStart();
  }

  /** The end of the pages the break owns in its current region. */
  limit(): number {
    return this.#playground.limit();
  }

  /** The number of blocks (refreshes the layout table). */
  blockCount(): number {
    return this.#playground.layout();
  }

  /** Reads a malloc-lab trace and starts an empty heap to replay it in; throws a readable Error. */
  loadTrace(text: string): TraceSummary {
    return this.#playground.loadTrace(text) as TraceSummary;
  }

  /** Replays up to `maxOps` more operations of the loaded trace, sampling every `sampleEvery`. */
  replayTrace(maxOps: number, sampleEvery: number): TraceProgress {
    return this.#playground.replayTrace(maxOps, sampleEvery) as TraceProgress;
  }

  /** Releases the Rust side of this heap (its pages stay in the module's memory). */
  destroy(): void {
    this.#playground.destroy();
  }

  /** A copy of `length` bytes of linear memory from `address` (cut short at the memory's end). */
  read(address: number, length: number): Uint8Array {
    const buffer = this.#memory.buffer;
    const end = Math.min(buffer.byteLength, address + length);
    return new Uint8Array(buffer.slice(address, Math.max(address, end)));
  }
}
