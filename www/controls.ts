/**
 * The controls: the malloc, calloc, realloc and free forms, the allocator and its options, reset.
 *
 * Fields are handed to the allocator as typed (trimmed text), so that every check on them,
 * negative sizes, text that is not a number, sizes too large, happens in one place: the wasm
 * `Playground`, whose messages the page shows.
 */

import { ALLOCATORS, DEFAULT_POLICY, allocatorId, allocatorLabel } from "./allocators";
import type { Operation } from "./engine";
import { hex } from "./format";
import type { Host, Mount, Panel, View } from "./panel";
import type { Options, Policy } from "./types";

/** What the controls ask of the playground (`configure(undefined)`: reset, same options). */
export type ControlEvents = Pick<Host, "run" | "configure">;

/** A field's text as the allocator should see it: trimmed, or `undefined` when left empty. */
function field(input: HTMLInputElement): string | undefined {
  const text = input.value.trim();
  return text === "" ? undefined : text;
}

/** Binds the operation forms and the allocator menu (see template.ts). */
export class Controls implements Panel {
  readonly #select: HTMLSelectElement;
  readonly #split: HTMLInputElement;
  readonly #coalesce: HTMLInputElement;
  readonly #trim: HTMLInputElement;
  readonly #reallocAddress: HTMLInputElement;
  readonly #freeAddress: HTMLInputElement;

  static mount({ find, need, host }: Mount): Controls | null {
    return find("malloc-form") && new Controls(need, host);
  }

  constructor(byId: Mount["need"], events: ControlEvents) {
    this.#select = byId<HTMLSelectElement>("allocator");
    this.#split = byId<HTMLInputElement>("opt-split");
    this.#coalesce = byId<HTMLInputElement>("opt-coalesce");
    this.#trim = byId<HTMLInputElement>("opt-trim");
    this.#reallocAddress = byId<HTMLInputElement>("realloc-address");
    this.#freeAddress = byId<HTMLInputElement>("free-address");
    for (const a of ALLOCATORS) this.#select.add(new Option(allocatorLabel(a), a.id));
    this.#select.add(new Option("Custom options", "custom"));
    this.#select.options[this.#select.options.length - 1]!.disabled = true;

    const size = byId<HTMLInputElement>("malloc-size");
    const submit = (id: string, make: () => Operation, after?: () => void): void => {
      byId<HTMLFormElement>(id).addEventListener("submit", (e) => {
        e.preventDefault();
        if (events.run(make())) after?.();
      });
    };
    submit("malloc-form", () => ({ op: "malloc", size: field(size) }), () => size.select());
    submit("calloc-form", () => ({
      op: "calloc",
      count: field(byId<HTMLInputElement>("calloc-count")),
      size: field(byId<HTMLInputElement>("calloc-size")),
    }));
    submit("realloc-form", () => ({
      op: "realloc",
      address: field(this.#reallocAddress),
      size: field(byId<HTMLInputElement>("realloc-size")),
    }));
    submit("free-form", () => ({ op: "free", address: field(this.#freeAddress) }));

    this.#select.addEventListener("change", () => {
      const a = ALLOCATORS.find((x) => x.id === this.#select.value);
      if (a) events.configure(a.options);
    });
    for (const box of [this.#split, this.#coalesce, this.#trim]) {
      box.addEventListener("change", () => {
        events.configure({
          policy: this.#policy(),
          split: this.#split.checked,
          coalesce: this.#coalesce.checked,
          trim: this.#trim.checked,
        });
      });
    }
    byId<HTMLButtonElement>("reset").addEventListener("click", () => events.configure(undefined));
  }

  /** Shows the options in force; after a step that returned a block, offers that block. */
  update(view: View): void {
    this.#show(view.options);
    const step = view.change?.kind === "step" ? view.step : null;
    if (step && step.address !== null) this.#target(step.address);
  }

  /** Offers the block pointed at to the free and realloc fields. */
  select(view: View): void {
    if (view.selected >= 0) this.#target(view.selected);
  }

  #policy(): Policy {
    const a = ALLOCATORS.find((x) => x.id === this.#select.value);
    return a?.options.policy ?? (this.#select.dataset.policy as Policy | undefined) ?? DEFAULT_POLICY;
  }

  /** Shows the options in force. */
  #show(options: Options): void {
    this.#split.checked = options.split;
    this.#coalesce.checked = options.coalesce;
    this.#trim.checked = options.trim;
    if (this.#select.dataset.policy !== options.policy) this.#select.dataset.policy = options.policy;
    const id = allocatorId(options);
    if (this.#select.value !== id) this.#select.value = id;
  }

  /** Offers the block whose data starts at `address` to the free and realloc fields. */
  #target(address: number): void {
    this.#reallocAddress.value = hex(address);
    this.#freeAddress.value = hex(address);
  }
}
