/**
 * The timeline bar: first, back, play, forward, last, a scrubber over the steps, the playing
 * speed, and undo and redo. It only shows the timeline's state and reports what the reader
 * asks for; the app does the rest.
 */

import type { Root } from "./controls";

/** What the bar asks of the app. */
export interface TimebarEvents {
  goTo(step: number): void;
  step(delta: number): void;
  togglePlay(): void;
  setSpeed(speed: number): void;
  undo(): void;
  redo(): void;
}

/** What the bar shows. */
export interface TimebarState {
  position: number;
  total: number;
  playing: boolean;
  canUndo: boolean;
  canRedo: boolean;
  /** The call of the step the heap is at (`a = malloc(16)`), for the label. */
  call: string | null;
}

/** The playing speeds on offer, in steps per second. */
export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

function find<T extends HTMLElement>(root: Root, id: string): T | null {
  return root.getElementById(id) as T | null;
}

/** Binds whichever of the bar's controls `root` has. */
export class Timebar {
  readonly #first: HTMLButtonElement | null;
  readonly #back: HTMLButtonElement | null;
  readonly #play: HTMLButtonElement | null;
  readonly #forward: HTMLButtonElement | null;
  readonly #last: HTMLButtonElement | null;
  readonly #scrubber: HTMLInputElement | null;
  readonly #label: HTMLElement | null;
  readonly #speed: HTMLSelectElement | null;
  readonly #undo: HTMLButtonElement | null;
  readonly #redo: HTMLButtonElement | null;

  constructor(root: Root, events: TimebarEvents) {
    this.#first = find(root, "step-first");
    this.#back = find(root, "step-back");
    this.#play = find(root, "play");
    this.#forward = find(root, "step-forward");
    this.#last = find(root, "step-last");
    this.#scrubber = find(root, "scrubber");
    this.#label = find(root, "step-label");
    this.#speed = find(root, "speed");
    this.#undo = find(root, "undo");
    this.#redo = find(root, "redo");

    this.#first?.addEventListener("click", () => events.goTo(0));
    this.#back?.addEventListener("click", () => events.step(-1));
    this.#play?.addEventListener("click", () => events.togglePlay());
    this.#forward?.addEventListener("click", () => events.step(1));
    this.#last?.addEventListener("click", () => events.goTo(Number.MAX_SAFE_INTEGER));
    this.#scrubber?.addEventListener("input", () => events.goTo(Number(this.#scrubber!.value)));
    this.#undo?.addEventListener("click", () => events.undo());
    this.#redo?.addEventListener("click", () => events.redo());
    if (this.#speed) {
      if (this.#speed.options.length === 0) {
        for (const s of SPEEDS) this.#speed.add(new Option(`${s}×`, String(s), s === 1, s === 1));
      }
      this.#speed.addEventListener("change", () => events.setSpeed(Number(this.#speed!.value)));
    }
  }

  /** The speed chosen, in steps per second. */
  get speed(): number {
    return this.#speed ? Number(this.#speed.value) || 1 : 1;
  }

  update(s: TimebarState): void {
    const atStart = s.position === 0;
    const atEnd = s.position >= s.total;
    disable(this.#first, atStart);
    disable(this.#back, atStart);
    disable(this.#forward, atEnd);
    disable(this.#last, atEnd);
    disable(this.#play, s.total === 0);
    disable(this.#undo, !s.canUndo);
    disable(this.#redo, !s.canRedo);
    if (this.#play) {
      const text = s.playing ? "❚❚ Pause" : "▶ Play";
      if (this.#play.textContent !== text) this.#play.textContent = text;
      this.#play.setAttribute("aria-pressed", String(s.playing));
    }
    if (this.#scrubber) {
      const max = String(s.total);
      if (this.#scrubber.max !== max) this.#scrubber.max = max;
      if (this.#scrubber.value !== String(s.position)) this.#scrubber.value = String(s.position);
      this.#scrubber.disabled = s.total === 0;
      this.#scrubber.setAttribute("aria-valuetext", `step ${s.position} of ${s.total}${s.call ? `: ${s.call}` : ""}`);
    }
    if (this.#label) {
      const text = s.total === 0 ? "No steps yet" : `Step ${s.position} of ${s.total}`;
      if (this.#label.textContent !== text) this.#label.textContent = text;
      this.#label.title = s.call ?? "";
    }
  }
}

function disable(el: HTMLButtonElement | null, disabled: boolean): void {
  if (el && el.disabled !== disabled) el.disabled = disabled;
}
