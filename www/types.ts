/**
 * The data the wasm `Playground` hands to JavaScript, typed.
 *
 * Every type here is generated from the Rust types (www/generated/contract.ts, written and
 * checked by `cargo test -p brkalloc-lab --test contract`): this file only re-exports them under
 * the names the rest of the front end imports, so that no field is written down twice.
 */

export type {
  BlockSnapshot,
  BlockTable,
  Constants,
  FreeList,
  HeapEvent,
  LayoutField,
  OpResult,
  Pages,
  Policy,
  PolicyInfo,
  Scenario,
  ScenarioPtr,
  ScenarioStep,
  ScenarioStmt,
  Segment,
  Snapshot,
  Totals,
  TraceProgress,
  TraceSample,
  TraceSummary,
  Written,
} from "./generated/contract";

/**
 * The misuse lab's values the generated contract does not carry yet (checks off, damage):
 * kept here until it does, then re-exported from it like the rest.
 */

/** A simulated segmentation fault: the allocator would have followed a corrupted pointer. */
export interface Fault {
  address: number;
  message: string;
}

/** `OpResult` with the lab's fields (`written` for a write step, `fault` for a crash). */
export type LabResult = import("./generated/contract").OpResult & { fault?: Fault | null };

/** One damaged header (`Playground.damage().blocks`). */
export interface DamagedBlock {
  header: number;
  fields: string[];
  message: string;
}

/** What the heap's check found after a step (`Playground.damage()`). */
export interface Damage {
  message: string | null;
  blocks: DamagedBlock[];
}

/** The options in force, `checks` among them (on: free, realloc and the writes are checked). */
export type Options = import("./generated/contract").Options & { checks: boolean };

/** What `new Playground(options)` and `reset(options)` accept: a preset, then any of the options. */
export type PlaygroundOptions = Partial<Options> & { preset?: import("./generated/contract").Preset };

/** Every policy, in the order of `Policy::ALL` (the generated list). */
export { POLICY_NAMES as POLICIES, LAYOUT_FIELDS } from "./generated/contract";
