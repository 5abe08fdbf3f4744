/**
 * Side by side: the session's steps replayed on other allocators (each its own heap), drawn one
 * under another to the same scale, bytes from each heap's start lined up, with their stats. It
 * follows the timeline: step back on the page and every heap here steps back too.
 *
 * Each heap replays the same steps; a `free` or `realloc` finds its block by the step that
 * returned it, wherever that allocator put it. A step one allocator refuses is said so in its
 * row. The panel does nothing while it is closed.
 */

import { ALLOCATORS, allocatorLabel, optionsLabel } from "./allocators";
import { Engine, type Layout } from "./engine";
import { bytes, count, percent } from "./format";
import type { Mount, Panel, View } from "./panel";
import { heapPicture } from "./picture";
import type { StepSpec } from "./session";
import { Timeline, type Base } from "./timeline";
import type { Options, PlaygroundOptions } from "./types";

/** The allocators ticked when the panel first opens: the seed beside best fit with coalescing. */
const DEFAULT_CHOICES = ["seed", "best-fit"];

/** Heaps with more blocks than this are summed up, not drawn. */
const MAX_DRAWN = 3000;

/** One allocator's heap and the steps it has replayed. */
interface Row {
  id: string;
  options: PlaygroundOptions;
  engine: Engine;
  timeline: Timeline;
  base: Base | null;
  failed: string | null;
  el: HTMLElement;
  /** Its heap was made with other options (checks, derive): replayed from the start. */
  stale: boolean;
}

export class ComparePanel implements Panel {
  readonly #details: HTMLDetailsElement;
  readonly #choices: HTMLElement;
  readonly #rows: HTMLElement;
  readonly #list: Row[] = [];
  /** The page's steps, position, base and options, as the last view had them. */
  #view: Pick<View, "steps" | "position" | "base"> & { checks: boolean; derive: boolean } = { steps: [], position: 0, base: null, checks: true, derive: false };
  #pending = 0;
  #creating: Promise<void> | null = null;

  static mount({ find }: Mount): ComparePanel | null {
    const details = find<HTMLDetailsElement>("compare");
    const choices = find("compare-choices");
    const rows = find("compare-rows");
    return details && choices && rows && new ComparePanel(details, choices, rows);
  }

  constructor(details: HTMLDetailsElement, choices: HTMLElement, rows: HTMLElement) {
    this.#details = details;
    this.#choices = choices;
    this.#rows = rows;
    for (const a of ALLOCATORS) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = a.id;
      box.checked = DEFAULT_CHOICES.includes(a.id);
      const text = allocatorLabel(a);
      label.append(box, ` ${text.replace(/ \(.*\)$/, "")}`);
      label.title = text;
      this.#choices.append(label);
      box.addEventListener("change", () => this.#schedule());
    }
    this.#details.addEventListener("toggle", () => this.#schedule());
  }

  /** Follows the page's timeline (once the panel is open, a frame later). */
  update(view: View): void {
    // Every heap side by side checks as the page's does (with checks off, each breaks its own
    // way) and finds `next` as the page's does (stored, or derived and drawn dotted).
    const { checks, derive } = view.options;
    this.#view = { steps: view.steps, position: view.position, base: view.base, checks, derive };
    this.#schedule();
  }

  /** The rows drawn now, for tests: each allocator's options and its blocks. */
  get rows(): { id: string; options: Options; layout: Layout }[] {
    return this.#list.map((r) => ({ id: r.id, options: r.engine.options(), layout: r.engine.layout() }));
  }

  #schedule(): void {
    if (!this.#details.open || this.#pending) return;
    this.#pending = requestAnimationFrame(() => {
      this.#pending = 0;
      void this.sync();
    });
  }

  /** Brings every chosen allocator's heap to the page's step, and redraws the rows. */
  async sync(): Promise<void> {
    if (!this.#details.open) return;
    await this.#creating;
    const chosen = [...this.#choices.querySelectorAll<HTMLInputElement>("input:checked")].map((b) => b.value);
    // Heaps for newly chosen allocators; heaps no longer chosen are let go.
    for (let i = this.#list.length - 1; i >= 0; i--) {
      const row = this.#list[i]!;
      if (!chosen.includes(row.id)) {
        row.engine.destroy();
        row.el.remove();
        this.#list.splice(i, 1);
      }
    }
    const missing = chosen.filter((id) => !this.#list.some((r) => r.id === id));
    if (missing.length) {
      this.#creating = (async () => {
        for (const id of missing) {
          const options = { ...ALLOCATORS.find((a) => a.id === id)!.options, checks: this.#view.checks, derive: this.#view.derive };
          const el = document.createElement("div");
          el.className = "compare-row";
          this.#list.push({ id, options, engine: await Engine.create(options), timeline: new Timeline(), base: null, failed: null, el, stale: false });
        }
      })();
      await this.#creating;
      this.#creating = null;
      // Keep the rows in the order of the choices.
      this.#list.sort((a, b) => chosen.indexOf(a.id) - chosen.indexOf(b.id));
    }
    this.#rows.replaceChildren(...this.#list.map((r) => r.el));

    const { steps, position, base, checks, derive } = this.#view;
    const specs = steps.map((s) => s.spec);
    for (const row of this.#list) {
      if (row.options.checks !== checks || (row.options.derive ?? false) !== derive) {
        row.options = { ...row.options, checks, derive };
        row.stale = true;
      }
      this.#replay(row, specs, position, base);
    }
    this.#draw();
  }

  /** Brings `row` to `position` of `specs`, on `base`: forward where it can, else from the start. */
  #replay(row: Row, specs: StepSpec[], position: number, base: Base | null): void {
    const t = row.timeline;
    let same = !row.stale && row.base === base && t.steps.length <= specs.length;
    row.stale = false;
    for (let i = 0; same && i < t.steps.length; i++) same = t.steps[i]!.spec === specs[i];
    const reset = (): void => {
      row.engine.reset(row.options);
      row.failed = null;
      try {
        base?.rebuild(row.engine);
      } catch (e) {
        row.failed = `the heap before step 1 could not be built: ${e instanceof Error ? e.message : String(e)}`;
      }
    };
    if (!same) {
      t.clear();
      row.base = base;
      reset();
    }
    t.append(specs.slice(t.steps.length));
    t.steps.length = specs.length;
    if (t.position > specs.length) t.position = specs.length;
    t.goTo(row.engine, position, reset);
  }

  #draw(): void {
    const layouts = this.#list.map((r) => r.engine.layout());
    const extent = Math.max(1, ...layouts.map((l) => l.brk - l.heapStart));
    const width = Math.max(280, this.#rows.clientWidth - 60);
    // One scale for all: the same byte offset from each heap's start lands at the same x.
    const zoom = Math.min(4, width / extent);
    this.#list.forEach((row, k) => {
      const layout = layouts[k]!;
      const st = row.engine.totals();
      const t = row.timeline;
      const done = t.steps.slice(0, t.position);
      const refused = done.filter((s) => !s.ok);
      const crashed = done.filter((s) => s.fault);
      const head = document.createElement("div");
      head.className = "compare-head";
      const name = document.createElement("strong");
      name.textContent = optionsLabel(row.engine.options());
      const figures = document.createElement("span");
      figures.className = "compare-figures";
      figures.textContent = [
        count(st.blocks, "block") + (st.freeBlocks ? ` (${st.freeBlocks} free)` : ""),
        `heap ${bytes(layout.brk - layout.heapStart)}`,
        `free ${bytes(st.free)}`,
        `largest free ${bytes(st.largestFree)}`,
        `fragmentation ${percent(st.fragmentation)}`,
      ].join(" · ");
      head.append(name, figures);
      const parts: Node[] = [head];
      if (row.failed || refused.length || crashed.length) {
        const note = document.createElement("p");
        note.className = "compare-note";
        note.textContent = row.failed
          ? `Not comparable: ${row.failed}.`
          : (
              [
                [refused, "Refused here"],
                [crashed, "Crashed here"],
              ] as const
            )
              .filter(([list]) => list.length > 0)
              .map(([list, what]) => `${what}: ${list.map((s) => `step ${t.steps.indexOf(s) + 1} (${s.text})`).join("; ")}`)
              .join(". ");
        parts.push(note);
      }
      const picture = document.createElement("div");
      picture.className = "compare-picture";
      if (layout.count > MAX_DRAWN) {
        picture.textContent = `${count(layout.count, "block")}: too many to draw side by side.`;
      } else {
        picture.innerHTML = heapPicture(layout, {
          width,
          zoom,
          minHeader: 2,
          minData: 3,
          labels: layout.count <= 60,
          names: t.namesAt(),
          idPrefix: `cmp-${row.id}-`,
          title: `${optionsLabel(row.engine.options())}, step ${t.position}`,
          titleShown: false,
        });
      }
      parts.push(picture);
      row.el.dataset.allocator = row.id;
      row.el.replaceChildren(...parts);
    });
    this.#rows.dataset.position = String(this.#view.position);
  }
}
