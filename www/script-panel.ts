/**
 * The script box: a scenario typed or pasted, loaded into the timeline when it parses. A script
 * that does not parse runs nothing: the box says which line and column, and what was expected,
 * and puts the cursor there.
 */

import type { App, ScriptProblem } from "./app";
import type { Root } from "./controls";
import { sessionScript } from "./session";

/** Where the text cursor goes for a problem at `line`, `column` (both 1-based, in characters). */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i]!.length + 1;
  // Columns count characters (code points); JavaScript strings count UTF-16 units.
  const current = Array.from(lines[line - 1] ?? "");
  return offset + current.slice(0, Math.max(0, column - 1)).join("").length;
}

export class ScriptPanel {
  readonly #text: HTMLTextAreaElement;
  readonly #error: HTMLElement;

  constructor(root: Root, app: App) {
    this.#text = root.getElementById("script") as HTMLTextAreaElement;
    this.#error = root.getElementById("script-error") as HTMLElement;
    const load = (toEnd: boolean): void => {
      const problem = app.loadScript(this.#text.value, toEnd ? Number.MAX_SAFE_INTEGER : 0);
      this.show(problem);
    };
    root.getElementById("script-run")?.addEventListener("click", () => load(false));
    root.getElementById("script-run-all")?.addEventListener("click", () => load(true));
    root.getElementById("script-from-session")?.addEventListener("click", () => {
      const steps = app.timeline.steps;
      this.#text.value = sessionScript(
        steps.map((s) => s.spec),
        steps.map((s) => s.address),
      );
      this.show(null);
    });
    // Ctrl+Enter in the box steps through the script, as the primary button does.
    this.#text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        load(false);
      }
    });
    this.#text.addEventListener("input", () => {
      if (!this.#error.hidden) this.show(null);
    });
  }

  /** Shows a parse problem (with the cursor on it), or clears the last one. */
  show(problem: ScriptProblem | null): void {
    if (!problem) {
      this.#error.hidden = true;
      this.#error.textContent = "";
      this.#text.removeAttribute("aria-invalid");
      this.#text.removeAttribute("aria-errormessage");
      return;
    }
    this.#error.textContent = `The script was not run: ${problem.message}`;
    this.#error.hidden = false;
    this.#text.setAttribute("aria-invalid", "true");
    this.#text.setAttribute("aria-errormessage", "script-error");
    const at = offsetOf(this.#text.value, problem.line, problem.column);
    this.#text.focus();
    this.#text.setSelectionRange(at, Math.min(this.#text.value.length, at + 1));
  }

  get text(): string {
    return this.#text.value;
  }
}
