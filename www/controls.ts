/**
 * The controls: the malloc, calloc, realloc and free forms, the writes into a block (strcpy,
 * memset, p[i] = byte, memcpy), the allocator and its options, where `next` comes from, the
 * checks, reset.
 *
 * Fields are handed to the allocator as typed (trimmed text), so that every check on them,
 * negative sizes, text that is not a number, sizes too large, bytes over 255, happens in one
 * place: the wasm `Playground`, whose messages the page shows. Two things are read here first:
 * a name a script gave a pointer (`a`) stands for the address it holds, dangling or not, as it
 * would in C; and a byte written as a character (`'A'`, `A`) is its code.
 */

import { ALLOCATORS, DEFAULT_POLICY, allocatorId, allocatorLabel } from "./allocators";
import type { Operation } from "./engine";
import { hex } from "./format";
import type { Host, Mount, Panel, View } from "./panel";
import type { PointerName } from "./timeline";
import type { Options, Policy } from "./types";

/** What the controls ask of the playground (`configure(undefined)`: reset, same options). */
export type ControlEvents = Pick<Host, "run" | "configure">;

/** A field's text as the allocator should see it: trimmed, or `undefined` when left empty. */
function field(input: HTMLInputElement): string | undefined {
  const text = input.value.trim();
  return text === "" ? undefined : text;
}

/** The escapes a character literal may use (`'\0'`), as a script's. */
const ESCAPES: Record<string, number> = { "0": 0, n: 10, t: 9, r: 13, "\\": 92, "'": 39, '"': 34 };

/** A byte field: a character (`'A'`, `A`, `'\0'`) is its code; anything else goes to the allocator as typed. */
export function byteField(input: HTMLInputElement): string | number | undefined {
  const text = field(input);
  if (text === undefined) return undefined;
  const quoted = /^'(.|\\.)'$/u.exec(text);
  const inner = quoted ? quoted[1]! : [...text].length === 1 && !/[0-9]/.test(text) ? text : null;
  if (inner === null) return text;
  if (inner.length === 2 && inner[0] === "\\") return ESCAPES[inner[1]!] ?? text;
  const code = inner.codePointAt(0)!;
  return code < 0x80 ? code : text;
}

/** Binds the operation forms and the allocator menu (see template.ts). */
export class Controls implements Panel {
  readonly #select: HTMLSelectElement;
  readonly #split: HTMLInputElement;
  readonly #coalesce: HTMLInputElement;
  readonly #trim: HTMLInputElement;
  readonly #reallocAddress: HTMLInputElement;
  readonly #freeAddress: HTMLInputElement;
  readonly #writeAddress: HTMLInputElement | null;
  readonly #checks: HTMLSelectElement | null;
  /** Where `next` comes from: "stored" in each header, or "derived" from the size. */
  readonly #derive: HTMLSelectElement | null;
  /** The names scripts gave pointers, as the last view had them: a name typed stands for its address. */
  #names: ReadonlyMap<number, PointerName[]> = new Map();

  static mount({ find, need, host }: Mount): Controls | null {
    return find("malloc-form") && new Controls(need, host, find);
  }

  constructor(byId: Mount["need"], events: ControlEvents, find: Mount["find"] = () => null) {
    this.#select = byId<HTMLSelectElement>("allocator");
    this.#split = byId<HTMLInputElement>("opt-split");
    this.#coalesce = byId<HTMLInputElement>("opt-coalesce");
    this.#trim = byId<HTMLInputElement>("opt-trim");
    this.#reallocAddress = byId<HTMLInputElement>("realloc-address");
    this.#freeAddress = byId<HTMLInputElement>("free-address");
    this.#writeAddress = find<HTMLInputElement>("write-address");
    this.#checks = find<HTMLSelectElement>("opt-checks");
    this.#derive = find<HTMLSelectElement>("opt-derive");
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
    if (this.#writeAddress) this.#bindWrites(byId, submit);

    // A new allocator keeps the checks and where `next` comes from as they are; new checks keep
    // the allocator.
    const checks = (): boolean => this.#checks?.value !== "off";
    const derive = (): boolean => this.#derive?.value === "derived";
    this.#select.addEventListener("change", () => {
      const a = ALLOCATORS.find((x) => x.id === this.#select.value);
      if (a) events.configure({ ...a.options, derive: derive(), checks: checks() });
    });
    const custom = (): void =>
      events.configure({
        policy: this.#policy(),
        split: this.#split.checked,
        coalesce: this.#coalesce.checked,
        trim: this.#trim.checked,
        derive: derive(),
        checks: checks(),
      });
    for (const box of [this.#split, this.#coalesce, this.#trim]) box.addEventListener("change", custom);
    this.#checks?.addEventListener("change", custom);
    this.#derive?.addEventListener("change", custom);
    byId<HTMLButtonElement>("reset").addEventListener("click", () => events.configure(undefined));
  }

  /** The write form: one destination, the fields of the call chosen shown. */
  #bindWrites(byId: Mount["need"], submit: (id: string, make: () => Operation) => void): void {
    const kind = byId<HTMLSelectElement>("write-op");
    const form = byId<HTMLFormElement>("write-form");
    const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
    const show = (): void => {
      for (const part of form.querySelectorAll<HTMLElement>("[data-write]")) {
        part.hidden = !part.dataset.write!.split(" ").includes(kind.value);
      }
    };
    kind.addEventListener("change", show);
    show();
    const address = (id: string): unknown => this.#address(field(input(id)));
    submit("write-form", (): Operation => {
      switch (kind.value) {
        case "memset":
          return { op: "memset", address: address("write-address"), byte: byteField(input("write-byte")), count: field(input("write-count")) };
        case "store":
          return { op: "store", address: address("write-address"), index: field(input("write-index")), byte: byteField(input("write-byte")) };
        case "memcpy":
          return { op: "memcpy", address: address("write-address"), src: address("write-src"), count: field(input("write-count")) };
        default:
          // The text as typed (the field is a string, so it is never read as a number).
          return { op: "strcpy", address: address("write-address"), text: input("write-text").value };
      }
    });
  }

  /**
   * An address field's text as the allocator should see it: a name a script gave a pointer is
   * the address it holds (a live one first, else a dangling one, as C would use it).
   */
  #address(text: string | undefined): unknown {
    if (text === undefined || !/^[A-Za-z_]\w*$/.test(text)) return text;
    let dangling: number | undefined;
    for (const [address, names] of this.#names) {
      for (const n of names) {
        if (n.name !== text) continue;
        if (!n.dangling) return address;
        dangling = address;
      }
    }
    return dangling ?? text;
  }

  /** Shows the options in force; after a step that returned a block, offers that block. */
  update(view: View): void {
    this.#names = view.names;
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
    if (this.#checks) this.#checks.value = options.checks ? "on" : "off";
    if (this.#derive) this.#derive.value = options.derive ? "derived" : "stored";
    if (this.#select.dataset.policy !== options.policy) this.#select.dataset.policy = options.policy;
    const id = allocatorId(options);
    if (this.#select.value !== id) this.#select.value = id;
  }

  /** Offers the block whose data starts at `address` to the free and realloc fields. */
  #target(address: number): void {
    this.#reallocAddress.value = hex(address);
    this.#freeAddress.value = hex(address);
    if (this.#writeAddress) this.#writeAddress.value = hex(address);
  }
}
