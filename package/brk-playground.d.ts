/**
 * `<brk-playground>`: the brkalloc playground as a custom element. Importing this module (or
 * loading it with `<script type="module">`) defines the element; its WebAssembly module,
 * brkalloc_bg.wasm, is fetched from beside the script.
 *
 * These declarations are written by hand and checked against the element's source
 * (www/element.ts in the brkalloc repository) by `tsc` whenever the package is built.
 */

/** One operation, as the playground's controls do it. Sizes and addresses may be numbers or text. */
export type BrkOperation =
  | { op: "malloc"; size: unknown }
  | { op: "free"; address: unknown }
  | { op: "realloc"; address: unknown; size: unknown }
  | { op: "calloc"; count: unknown; size: unknown };

/** The playground inside an element: its steps, and the operations it can run. */
export interface BrkPlaygroundApp {
  /** The steps so far, and how many of them the heap has now. */
  readonly timeline: {
    readonly steps: readonly unknown[];
    readonly position: number;
  };
  /** Runs one operation after the current step, as the controls do; false when it was refused. */
  run(operation: BrkOperation): boolean;
  /** Shows the heap after `step` steps (0: before the first). */
  goTo(step: number): void;
  /** Moves `delta` steps forward (or back, when negative). */
  step(delta: number): void;
  /** Plays the remaining steps, one at a time. */
  play(): void;
  /** Stops playing. */
  pause(): void;
}

/** What `brk-step` says: the step now shown, of how many. */
export interface BrkStepDetail {
  position: number;
  total: number;
}

/**
 * The element. Attributes: `script` (else the text content), `preset` (`seed`, `default`),
 * `policy`, `split`, `coalesce`, `trim`, `derive` (present = on, `="false"` = off), `checks` (`on`,
 * or `off`: as C does; not with `derive`), `lesson` (`overflow`, `off-by-one`, `use-after-free`, `double-free`,
 * `interior-free`, `leak`), `controls` (`full`, `steps`, `none`), `start-step`, `height`. It fires `brk-step` (a `CustomEvent<BrkStepDetail>`)
 * after each change and sets `data-ready="true"` once drawn.
 */
export declare class BrkPlayground extends HTMLElement {
  static readonly observedAttributes: readonly string[];
  /** This element's playground, once its module has loaded (else `null`). */
  get playground(): BrkPlaygroundApp | null;
  /** Resolves to this element's playground once it is drawn. */
  get ready(): Promise<BrkPlaygroundApp>;
  connectedCallback(): void;
  attributeChangedCallback(name: string, before: string | null, after: string | null): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "brk-playground": BrkPlayground;
  }
  interface HTMLElementEventMap {
    "brk-step": CustomEvent<BrkStepDetail>;
  }
}
