/**
 * From a parsed scenario script (the Rust parser's `{steps}`) to the steps of a session.
 *
 * The parser has already checked that every name is assigned before it is used. A name holds
 * the address its last assignment returned, so `free(a)` becomes "free what the step that last
 * assigned `a` returned" (`{step: i}`), which holds on any heap the steps are replayed on. The
 * writes (`strcpy(a, "hi")`, `memset(a, 'A', 40)`, `a[3] = 0x41`, `memcpy(b, a, 16)`) name
 * their blocks the same way, and `free(a + 8)` becomes "8 bytes past what that step returned".
 */

import type { PtrRef, StepSpec } from "./session";
import type { Scenario, ScenarioPtr } from "./types";

/** The session steps of a parsed scenario, in order. */
export function scenarioSteps(scenario: Scenario): StepSpec[] {
  const assigned = new Map<string, number>();
  const resolve = (ptr: ScenarioPtr): { ref: PtrRef; name?: string } => {
    if ("address" in ptr) return { ref: { address: ptr.address } };
    const named = "name" in ptr ? { name: ptr.name, offset: 0 } : ptr.inside;
    const step = assigned.get(named.name);
    // The parser refuses a name used before it is assigned; should one slip through, the step
    // refers to nothing and is refused when it runs.
    const ref: PtrRef = { step: step === undefined ? Number.MAX_SAFE_INTEGER : step };
    if (named.offset) ref.offset = named.offset;
    return { ref, name: named.name };
  };
  const ref = (ptr: ScenarioPtr): { ptr: PtrRef; ptrName?: string } => {
    const r = resolve(ptr);
    return r.name === undefined ? { ptr: r.ref } : { ptr: r.ref, ptrName: r.name };
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
      case "strcpy":
        spec = { op: "strcpy", ...ref(stmt.ptr), text: stmt.text };
        break;
      case "memset":
        spec = { op: "memset", ...ref(stmt.ptr), byte: stmt.byte, count: stmt.count };
        break;
      case "store":
        spec = { op: "store", ...ref(stmt.ptr), index: stmt.index, byte: stmt.byte };
        break;
      case "memcpy": {
        const src = resolve(stmt.src);
        spec = { op: "memcpy", ...ref(stmt.ptr), src: src.ref, count: stmt.count };
        if (src.name !== undefined) spec.srcName = src.name;
        break;
      }
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
