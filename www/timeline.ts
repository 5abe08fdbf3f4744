/**
 * The timeline: every operation that succeeded, in order, so that the learner can step back and
 * forth through them.
 *
 * Going to step k starts a new heap with the same options and replays the first k operations.
 * A reset heap starts where the old one did, so the replay hands out the same addresses; should
 * it not (a heap whose break had to jump), addresses are translated from each block's old
 * address to its new one as the replay goes.
 */

import type { Engine, Operation } from "./engine";

/** One operation that succeeded, with what it said and the address it returned. */
export interface Step {
  op: Operation;
  text: string;
  address: number | null;
}

/** The operations so far, and how many of them the heap has now. */
export class Timeline {
  readonly steps: Step[] = [];
  /** Number of steps applied to the heap (steps after it have been undone). */
  position = 0;

  /** Records a step done now; any undone steps after the current position are dropped. */
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
   * Rebuilds the heap as it was after `k` steps: `reset` must start an empty heap with the
   * options the steps ran under. Throws (with the heap after the steps that did replay) if a
   * step is refused.
   */
  replay(engine: Engine, k: number, reset: () => void): void {
    const target = Math.max(0, Math.min(k, this.steps.length));
    reset();
    const moved = new Map<number, number>();
    const translate = (a: unknown): unknown => (typeof a === "number" ? (moved.get(a) ?? a) : a);
    this.position = 0;
    for (let i = 0; i < target; i++) {
      const step = this.steps[i]!;
      const op: Operation =
        step.op.op === "free"
          ? { op: "free", address: translate(step.op.address) }
          : step.op.op === "realloc"
            ? { op: "realloc", address: translate(step.op.address), size: step.op.size }
            : step.op;
      let address: number | null;
      try {
        address = engine.run(op).address;
      } catch (e) {
        throw new Error(`step ${i + 1} could not be replayed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (address !== null && step.address !== null && address !== step.address) moved.set(step.address, address);
      this.position = i + 1;
    }
  }
}
