/**
 * The note beside the diagram while the heap derives `next` instead of storing it (boundary
 * tags): why a real allocator finds the next header from the size, and how the diagram draws
 * such a link. With it, the legend's entry for a derived link, where the root has a legend.
 * Both are hidden while `next` is stored.
 */

import { CONSTANTS } from "./engine";
import type { Mount, Panel, View } from "./panel";

/** The note's words, for a header of `headerSize` bytes. */
export function derivedNoteText(headerSize: number): string {
  return (
    `<b><code>next</code> is derived, not stored</b> (boundary tags). Within a segment the next header ` +
    `always sits right after the data, at <code>header + ${headerSize} + size</code>, so the allocator ` +
    `works it out from the size. Storing it would cost a write on every split, merge and append, and ` +
    `would be a second copy of what the size already says, one that can go stale. Where the chain jumps ` +
    `from one segment to the next, the heap's segment table holds the link. Derived links are drawn dotted, ` +
    `with an open head.`
  );
}

/** Shows the note (`#derived-note`) and the legend's entry (`#legend-derived`) while `next` is derived. */
export class DerivedNote implements Panel {
  readonly #note: HTMLElement;
  readonly #legend: HTMLElement | null;

  static mount({ find }: Mount): DerivedNote | null {
    const note = find("derived-note");
    return note && new DerivedNote(note, find("legend-derived"));
  }

  constructor(note: HTMLElement, legend: HTMLElement | null) {
    this.#note = note;
    this.#legend = legend;
    note.innerHTML = derivedNoteText(CONSTANTS.headerSize);
  }

  update(view: View): void {
    const hidden = !view.options.derive;
    if (this.#note.hidden !== hidden) this.#note.hidden = hidden;
    if (this.#legend && this.#legend.hidden !== hidden) this.#legend.hidden = hidden;
  }
}
