/**
 * The error box (`#error`, `role="alert"`): why the heap refused what was asked, or what went
 * wrong outside it (a link, a file, an attribute). It is shown while the heap stands after a
 * refused step, and cleared by anything the heap does.
 */

import type { Mount, Panel, View } from "./panel";

export class ErrorBox implements Panel {
  readonly #el: HTMLElement;

  static mount({ find }: Mount): ErrorBox | null {
    const el = find("error");
    return el && new ErrorBox(el);
  }

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  update(view: View): void {
    const change = view.change;
    switch (change?.kind) {
      case undefined:
        return;
      case "refused":
      case "problem":
        return this.#show(change.text);
      case "moved":
      case "loaded":
        return this.#show(view.step && !view.step.ok ? view.step.text : null);
      default:
        return this.#show(null);
    }
  }

  #show(message: string | null): void {
    const el = this.#el;
    if (message === null) {
      if (!el.hidden) {
        el.hidden = true;
        el.textContent = "";
      }
      return;
    }
    el.textContent = message;
    el.hidden = false;
  }
}
