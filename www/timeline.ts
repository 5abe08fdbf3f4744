/**
 * The timeline: every operation, typed, clicked or scripted, is a step, so that the learner can
 * step back and forth through them; and the history of edits to it, for undo and redo.
 *
 * Going forward runs the next steps on the heap as it is. Going back starts a new heap with the
 * same options (a reset heap starts at the same address, on zeroed pages) and replays the steps
 * before the target: the allocator is deterministic, so the heap comes back exactly, the same
 * blocks at the same addresses holding the same bytes. Each step keeps the sentence it was
 * narrated with, so the words come back too.
 *
 * A script step the heap refuses (a double free, say) is a step all the same: it shows the
 * refusal and changes nothing, which is what a learner should see.
 */

import type { Engine, Operation } from "./engine";
import { returnsBlock, sessionJson, stepCall, type PtrRef, type Session, type StepSpec } from "./session";
import type { Fault, OpResult, Written } from "./types";

/** One step and what it did the last time it ran. */
export interface Step {
  spec: StepSpec;
  /** The call as C would write it, with names where the script used them. */
  call: string;
  /** The narration of what the heap did, or why it refused. */
  text: string;
  /** Whether the heap carried it out. */
  ok: boolean;
  /** The address it returned (`null` for free and the writes, or when refused or crashed). */
  address: number | null;
  /**
   * With checks off: the simulated segmentation fault it ran into (the heap is unchanged, the
   * step stands, marked as crashed). `null` when it did not crash.
   */
  fault?: Fault | null;
  /** The range a write step wrote. */
  written?: Written | null;
  /** What the heap's check said after it (`Playground.damage().message`; `null`: sound). */
  damage?: string | null;
}

/** Turns a step's result into its sentence (see narration.ts). */
export type Narrator = (op: Operation, result: OpResult, call: string, blocksBefore: number) => string;

/** A pointer a script holds, as the diagram labels it. */
export interface PointerName {
  name: string;
  /** The block it held was freed (or moved by realloc): a dangling pointer. */
  dangling: boolean;
}

/** What running one step gave. */
export interface StepOutcome {
  ok: boolean;
  result: OpResult | null;
  error: string | null;
}

/** The steps so far and how many of them the heap has now. */
export class Timeline {
  readonly steps: Step[] = [];
  /** Number of steps applied to the heap (steps after it are ahead: undone, or not yet played). */
  position = 0;

  /** Appends steps that have not run yet (from a session, a script, another timeline). */
  append(specs: readonly StepSpec[]): void {
    for (const spec of specs) this.steps.push({ spec, call: stepCall(spec), text: "", ok: false, address: null });
  }

  /**
   * The step an operation done now stands for (after the current position): a pointer becomes
   * the latest step that returned it, with the name a script gave it, so the step replays on
   * any heap. An address no step returned stays an address.
   */
  specOf(op: Operation): StepSpec {
    const n = (x: unknown): number => Number(x);
    const names = this.namesAt();
    const pointer = (x: unknown): { ref: PtrRef; name: string | undefined } => {
      const address = Number(x);
      return { ref: this.#pointerRef(address), name: names.get(address)?.find((p) => !p.dangling)?.name };
    };
    const named = <T extends StepSpec>(spec: T, name: string | undefined): T => {
      if (name) (spec as { ptrName?: string }).ptrName = name;
      return spec;
    };
    switch (op.op) {
      case "malloc":
        return { op: "malloc", size: n(op.size) };
      case "calloc":
        return { op: "calloc", count: n(op.count), size: n(op.size) };
      case "free": {
        const p = pointer(op.address);
        return named({ op: "free", ptr: p.ref }, p.name);
      }
      case "realloc": {
        const p = pointer(op.address);
        return named({ op: "realloc", ptr: p.ref, size: n(op.size) }, p.name);
      }
      case "strcpy": {
        const p = pointer(op.address);
        return named({ op: "strcpy", ptr: p.ref, text: String(op.text) }, p.name);
      }
      case "memset": {
        const p = pointer(op.address);
        return named({ op: "memset", ptr: p.ref, byte: n(op.byte), count: n(op.count) }, p.name);
      }
      case "store": {
        const p = pointer(op.address);
        return named({ op: "store", ptr: p.ref, index: n(op.index), byte: n(op.byte) }, p.name);
      }
      case "memcpy": {
        const p = pointer(op.address);
        const src = pointer(op.src);
        const spec: Extract<StepSpec, { op: "memcpy" }> = { op: "memcpy", ptr: p.ref, src: src.ref, count: n(op.count) };
        if (src.name) spec.srcName = src.name;
        return named(spec, p.name);
      }
    }
  }

  /** The latest step (before the current position) that returned `address`, or the address itself. */
  #pointerRef(address: number): PtrRef {
    for (let i = this.position - 1; i >= 0; i--) {
      const s = this.steps[i]!;
      if (s.ok && returnsBlock(s.spec) && s.address === address) return { step: i };
    }
    return { address };
  }

  /** The call as C would write it, a pointer to an earlier step written as the address it returned. */
  callOf(spec: StepSpec): string {
    return stepCall(spec, (step) => this.steps[step]?.address ?? null);
  }

  /** The operation a step stands for on this heap: pointers to earlier steps become their addresses. */
  operation(index: number): Operation | string {
    const spec = this.steps[index]!.spec;
    let missing: string | null = null;
    const resolve = (ref: PtrRef, ptrName: string | undefined): number => {
      if ("address" in ref) return ref.address;
      const source = this.steps[ref.step];
      if (source && source.address !== null) return source.address + (ref.offset ?? 0);
      const who = ptrName ?? `the result of step ${ref.step + 1}`;
      const why = source?.fault ? "crashed" : "was refused";
      missing ??= `${stepCall(spec)}: ${who} holds no address, because step ${ref.step + 1} (${source?.call ?? "?"}) ${why}`;
      return 0;
    };
    let op: Operation;
    switch (spec.op) {
      case "malloc":
        return { op: "malloc", size: spec.size };
      case "calloc":
        return { op: "calloc", count: spec.count, size: spec.size };
      case "free":
        op = { op: "free", address: resolve(spec.ptr, spec.ptrName) };
        break;
      case "realloc":
        op = { op: "realloc", address: resolve(spec.ptr, spec.ptrName), size: spec.size };
        break;
      case "strcpy":
        op = { op: "strcpy", address: resolve(spec.ptr, spec.ptrName), text: spec.text };
        break;
      case "memset":
        op = { op: "memset", address: resolve(spec.ptr, spec.ptrName), byte: spec.byte, count: spec.count };
        break;
      case "store":
        op = { op: "store", address: resolve(spec.ptr, spec.ptrName), index: spec.index, byte: spec.byte };
        break;
      case "memcpy":
        op = { op: "memcpy", address: resolve(spec.ptr, spec.ptrName), src: resolve(spec.src, spec.srcName), count: spec.count };
        break;
    }
    return missing ?? op;
  }

  /**
   * Runs step `index` on `engine`, whose heap must be as it was after the steps before it.
   * With a narrator, the step's sentence is written anew; without, it keeps the one it has.
   */
  apply(engine: Engine, index: number, narrator?: Narrator): StepOutcome {
    const step = this.steps[index]!;
    const op = this.operation(index);
    // A refusal is its own sentence: it is kept whether or not the step is narrated.
    if (typeof op === "string") {
      Object.assign(step, { ok: false, address: null, fault: null, written: null, text: op });
      return { ok: false, result: null, error: op };
    }
    const before = narrator ? engine.blockCount() : 0;
    let result: OpResult;
    try {
      result = engine.run(op);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      Object.assign(step, { ok: false, address: null, fault: null, written: null, text: message });
      return { ok: false, result: null, error: message };
    }
    step.ok = true;
    step.fault = result.fault ?? null;
    step.written = result.written ?? null;
    // A write returns nothing a pointer can name; a crash nothing at all.
    step.address = step.fault || !returnsBlock(step.spec) ? null : result.address;
    step.call = this.callOf(step.spec);
    if (narrator) {
      step.text = narrator(op, result, step.call, before);
      step.damage = engine.damage().message;
    }
    return { ok: true, result, error: null };
  }

  /** Appends a step done now, after dropping any steps ahead of the current position. */
  record(step: Step): void {
    this.steps.length = this.position;
    this.steps.push(step);
    this.position = this.steps.length;
  }

  /** Forgets every step. */
  clear(): void {
    this.steps.length = 0;
    this.position = 0;
  }

  /**
   * Brings the heap to `k` steps: forward by running the steps in between, back by `reset`
   * (an empty heap with the session's options) and replaying the first `k`.
   */
  goTo(engine: Engine, k: number, reset: () => void, narrator?: Narrator): void {
    const target = Math.max(0, Math.min(k, this.steps.length));
    if (target < this.position) {
      reset();
      this.position = 0;
    }
    while (this.position < target) {
      this.apply(engine, this.position, narrator);
      this.position++;
    }
  }

  /** The names a script gave the blocks in the heap after `k` steps, by data address. */
  namesAt(k = this.position): Map<number, PointerName[]> {
    const held = new Map<string, { address: number; dangling: boolean }>();
    for (let i = 0; i < Math.min(k, this.steps.length); i++) {
      const step = this.steps[i]!;
      if (!step.ok) continue;
      const spec = step.spec;
      // A crash changed nothing: no block was freed or moved, no name assigned.
      if (step.fault) continue;
      let pointer: number | null = null;
      if (spec.op === "free" || spec.op === "realloc") {
        const op = this.operation(i);
        if (typeof op !== "string" && "address" in op) pointer = op.address as number;
      }
      if (spec.op === "free" && pointer !== null) {
        for (const h of held.values()) if (h.address === pointer) h.dangling = true;
      }
      if (spec.op === "realloc" && pointer !== null && step.address !== pointer) {
        for (const h of held.values()) if (h.address === pointer) h.dangling = true;
      }
      if ("name" in spec && spec.name && step.address !== null) held.set(spec.name, { address: step.address, dangling: false });
    }
    const out = new Map<number, PointerName[]>();
    for (const [name, h] of held) {
      const list = out.get(h.address) ?? [];
      list.push({ name, dangling: h.dangling });
      out.set(h.address, list);
    }
    return out;
  }

  /** The session: options are the caller's, steps and position are the timeline's. */
  session(options: Session["options"]): Session {
    return { options: { ...options }, steps: this.steps.map((s) => structuredClone(s.spec)), position: this.position };
  }
}

/**
 * What the heap holds before step 1 when it is not empty: a trace replayed into it, or many
 * operations run at once. Stepping back to 0 rebuilds it on the reset heap, then the steps.
 */
export interface Base {
  kind: "trace" | "ops";
  /** What it is, for the narration: "the trace short.rep (20 operations)". */
  label: string;
  /** Puts it back on a heap just reset (the allocator is deterministic: the same heap). */
  rebuild(engine: Engine): void;
}

/** A session remembered by the history, with the base it stood on. */
export interface Remembered {
  session: unknown;
  base: Base | null;
}

/** Undo and redo over whole sessions: each edit (a new step, a reset, a script) is undoable. */
export class History {
  readonly #undo: { json: string; base: Base | null }[] = [];
  readonly #redo: { json: string; base: Base | null }[] = [];
  static readonly LIMIT = 100;

  /** Remembers `before`, the session as it was before an edit; a new edit forgets what was undone. */
  push(before: Session, base: Base | null = null): void {
    this.#undo.push({ json: JSON.stringify(sessionJson(before)), base });
    if (this.#undo.length > History.LIMIT) this.#undo.shift();
    this.#redo.length = 0;
  }

  get canUndo(): boolean {
    return this.#undo.length > 0;
  }

  get canRedo(): boolean {
    return this.#redo.length > 0;
  }

  /** The session to go back to, remembering `current` for redo; `null` when there is none. */
  undo(current: Session, base: Base | null): Remembered | null {
    const before = this.#undo.pop();
    if (before === undefined) return null;
    this.#redo.push({ json: JSON.stringify(sessionJson(current)), base });
    return { session: JSON.parse(before.json), base: before.base };
  }

  /** The session undone last, remembering `current` for undo; `null` when there is none. */
  redo(current: Session, base: Base | null): Remembered | null {
    const after = this.#redo.pop();
    if (after === undefined) return null;
    this.#undo.push({ json: JSON.stringify(sessionJson(current)), base });
    return { session: JSON.parse(after.json), base: after.base };
  }

  clear(): void {
    this.#undo.length = 0;
    this.#redo.length = 0;
  }
}
