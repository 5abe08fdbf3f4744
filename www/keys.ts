/**
 * Keyboard shortcuts, listened for on the page (or on a `<brk-playground>` element, so that
 * each embedded playground answers only when focus is inside it), and their list (`SHORTCUTS`,
 * shown in `#shortcut-list` where the root has one). Keys typed into a field, or that a focused
 * control uses itself (arrows on a block or the scrubber, Space on a button), are left alone.
 */

import type { Host, Mount, Panel } from "./panel";

/** What the shortcuts ask of the playground. */
export type KeyEvents = Pick<Host, "step" | "goTo" | "togglePlay" | "undo" | "redo">;

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

/** Fills a `<dl>` with the shortcuts, keys in `<kbd>`. */
function list(dl: HTMLElement): void {
  for (const [keys, what] of SHORTCUTS) {
    const dt = document.createElement("dt");
    for (const [i, key] of keys.split(" ").entries()) {
      if (i > 0) dt.append(" ");
      if (key === "or" || key === "then" || key.endsWith(",")) dt.append(key);
      else {
        const kbd = document.createElement("kbd");
        kbd.textContent = key;
        dt.append(kbd);
      }
    }
    const dd = document.createElement("dd");
    dd.textContent = what;
    dl.append(dt, dd);
  }
}

export class Keys implements Panel {
  readonly #abort = new AbortController();

  /** Shortcuts where the playground listens for keys (none: `keys` is `null`). */
  static mount({ keys, find, host }: Mount): Keys | null {
    return keys && new Keys(keys, find, host);
  }

  /** `find` gives the fields the shortcuts focus (M, S) and the list `?` shows. */
  constructor(target: HTMLElement | Document, find: Mount["find"], events: KeyEvents) {
    const shortcuts = find<HTMLDetailsElement>("shortcuts");
    const dl = find("shortcut-list");
    if (dl && dl.childElementCount === 0) list(dl);
    const focus = (id: string): void => find(id)?.focus();
    const help = (): void => {
      if (!shortcuts) return;
      shortcuts.open = !shortcuts.open;
      shortcuts.querySelector("summary")?.focus();
    };
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
          return act(() => focus("malloc-size"));
        case "s":
        case "S":
          return act(() => focus("script"));
        case "?":
          return act(help);
      }
    }, { signal: this.#abort.signal });
  }

  /** The view changes nothing here. */
  update(): void {}

  /** Stops listening. */
  dispose(): void {
    this.#abort.abort();
  }
}
