/**
 * The controls: the malloc, calloc, realloc and free forms, the allocator and its options, reset.
 *
 * Fields are handed to the allocator as typed (trimmed text), so that every check on them,
 * negative sizes, text that is not a number, sizes too large, happens in one place: the wasm
 * `Playground`, whose messages the page shows.
 */

import type { Operation } from "./engine";
import { hex } from "./format";
import type { Options, PlaygroundOptions, Policy } from "./types";

/** One entry of the allocator menu. */
interface Allocator {
  id: string;
  label: string;
  options: PlaygroundOptions;
}

/** The allocators on offer: the brief's seed first, then the improved one, then the policies. */
export const ALLOCATORS: readonly Allocator[] = [
  { id: "seed", label: "Seed (the brief's allocator)", options: { preset: "seed" } },
  { id: "default", label: "Improved (first fit + split + coalesce + trim)", options: { preset: "default" } },
  { id: "next-fit", label: "Next fit + split + coalesce + trim", options: { preset: "default", policy: "next-fit" } },
  { id: "best-fit", label: "Best fit + split + coalesce + trim", options: { preset: "default", policy: "best-fit" } },
  { id: "worst-fit", label: "Worst fit + split + coalesce + trim", options: { preset: "default", policy: "worst-fit" } },
  { id: "segregated", label: "Segregated free lists + split + coalesce + trim", options: { preset: "default", policy: "segregated" } },
];

/** What the controls ask of the page. */
export interface ControlEvents {
  run(op: Operation): boolean;
  configure(options: PlaygroundOptions): void;
  reset(): void;
}

/** A field's text as the allocator should see it: trimmed, or `undefined` when left empty. */
function field(input: HTMLInputElement): string | undefined {
  const text = input.value.trim();
  return text === "" ? undefined : text;
}

/** Where the controls live: the page, or a playground element's shadow root. */
export type Root = Document | ShadowRoot;

/** Binds the operation forms and the allocator menu found in `root` (see index.html). */
export class Controls {
  readonly #select: HTMLSelectElement;
  readonly #split: HTMLInputElement;
  readonly #coalesce: HTMLInputElement;
  readonly #trim: HTMLInputElement;
  readonly #reallocAddress: HTMLInputElement;
  readonly #freeAddress: HTMLInputElement;

  constructor(root: Root, events: ControlEvents) {
    const byId = <T extends HTMLElement>(id: string): T => {
      const el = root.getElementById(id);
      if (!el) throw new Error(`the playground has no #${id}`);
      return el as T;
    };
    this.#select = byId<HTMLSelectElement>("allocator");
    this.#split = byId<HTMLInputElement>("opt-split");
    this.#coalesce = byId<HTMLInputElement>("opt-coalesce");
    this.#trim = byId<HTMLInputElement>("opt-trim");
    this.#reallocAddress = byId<HTMLInputElement>("realloc-address");
    this.#freeAddress = byId<HTMLInputElement>("free-address");
    for (const a of ALLOCATORS) this.#select.add(new Option(a.label, a.id));
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
    byId<HTMLButtonElement>("reset").addEventListener("click", () => events.reset());
  }

  #policy(): Policy {
    const a = ALLOCATORS.find((x) => x.id === this.#select.value);
    return a?.options.policy ?? (this.#select.dataset.policy as Policy | undefined) ?? "first-fit";
  }

  /** Shows the options in force. */
  show(options: Options): void {
    this.#split.checked = options.split;
    this.#coalesce.checked = options.coalesce;
    this.#trim.checked = options.trim;
    this.#select.dataset.policy = options.policy;
    const seed = options.policy === "first-fit" && !options.split && !options.coalesce && !options.trim;
    const improved = options.split && options.coalesce && options.trim;
    const match = seed ? "seed" : improved ? (options.policy === "first-fit" ? "default" : options.policy) : "custom";
    this.#select.value = match;
  }

  /** Offers the block whose data starts at `address` to the free and realloc fields. */
  target(address: number): void {
    this.#reallocAddress.value = hex(address);
    this.#freeAddress.value = hex(address);
  }
}

/** The allocator id of a URL's `?allocator=` (default: the seed, the brief's allocator). */
export function allocatorFromUrl(search: string): PlaygroundOptions {
  const id = new URLSearchParams(search).get("allocator");
  return ALLOCATORS.find((a) => a.id === id)?.options ?? { preset: "seed" };
}

/** A short name for a set of options: "seed", "best fit + split + coalesce + trim", … */
export function optionsLabel(o: Options): string {
  if (o.policy === "first-fit" && !o.split && !o.coalesce && !o.trim) return "Seed (first fit, no split, no coalesce)";
  const parts = [o.policy.replace("-", " ")];
  if (o.split) parts.push("split");
  if (o.coalesce) parts.push("coalesce");
  if (o.trim) parts.push("trim");
  const text = parts.join(" + ");
  return text[0]!.toUpperCase() + text.slice(1);
}
