/**
 * `<brk-playground>`: the playground as a custom element, for tutorials. One script tag
 * defines it; each element has its own shadow DOM and its own heap (its own `Playground`), so
 * several on one page never touch each other.
 *
 * ```html
 * <script type="module" src="brk-playground.js"></script>
 * <brk-playground script="a = malloc(16); b = malloc(32); free(a)" controls="steps"></brk-playground>
 * <brk-playground preset="seed" controls="full" height="260">
 *   a = malloc(24)
 *   free(a)
 * </brk-playground>
 * ```
 *
 * Attributes:
 * - `script`: a scenario script; the element's text content is used when it is absent.
 * - `preset` (`seed` or `default`), `policy` (`first-fit`, `best-fit`, …), `split`, `coalesce`,
 *   `trim` (present means on; `="false"` means off): the allocator. Without any, the seed.
 * - `derive` (present means on; `="false"` means off): each block's `next` derived from its size
 *   (boundary tags) instead of stored in its header; the diagram draws those links dotted.
 *   It needs the checks on.
 * - `checks`: `on` (the default: free, realloc and the writes are checked, and a mistake is
 *   refused) or `off` (nothing is checked, as in C: the heap really breaks).
 * - `lesson`: one of the lessons (lessons.ts: `overflow`, `use-after-free`, …), shown with its
 *   explanation; its allocator, checks and script replace those attributes.
 * - `controls`: `full` (operations, allocator and timeline), `steps` (timeline only, the
 *   default) or `none` (the heap at `start-step`, with its narration).
 * - `start-step`: the step shown first (default 0; with `controls="none"`, the last).
 * - `height`: the tallest the diagram grows, in pixels (or any CSS length), before it scrolls.
 *
 * The element's `playground` property is its App (see app.ts); `ready` resolves to it. It
 * fires `brk-step` (detail: `{position, total}`) after each change.
 */

import { ALLOCATORS } from "./allocators";
import { App } from "./app";
import { Engine } from "./engine";
import { LessonPanel } from "./lesson-panel";
import { PANELS } from "./panels";
import css from "./styles.css?inline";
import { controlsMarkup } from "./template";
import type { PlaygroundOptions, Policy } from "./types";
import { POLICIES } from "./types";

/** What the `controls` attribute may say. */
type ControlsMode = "full" | "steps" | "none";

let sheet: CSSStyleSheet | null = null;

/** The playground's styles, shared by every element's shadow root. */
function styles(): CSSStyleSheet {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css + EMBED_CSS);
  }
  return sheet;
}

const EMBED_CSS = `
:host { display: block; color: var(--ink); font: 15px/1.5 var(--sans); -webkit-font-smoothing: antialiased; margin: 1em 0; }
:host([hidden]) { display: none; }
.embed { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 10px 12px 12px; display: flex; flex-direction: column; gap: 10px; container: playground / inline-size; }
.embed .panel { padding: 0; border: 0; box-shadow: none; }
.embed .controls { gap: 8px 16px; }
.embed .allocator { margin-left: 0; }
.embed-timebar { padding: 0; display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
.embed .error { margin: 0; }
.embed .sentence { font-size: 14.5px; border-left: 4px solid var(--start); padding: 2px 0 2px 10px; min-height: 1.5em; }
.embed .sentence.refused { border-left-color: var(--error); }
.embed .diagram { border: 1px solid var(--line); border-radius: 8px; min-height: 0; }
.embed .legend { font-size: 12px; }
.embed .derived-note { margin: 0; }
.embed .credit { font-size: 11.5px; color: var(--ink-faint); margin: 0; text-align: right; }
.embed .credit a { color: inherit; }
`;

/** Reads the element's allocator attributes. */
function optionsOf(el: HTMLElement): PlaygroundOptions {
  const options: PlaygroundOptions = {};
  const preset = el.getAttribute("preset");
  const policy = el.getAttribute("policy");
  if (preset !== null) {
    if (preset !== "seed" && preset !== "default") throw new Error(`preset="${preset}": the presets are "seed" (the brief's allocator) and "default"`);
    options.preset = preset;
  }
  if (policy !== null) {
    const known = ALLOCATORS.find((a) => a.id === policy);
    if ((POLICIES as readonly string[]).includes(policy)) options.policy = policy as Policy;
    else if (known) Object.assign(options, known.options);
    else throw new Error(`policy="${policy}": the policies are ${POLICIES.join(", ")}`);
  }
  for (const key of ["split", "coalesce", "trim", "derive"] as const) {
    const value = el.getAttribute(key);
    if (value !== null) options[key] = value !== "false";
  }
  const checks = el.getAttribute("checks");
  if (checks !== null) {
    const on = { on: true, true: true, "": true, off: false, false: false }[checks.trim().toLowerCase()];
    if (on === undefined) throw new Error(`checks="${checks}": checks are "on" (the default) or "off" (as C does)`);
    options.checks = on;
  }
  // Options left unsaid are the preset's; without a preset, the seed's (the brief's allocator).
  return { preset: "seed", ...options };
}

function controlsOf(el: HTMLElement): ControlsMode {
  const value = el.getAttribute("controls") ?? "steps";
  return value === "full" || value === "none" ? value : "steps";
}

/** The element's attributes (embed.html takes the same as query parameters). */
export const ATTRIBUTES = ["script", "preset", "policy", "split", "coalesce", "trim", "derive", "controls", "start-step", "height", "checks", "lesson"] as const;

/** The element. */
export class BrkPlayground extends HTMLElement {
  static readonly observedAttributes = ATTRIBUTES;

  #app: App | null = null;
  #ready: Promise<App> | null = null;
  #resolve: ((app: App) => void) | null = null;
  #built = false;
  #rebuild = 0;

  constructor() {
    super();
    this.#ready = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** This element's playground, once its module has loaded (else `null`). */
  get playground(): App | null {
    return this.#app;
  }

  /** Resolves to this element's playground once it is drawn. */
  get ready(): Promise<App> {
    return this.#ready!;
  }

  connectedCallback(): void {
    if (!this.#built) {
      this.#built = true;
      const root = this.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = [styles()];
      void this.#build();
    }
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (!this.#app || before === after) return;
    if (name === "start-step") {
      this.#app.goTo(this.#startStep());
      return;
    }
    if (name === "height") {
      this.#app.diagram.viewport.style.maxHeight = "";
      this.#app.render();
      return;
    }
    // Anything else starts the playground over, once, after the attributes settle.
    cancelAnimationFrame(this.#rebuild);
    this.#rebuild = requestAnimationFrame(() => void this.#build());
  }

  #startStep(): number {
    const raw = this.getAttribute("start-step");
    const mode = controlsOf(this);
    if (raw === null || raw.trim() === "") return mode === "none" ? Number.MAX_SAFE_INTEGER : 0;
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  }

  /** The tallest the diagram may grow, in pixels. */
  #maxHeight(): number {
    const raw = this.getAttribute("height");
    if (raw !== null) {
      const px = /^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$/.exec(raw);
      if (px) return Math.max(80, Number(px[1]));
      // Any other CSS length: measure it once through a probe element.
      const probe = document.createElement("div");
      probe.style.height = raw;
      this.shadowRoot!.append(probe);
      const h = probe.getBoundingClientRect().height;
      probe.remove();
      if (h > 0) return Math.max(80, h);
    }
    return Math.min(420, innerHeight * 0.6);
  }

  async #build(): Promise<void> {
    const root = this.shadowRoot!;
    const mode = controlsOf(this);
    this.#app?.destroy();
    this.#app = null;
    const full = mode === "full";
    root.innerHTML = `
      <div class="embed" part="frame">
        ${mode === "none" ? "" : controlsMarkup({ where: "element", operations: full, history: full })}
        <div id="error" class="error" role="alert" hidden></div>
        <div id="lesson" class="lesson" hidden></div>
        <p id="narration" class="sentence" aria-live="polite" aria-atomic="true"></p>
        <div id="diagram" class="diagram" role="group" aria-label="The heap: blocks from the heap start to the break"></div>
        <p id="derived-note" class="derived-note" hidden></p>
        <p class="credit">brkalloc · a real allocator running in WebAssembly</p>
      </div>`;
    const error = root.getElementById("error")!;
    const fail = (message: string): void => {
      error.textContent = message;
      error.hidden = false;
    };
    // Attributes that make no sense run nothing: the element says why, over an empty seed heap.
    let options: PlaygroundOptions = { preset: "seed" };
    let problem: string | null = null;
    try {
      options = optionsOf(this);
    } catch (e) {
      problem = `${e instanceof Error ? e.message : String(e)}. Nothing was run.`;
    }
    const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
    let engine: Engine | null = null;
    let refused: unknown = null;
    try {
      engine = await Engine.create(options);
    } catch (e) {
      refused = e;
    }
    if (!engine && problem === null) {
      // Options the allocator refuses together (derive with the checks off): it says why, over
      // an empty seed heap.
      problem = `${text(refused)}. Nothing was run.`;
      try {
        engine = await Engine.create({ preset: "seed" });
      } catch (e) {
        refused = e;
      }
    }
    if (!engine) {
      fail(`The playground could not start: ${text(refused)}`);
      return;
    }
    const app = new App(root, engine, { panels: PANELS, keys: mode === "none" ? null : this, maxHeight: () => this.#maxHeight(), minHeight: 130 });
    this.#app = app;
    const script = (this.getAttribute("script") ?? this.textContent ?? "").trim();
    const lesson = this.getAttribute("lesson");
    if (problem === null && lesson !== null) {
      try {
        app.panel(LessonPanel)?.open(app, lesson.trim(), this.#startStep());
      } catch (e) {
        problem = `lesson="${lesson}": ${e instanceof Error ? e.message : String(e)}. Nothing was run.`;
      }
    } else if (problem === null && script !== "") {
      const parsed = app.loadScript(script, this.#startStep());
      if (parsed) problem = `The script was not run: ${parsed.message}`;
    }
    if (problem !== null) app.showError(problem);
    app.history.clear();
    app.render();
    app.onChange(() => {
      this.dispatchEvent(
        new CustomEvent("brk-step", { detail: { position: app.timeline.position, total: app.timeline.steps.length }, bubbles: true, composed: true }),
      );
    });
    this.dataset.ready = "true";
    this.#resolve?.(app);
  }
}

if (!customElements.get("brk-playground")) customElements.define("brk-playground", BrkPlayground);

declare global {
  interface HTMLElementTagNameMap {
    "brk-playground": BrkPlayground;
  }
}
