/**
 * From a parsed scenario script (the Rust parser's `{steps}`) to the steps of a session.
 *
 * The parser has already checked that every name is assigned before it is used. A name holds
 * the address its last assignment returned, so `free(a)` becomes "free what the step that last
 * assigned `a` returned" (`{step: i}`), which holds on any heap the steps are replayed on.
 */

import type { PtrRef, StepSpec } from "./session";
import type { Scenario, ScenarioPtr } from "./types";

/** The session steps of a parsed scenario, in order. */
export function scenarioSteps(scenario: Scenario): StepSpec[] {
  const assigned = new Map<string, number>();
  const ref = (ptr: ScenarioPtr): { ptr: PtrRef; ptrName?: string } => {
    if ("name" in ptr) {
      const step = assigned.get(ptr.name);
      // The parser refuses a name used before it is assigned; should one slip through, the
      // step refers to nothing and is refused when it runs.
      return { ptr: step === undefined ? { step: Number.MAX_SAFE_INTEGER } : { step }, ptrName: ptr.name };
    }
    if ("inside" in ptr) {
      throw new Error(`${ptr.inside.name} + ${ptr.inside.offset}: the page does not run pointer arithmetic in a script`);
    }
    return { ptr: { address: ptr.address } };
  };
  return scenario.steps.map((s, i) => {
    const stmt = s.stmt;
    let spec: StepSpec;
    switch (stmt.op) {
      case "malloc":
        spec = { op: "malloc", size: stmt.size };
        break;
      case "calloc":
        spec = { op: "calloc", count: stmt.count, size: stmt.size };
        break;
      case "realloc":
        spec = { op: "realloc", ...ref(stmt.ptr), size: stmt.size };
        break;
      case "free":
        spec = { op: "free", ...ref(stmt.ptr) };
        break;
      default:
        throw Object.assign(new Error(`line ${s.line}, column ${s.column}: the page does not run ${stmt.op} steps`), {
          line: s.line,
          column: s.column,
        });
    }
    spec.line = s.line;
    spec.column = s.column;
    if ("name" in stmt && stmt.name) {
      (spec as { name?: string }).name = stmt.name;
      assigned.set(stmt.name, i);
    }
    return spec;
  });
}
