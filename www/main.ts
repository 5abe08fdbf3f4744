/**
 * The playground page: wires the wasm heap to the diagram, the controls, the narration, the
 * stats and the bytes inspector.
 *
 * Data flows one way: an action becomes an `Operation`, the Rust `Playground` carries it out,
 * and the page redraws from the heap's layout table, read from linear memory.
 */

import { BytesPanel } from "./bytes";
import { Controls, allocatorFromUrl } from "./controls";
import { Diagram } from "./diagram";
import { Engine, type Layout, type Operation } from "./engine";
import { bytes, hex } from "./format";
import { Narration, callText, narrate } from "./narration";
import { Overview } from "./overview";
import { StatsPanel } from "./stats";
import { Timeline } from "./timeline";
import type { OpResult, Options, PlaygroundOptions } from "./types";

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** The page's state and the one path every operation takes. */
class App {
  readonly engine: Engine;
  readonly diagram: Diagram;
  readonly #overview: Overview;
  readonly #stats: StatsPanel;
  readonly #bytes: BytesPanel;
  readonly #narration: Narration;
  readonly #controls: Controls;
  readonly #error = byId<HTMLElement>("error");
  readonly #timeline = new Timeline();
  readonly #back = byId<HTMLButtonElement>("step-back");
  readonly #forward = byId<HTMLButtonElement>("step-forward");
  readonly #headerSize: number;
  #layout: Layout;
  #inspected = -1;
  /** The options in force (read back from the heap whenever they change). */
  #options: Options;
  /** Time the last redraw took, in milliseconds (script, style and layout). */
  lastRenderMs = 0;

  constructor(engine: Engine) {
    this.engine = engine;
    const snapshot = engine.snapshot();
    this.#headerSize = snapshot.headerSize;
    this.#narration = new Narration(byId("narration"), byId("log"), (step) => this.goTo(step));
    this.#back.addEventListener("click", () => this.goTo(this.#timeline.position - 1));
    this.#forward.addEventListener("click", () => this.goTo(this.#timeline.position + 1));
    this.#stats = new StatsPanel(byId("stats"));
    this.#bytes = new BytesPanel(byId("bytes"), (a, n) => engine.read(a, n), snapshot.align);
    this.diagram = new Diagram(byId("diagram"), {
      free: (address) => {
        this.run({ op: "free", address });
      },
      inspect: (address) => this.inspect(address),
    });
    this.#overview = new Overview(byId("overview"), byId("overview-caption"), (address) => {
      this.diagram.reveal(address);
      this.#overview.setWindow(this.diagram.visibleRange());
    });
    this.diagram.viewport.addEventListener("scroll", () => this.#overview.setWindow(this.diagram.visibleRange()), {
      passive: true,
    });
    this.#controls = new Controls({
      run: (op) => this.run(op),
      configure: (options) => this.configure(options),
      reset: () => this.configure(undefined),
    });
    this.#bindView();
    this.#layout = engine.layout();
    this.#options = engine.options();
    this.#controls.show(this.#options);
    this.#narration.clear(this.#welcome());
    this.render();
  }

  /** Carries out one operation; on a refusal shows why and leaves the drawing as it was. */
  run(op: Operation): boolean {
    let result: OpResult;
    try {
      result = this.engine.run(op);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#showError(message);
      this.#narration.say({ call: callText(op), text: message, error: true });
      return false;
    }
    this.#clearError();
    if (result.address !== null) this.#inspected = result.address;
    const requested = op.op === "malloc" || op.op === "realloc" ? Number(op.size) : op.op === "calloc" ? Number(op.count) * Number(op.size) : NaN;
    const text = narrate(op, result, {
      options: this.#options,
      headerSize: this.#headerSize,
      blocksBefore: this.#layout.count,
      requested: Number.isFinite(requested) ? requested : null,
    });
    this.#timeline.record({ op, text, address: result.address });
    this.#narration.say({ call: callText(op), text, error: false, step: this.#timeline.position });
    this.render();
    if (result.address !== null) this.#controls.target(result.address);
    return true;
  }

  /**
   * Runs many operations and redraws once (for scenarios and benchmarks); stops at a refusal.
   * They are not narrated; the timeline starts after them.
   */
  runAll(ops: Operation[]): (number | null)[] {
    const out: (number | null)[] = [];
    try {
      for (const op of ops) out.push(this.engine.run(op).address);
    } finally {
      this.#timeline.clear();
      this.render();
    }
    return out;
  }

  /** Shows the heap as it was after `step` operations, rebuilt by replaying them. */
  goTo(step: number): void {
    const steps = this.#timeline.steps;
    if (step < 0 || step > steps.length || step === this.#timeline.position) return;
    try {
      this.#timeline.replay(this.engine, step, () => this.engine.reset({ ...this.#options }));
      this.#clearError();
    } catch (e) {
      this.#showError(e instanceof Error ? e.message : String(e));
    }
    const at = this.#timeline.position;
    this.#inspected = at > 0 ? (steps[at - 1]!.address ?? -1) : -1;
    this.#narration.showStep(at, at > 0 ? `Step ${at}: ${steps[at - 1]!.text}` : this.#welcome());
    this.render();
  }

  /** Starts a new heap: with `options`, or with the same options when `undefined`. */
  configure(options: PlaygroundOptions | undefined): void {
    try {
      this.engine.reset(options ?? { ...this.#options });
    } catch (e) {
      this.#showError(e instanceof Error ? e.message : String(e));
      return;
    }
    this.#clearError();
    this.#timeline.clear();
    this.#inspected = -1;
    this.#options = this.engine.options();
    this.#controls.show(this.#options);
    this.#narration.clear(this.#welcome());
    this.render();
  }

  /** Shows the bytes of the block whose data starts at `address`. */
  inspect(address: number): void {
    if (address === this.#inspected) return;
    this.#inspected = address;
    this.diagram.select(address);
    this.#bytes.show(this.#layout, address);
    this.#controls.target(address);
  }

  #showError(message: string): void {
    this.#error.textContent = message;
    this.#error.hidden = false;
  }

  #clearError(): void {
    if (!this.#error.hidden) {
      this.#error.hidden = true;
      this.#error.textContent = "";
    }
  }

  /** Redraws everything from the heap as it is now. */
  render(): void {
    const t0 = performance.now();
    this.#layout = this.engine.layout();
    this.diagram.update(this.#layout);
    this.diagram.select(this.#inspected);
    this.#stats.update(this.#layout);
    this.#bytes.show(this.#layout, this.#inspected);
    this.#overview.update(this.#layout, this.diagram.visibleRange());
    const { position, steps } = this.#timeline;
    if (this.#back.disabled !== (position === 0)) this.#back.disabled = position === 0;
    if (this.#forward.disabled !== (position === steps.length)) this.#forward.disabled = position === steps.length;
    this.lastRenderMs = performance.now() - t0;
  }

  #welcome(): string {
    const o = this.#options;
    const seed = o.policy === "first-fit" && !o.split && !o.coalesce && !o.trim;
    const what = seed
      ? "the brief's allocator: first fit, no splitting, no coalescing, and only the last block goes back to the system"
      : `${o.policy.replace("-", " ")}${o.split ? ", splitting" : ""}${o.coalesce ? ", coalescing" : ""}${o.trim ? ", trimming" : ""}`;
    return `A new, empty heap (${what}). The heap starts at ${hex(this.#layout.heapStart)} and the break is there too: type a size and press Enter to malloc ${bytes(24)}.`;
  }

  #bindView(): void {
    const zoom = byId<HTMLInputElement>("zoom");
    const fit = byId<HTMLInputElement>("fit");
    const apply = (): void => {
      const z = 2 ** Number(zoom.value);
      zoom.setAttribute("aria-valuetext", `${z} pixels per byte`);
      this.diagram.setZoom(z);
      this.#overview.setWindow(this.diagram.visibleRange());
    };
    zoom.addEventListener("input", apply);
    fit.addEventListener("change", () => {
      zoom.disabled = fit.checked;
      this.diagram.setFit(fit.checked);
      this.#overview.setWindow(this.diagram.visibleRange());
    });
    apply();
  }
}

/** What tests, benchmarks and tutorial pages can reach from the console: `window.playground`. */
declare global {
  interface Window {
    playground?: App;
  }
}

async function start(): Promise<void> {
  try {
    const engine = await Engine.create(allocatorFromUrl(location.search));
    window.playground = new App(engine);
    document.body.dataset.ready = "true";
  } catch (e) {
    const error = byId<HTMLElement>("error");
    error.textContent = `The playground could not start: ${e instanceof Error ? e.message : String(e)}`;
    error.hidden = false;
    throw e;
  }
}

void start();
