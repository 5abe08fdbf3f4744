/**
 * The segregated policy's size-class lists, beside the diagram: each non-empty class with the
 * free blocks on its list, in list order (the order `malloc` tries them). The blocks are the
 * same ones the diagram draws on the `next` chain; a list links them through the first words of
 * their data instead.
 *
 * Under the other policies the panel is hidden: they walk the chain and keep no lists.
 */

import { FIELD, FLAG_FREE } from "./engine";
import { bytes, hex } from "./format";
import type { Mount, Panel, View } from "./panel";

/** The lists panel. `section` is hidden whenever there is nothing to show. */
export class ListsPanel implements Panel {
  readonly #root: HTMLElement;
  readonly #section: HTMLElement | null;

  static mount({ find }: Mount): ListsPanel | null {
    const root = find("lists");
    return root && new ListsPanel(root, find("lists-panel"));
  }

  constructor(root: HTMLElement, section: HTMLElement | null) {
    this.#root = root;
    this.#section = section;
  }

  /** Shows the size-class lists over the view's blocks, when the policy keeps lists. */
  update(view: View): void {
    const lists = view.options.policy === "segregated" ? view.freeLists() : null;
    if (this.#section) this.#section.hidden = lists === null;
    this.#root.replaceChildren();
    if (lists === null) return;
    const { table: t, stride: s, count: n } = view.layout;
    const sizes = new Map<number, number>();
    for (let i = 0; i < n; i++) sizes.set(t[i * s + FIELD.header]!, t[i * s + FIELD.size]!);
    const headerSize = n > 0 ? t[FIELD.data]! - t[FIELD.header]! : 0;

    if (lists.length === 0) {
      const p = document.createElement("p");
      p.className = "lists-empty";
      p.textContent = "Every list is empty: no free block waits for reuse.";
      this.#root.append(p);
    } else {
      const ol = document.createElement("ol");
      ol.className = "lists";
      // It scrolls past a few classes: focusable, so that the keyboard can scroll it too.
      ol.tabIndex = 0;
      ol.setAttribute("aria-label", "Size classes and the free blocks on each list");
      for (const list of lists) {
        const li = document.createElement("li");
        li.dataset.class = String(list.class);
        li.dataset.minSize = String(list.minSize);
        const label = document.createElement("span");
        label.className = "lists-class";
        label.textContent = `class ${list.class} · ${bytes(list.minSize)} and up:`;
        li.append(label);
        for (const header of list.blocks) {
          const block = document.createElement("span");
          block.className = "lists-block";
          block.dataset.address = String(header + headerSize);
          block.textContent = `${hex(header + headerSize)} (${bytes(sizes.get(header) ?? 0)})`;
          li.append(" ", block);
        }
        ol.append(li);
      }
      this.#root.append(ol);
    }

    // A free last block is on no list: it is used only when no list has a block that fits.
    const last = (n - 1) * s;
    if (n > 0 && (t[last + FIELD.flags]! & FLAG_FREE) !== 0) {
      const p = document.createElement("p");
      p.className = "lists-top";
      p.dataset.address = String(t[last + FIELD.data]!);
      p.textContent =
        `The free last block at ${hex(t[last + FIELD.data]!)} (${bytes(t[last + FIELD.size]!)}) is on no list: ` +
        "it serves a malloc only when no list has a block that fits.";
      this.#root.append(p);
    }
  }
}
