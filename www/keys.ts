/**
 * Keyboard shortcuts, listened for on the page (or on a `<brk-playground>` element, so that
 * each embedded playground answers only when focus is inside it). The list the page shows is
 * `SHORTCUTS`; keys typed into a field, or that a focused control uses itself (arrows on a
 * block or the scrubber, Space on a button), are left alone.
 */

/** What the shortcuts ask of the app. */
export interface KeyEvents {
  step(delta: number): void;
  goTo(step: number): void;
  togglePlay(): void;
  undo(): void;
  redo(): void;
  /** Moves focus to the element with this id, if the playground has one. */
  focus(id: string): void;
  /** Shows or hides the list of shortcuts. */
  help(): void;
}

/** The shortcuts, as the page lists them. */
export const SHORTCUTS: readonly [keys: string, what: string][] = [
  ["← →", "step back, step forward"],
  ["Home End", "first step, last step"],
  ["Space or K", "play, pause"],
  ["Ctrl+Z", "undo"],
  ["Ctrl+Shift+Z or Ctrl+Y", "redo"],
  ["M", "type a malloc size"],
  ["S", "edit the script"],
  ["Tab, then ← → on a block", "move between blocks; Enter or Delete frees one"],
  ["?", "show these shortcuts"],
];

/** Whether typing in `el` means text (where every key belongs to the field). */
function typing(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset", "range"].includes(el.type);
  return (el as HTMLElement).isContentEditable === true;
}

/** Whether a focused control already gives `key` a meaning of its own. */
function ownsKey(el: Element | null, key: string): boolean {
  if (!el) return false;
  const arrows = key.startsWith("Arrow") || key === "Home" || key === "End";
  if (arrows) return el.matches(".block, input[type=range], [role=tab], li[data-step]");
  if (key === " ") return el.matches("button, summary, a[href], input, li[data-step], .block, [role=button]");
  return false;
}

export class Keys {
  readonly #abort = new AbortController();

  constructor(target: HTMLElement | Document, events: KeyEvents) {
    target.addEventListener("keydown", (event) => {
      const e = event as KeyboardEvent;
      if (e.defaultPrevented || e.isComposing) return;
      const el = (e.composedPath()[0] as Element | undefined) ?? null;
      const ctrl = e.ctrlKey || e.metaKey;
      if (typing(el)) return;
      if (ctrl && !e.altKey) {
        const k = e.key.toLowerCase();
        if (k === "z") {
          e.preventDefault();
          if (e.shiftKey) events.redo();
          else events.undo();
        } else if (k === "y") {
          e.preventDefault();
          events.redo();
        }
        return;
      }
      if (e.altKey || ownsKey(el, e.key)) return;
      const act = (f: () => void): void => {
        e.preventDefault();
        f();
      };
      switch (e.key) {
        case "ArrowLeft":
          return act(() => events.step(-1));
        case "ArrowRight":
          return act(() => events.step(1));
        case "Home":
          return act(() => events.goTo(0));
        case "End":
          return act(() => events.goTo(Number.MAX_SAFE_INTEGER));
        case " ":
        case "k":
        case "K":
          return act(() => events.togglePlay());
        case "m":
        case "M":
          return act(() => events.focus("malloc-size"));
        case "s":
        case "S":
          return act(() => events.focus("script"));
        case "?":
          return act(() => events.help());
      }
    }, { signal: this.#abort.signal });
  }

  /** Stops listening. */
  dispose(): void {
    this.#abort.abort();
  }
}
