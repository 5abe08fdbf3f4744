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
  Damage,
  DamagedBlock,
  Fault,
  FreeList,
  HeapEvent,
  LayoutField,
  OpResult,
  Options,
  Pages,
  PlaygroundOptions,
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

/** Every policy, in the order of `Policy::ALL` (the generated list). */
export { POLICY_NAMES as POLICIES, LAYOUT_FIELDS } from "./generated/contract";
