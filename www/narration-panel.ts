/**
 * The narration: the banner (the sentence for where the heap stands, an ARIA live region) and
 * the log of every step, newest first. The sentences themselves are written when a step runs
 * (narration.ts) and kept with it in the timeline; this panel shows them, and says what the
 * heap is before the first step.
 */

import { isSeed } from "./allocators";
import { policyInfo } from "./engine";
import { bytes, hex } from "./format";
import type { Mount, Panel, View } from "./panel";
import type { Step } from "./timeline";

/** One entry of the log. */
interface LogEntry {
  text: string;
  error: boolean;
  /** The address of the simulated segmentation fault the step ran into, if it crashed. */
  fault?: number;
  /** For a step: the timeline position after it (1-based). Refused typed operations have none. */
  step?: number;
}

/** The banner and the log. Either may be missing (an embedded playground has no log). */
export class NarrationPanel implements Panel {
  readonly #banner: HTMLElement | null;
  readonly #log: HTMLOListElement | null;

  static mount({ find, host }: Mount): NarrationPanel | null {
    const banner = find("narration");
    const log = find<HTMLOListElement>("log");
    return banner || log ? new NarrationPanel(banner, log, (step) => host.goTo(step)) : null;
  }

  /** `onStep` is called with a step's position when its log entry is chosen. */
  constructor(banner: HTMLElement | null, log: HTMLOListElement | null, onStep: (step: number) => void) {
    this.#banner = banner;
    this.#log = log;
    if (!log) return;
    const choose = (e: Event): void => {
      const li = (e.target as Element).closest<HTMLElement>("li[data-step]");
      if (li) onStep(Number(li.dataset.step));
    };
    log.addEventListener("click", choose);
    log.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        choose(e);
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        // Move between entries without leaving the list.
        const li = (e.target as Element).closest("li");
        const to = (e.key === "ArrowDown" ? li?.nextElementSibling : li?.previousElementSibling) as HTMLElement | null;
        if (to?.tabIndex === 0) {
          e.preventDefault();
          to.focus();
        }
      }
    });
  }

  update(view: View): void {
    const change = view.change;
    switch (change?.kind) {
      case "step": {
        // A new step replaces the steps ahead (and the errors tried since).
        const step = view.step!;
        this.#dropUndone();
        this.#setBanner(stepText(step), false, step.fault?.address);
        this.#append(entry(step, view.position));
        return;
      }
      case "refused":
        this.#append({ text: change.text, error: true });
        return;
      case "started":
        this.#log?.replaceChildren();
        this.#setBanner(change.text ?? welcome(view), false);
        return;
      case "loaded":
        this.#log?.replaceChildren();
        view.steps.forEach((s, i) => this.#append(entry(s, i + 1)));
        this.#showStep(view);
        return;
      case "moved":
        this.#showStep(view);
        return;
    }
  }

  #append(entry: LogEntry): void {
    const log = this.#log;
    if (!log) return;
    // Newest first, numbered in the text rather than by the list, so that adding an entry
    // leaves the others untouched (list numbering would mark every item for layout again).
    const li = document.createElement("li");
    if (entry.error) li.className = "error";
    if (entry.fault !== undefined) {
      li.classList.add("fault");
      li.dataset.fault = String(entry.fault);
    }
    if (entry.step !== undefined) {
      li.dataset.step = String(entry.step);
      li.tabIndex = 0;
      li.title = "Show the heap as it was after this step";
    }
    const n = document.createElement("span");
    n.className = "n";
    n.textContent = entry.step !== undefined ? String(entry.step) : "✕";
    if (entry.step === undefined) n.setAttribute("aria-label", "refused");
    li.append(n, entry.text);
    log.prepend(li);
    // Keep the log bounded: a scripted run of thousands of operations should not slow the page.
    if (log.childElementCount > 300) log.lastElementChild!.remove();
  }

  /** Shows the heap at the view's position: its sentence in the banner, later steps as ahead. */
  #showStep(view: View): void {
    const at = view.position;
    this.#setBanner(positionText(view), view.step !== null && !view.step.ok, view.step?.fault?.address);
    if (!this.#log) return;
    for (const li of this.#log.querySelectorAll<HTMLElement>("li[data-step]")) {
      const n = Number(li.dataset.step);
      li.classList.toggle("undone", n > at);
      li.classList.toggle("current", n === at);
      if (n === at) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
  }

  /** Shows `text`; a refusal and a crash (`fault`: its address) are marked as such. */
  #setBanner(text: string, refused: boolean, fault?: number): void {
    const banner = this.#banner;
    if (!banner) return;
    if (banner.textContent !== text) banner.textContent = text;
    banner.classList.toggle("refused", refused);
    banner.classList.toggle("fault", fault !== undefined);
    if (fault !== undefined) banner.dataset.fault = String(fault);
    else delete banner.dataset.fault;
  }

  /** Removes the entries of steps ahead (and the errors among them), as a new step replaces them. */
  #dropUndone(): void {
    const log = this.#log;
    if (!log) return;
    const undone = log.querySelectorAll("li.undone");
    if (undone.length === 0) return;
    // Everything above the newest kept step goes: the undone steps and the errors tried since.
    const kept = log.querySelector("li[data-step]:not(.undone)");
    while (log.firstElementChild && log.firstElementChild !== kept) log.firstElementChild.remove();
    for (const li of log.querySelectorAll("li.current")) {
      li.classList.remove("current");
      li.removeAttribute("aria-current");
    }
  }
}

/**
 * A step's sentence, and after it what the heap's check found (with checks off): what broke
 * and what a C program would run into next.
 */
function stepText(step: Step): string {
  return step.ok && step.damage ? `${step.text} ${sentence(step.damage)}` : step.text;
}

/** A clause as a sentence of its own: a capital letter first, a full stop last. */
function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

/** A step's entry in the log. */
function entry(step: Step, position: number): LogEntry {
  const e: LogEntry = { text: stepText(step), error: !step.ok || !!step.fault, step: position };
  if (step.fault) e.fault = step.fault.address;
  return e;
}

/** The banner for where the view stands: the step's sentence, or what comes before step 1. */
function positionText(view: View): string {
  const step = view.step;
  if (!step) return startText(view);
  const where = step.spec.line !== undefined ? ` (line ${step.spec.line})` : "";
  return `Step ${view.position}${where}: ${step.ok ? stepText(step) : `${step.call} is refused: ${step.text}`}`;
}

/** What the heap is before step 1. */
function startText(view: View): string {
  const n = view.steps.length;
  const base = view.base;
  if (n === 0) return base ? `The heap after ${base.label}.` : welcome(view);
  const start = base ? `The heap after ${base.label}` : "An empty heap";
  return `${start}, before step 1 of ${n}. Step forward (→) to run the first step, or press Play.`;
}

/** The sentence for a new, empty heap: which allocator, where the heap starts. */
function welcome({ options: o, layout }: View): string {
  const what = isSeed(o)
    ? `the brief's allocator: ${policyInfo(o.policy).words}, no splitting, no coalescing, and only the last block goes back to the system`
    : `${policyInfo(o.policy).words}${o.split ? ", splitting" : ""}${o.coalesce ? ", coalescing" : ""}${o.trim ? ", trimming" : ""}`;
  const checks = o.checks ? "" : "; checks off, as C does: free, realloc and the writes validate nothing";
  const derive = o.derive ? "; next derived from each size, not stored" : "";
  return `A new, empty heap (${what}${derive}${checks}). The heap starts at ${hex(layout.heapStart)} and the break is there too: type a size and press Enter to malloc ${bytes(24)}.`;
}
