/**
 * The script box: a scenario typed or pasted, loaded into the timeline when it parses. A script
 * that does not parse runs nothing: the box says which line and column, and what was expected,
 * and puts the cursor there.
 */

import type { Host, Mount, Panel, ScriptProblem, View } from "./panel";
import { sessionScript } from "./session";
import type { Step } from "./timeline";

/** Where the text cursor goes for a problem at `line`, `column` (both 1-based, in characters). */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i]!.length + 1;
  // Columns count characters (code points); JavaScript strings count UTF-16 units.
  const current = Array.from(lines[line - 1] ?? "");
  return offset + current.slice(0, Math.max(0, column - 1)).join("").length;
}

export class ScriptPanel implements Panel {
  readonly #text: HTMLTextAreaElement;
  readonly #error: HTMLElement;
  /** The steps of the last view, for "From steps". */
  #steps: readonly Step[] = [];

  static mount({ find, host }: Mount): ScriptPanel | null {
    const text = find<HTMLTextAreaElement>("script");
    const error = find("script-error");
    return text && error && new ScriptPanel(text, error, find, host);
  }

  constructor(text: HTMLTextAreaElement, error: HTMLElement, find: Mount["find"], host: Pick<Host, "loadScript">) {
    this.#text = text;
    this.#error = error;
    const load = (toEnd: boolean): void => {
      const problem = host.loadScript(this.#text.value, toEnd ? Number.MAX_SAFE_INTEGER : 0);
      this.show(problem);
    };
    find("script-run")?.addEventListener("click", () => load(false));
    find("script-run-all")?.addEventListener("click", () => load(true));
    find("script-from-session")?.addEventListener("click", () => {
      const steps = this.#steps;
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

  update(view: View): void {
    this.#steps = view.steps;
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
}
