/**
 * The timeline bar: first, back, play, forward, last, a scrubber over the steps, the playing
 * speed, and undo and redo. It only shows the timeline's state and reports what the reader
 * asks for; the app does the rest.
 */

import type { Host, Mount, Panel, View } from "./panel";

/** What the bar asks of the playground. */
export type TimebarEvents = Pick<Host, "goTo" | "step" | "togglePlay" | "setSpeed" | "undo" | "redo">;

/** The playing speeds on offer, in steps per second. */
export const SPEEDS = [0.5, 1, 2, 4, 8] as const;

/** Binds whichever of the bar's controls the root has. */
export class Timebar implements Panel {
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

  /** A bar for a root with a scrubber or a play button; none without either. */
  static mount({ find, host }: Mount): Timebar | null {
    return find("scrubber") || find("play") ? new Timebar(find, host) : null;
  }

  constructor(find: Mount["find"], events: TimebarEvents) {
    this.#first = find("step-first");
    this.#back = find("step-back");
    this.#play = find("play");
    this.#forward = find("step-forward");
    this.#last = find("step-last");
    this.#scrubber = find("scrubber");
    this.#label = find("step-label");
    this.#speed = find("speed");
    this.#undo = find("undo");
    this.#redo = find("redo");

    this.#first?.addEventListener("click", () => events.goTo(0));
    this.#back?.addEventListener("click", () => events.step(-1));
    this.#play?.addEventListener("click", () => events.togglePlay());
    this.#forward?.addEventListener("click", () => events.step(1));
    this.#last?.addEventListener("click", () => events.goTo(Number.MAX_SAFE_INTEGER));
    this.#scrubber?.addEventListener("input", () => events.goTo(Number(this.#scrubber!.value)));
    this.#undo?.addEventListener("click", () => events.undo());
    this.#redo?.addEventListener("click", () => events.redo());
    if (this.#speed) {
      const speed = this.#speed;
      if (speed.options.length === 0) {
        for (const s of SPEEDS) speed.add(new Option(`${s}×`, String(s), s === 1, s === 1));
      }
      speed.addEventListener("change", () => events.setSpeed(Number(speed.value) || 1));
      events.setSpeed(Number(speed.value) || 1);
    }
  }

  update(view: View): void {
    const { position, playing } = view;
    const total = view.steps.length;
    const call = view.step?.call ?? null;
    const atStart = position === 0;
    const atEnd = position >= total;
    disable(this.#first, atStart);
    disable(this.#back, atStart);
    disable(this.#forward, atEnd);
    disable(this.#last, atEnd);
    disable(this.#play, total === 0);
    disable(this.#undo, !view.canUndo);
    disable(this.#redo, !view.canRedo);
    if (this.#play) {
      const text = playing ? "❚❚ Pause" : "▶ Play";
      if (this.#play.textContent !== text) this.#play.textContent = text;
      this.#play.setAttribute("aria-pressed", String(playing));
    }
    if (this.#scrubber) {
      const max = String(total);
      if (this.#scrubber.max !== max) this.#scrubber.max = max;
      if (this.#scrubber.value !== String(position)) this.#scrubber.value = String(position);
      this.#scrubber.disabled = total === 0;
      this.#scrubber.setAttribute("aria-valuetext", `step ${position} of ${total}${call ? `: ${call}` : ""}`);
    }
    if (this.#label) {
      const fault = view.step?.fault;
      const text = total === 0 ? "No steps yet" : `Step ${position} of ${total}${fault ? " · crashed" : ""}`;
      if (this.#label.textContent !== text) this.#label.textContent = text;
      this.#label.title = call ?? "";
      this.#label.classList.toggle("fault", !!fault);
      if (fault) this.#label.dataset.fault = String(fault.address);
      else delete this.#label.dataset.fault;
    }
    if (this.#scrubber) {
      // Where the steps that crashed are, along the scrubber (a list the browser may draw as ticks).
      const faults = view.steps.flatMap((s, i) => (s.fault ? [i + 1] : []));
      const key = faults.join(",");
      if (this.#scrubber.dataset.faults !== key) {
        if (key) this.#scrubber.dataset.faults = key;
        else delete this.#scrubber.dataset.faults;
      }
    }
  }
}

function disable(el: HTMLButtonElement | null, disabled: boolean): void {
  if (el && el.disabled !== disabled) el.disabled = disabled;
}
