/**
 * One playground: a heap in wasm memory and everything drawn from it (diagram, overview,
 * narration, stats, bytes, log, timeline bar), found by id inside a root, which is the page
 * (index.html) or a `<brk-playground>` element's shadow root. Parts a root does not have are
 * simply left out, so an embedded playground can show the diagram and the steps alone.
 *
 * Data flows one way: an action becomes a step, the Rust `Playground` carries it out, and
 * everything is redrawn from the heap's layout table, read from linear memory.
 */

import { BytesPanel } from "./bytes";
import { Controls, type Root } from "./controls";
import { Diagram } from "./diagram";
import { readScenario, type Engine, type Layout, type Operation } from "./engine";
import { bytes, hex } from "./format";
import { Keys } from "./keys";
import { Narration, callText, narrate } from "./narration";
import { Overview } from "./overview";
import { scenarioSteps } from "./scenario";
import { readSession, stepCall, type PtrRef, type Session, type StepSpec } from "./session";
import { ListsPanel } from "./lists";
import { StatsPanel } from "./stats";
import { Timebar } from "./timebar";
import { History, Timeline, type Base, type Narrator, type Remembered } from "./timeline";
import type { OpResult, Options, PlaygroundOptions } from "./types";

/** How a playground is set up. */
export interface AppConfig {
  /** Where keyboard shortcuts are listened for (the page, or the element); `null`: nowhere. */
  keys?: HTMLElement | Document | null;
  /** The tallest the diagram grows before it scrolls. */
  maxHeight?: () => number;
  /** The shortest the diagram gets. */
  minHeight?: number;
}

/** Where a script went wrong, for the editor to point at. */
export interface ScriptProblem {
  message: string;
  line: number;
  column: number;
}

/** The page's state and the one path every operation takes. */
export class App {
  readonly engine: Engine;
  readonly diagram: Diagram;
  readonly root: Root;
  readonly timeline = new Timeline();
  readonly history = new History();
  readonly #overview: Overview | null = null;
  readonly #stats: StatsPanel | null = null;
  readonly #lists: ListsPanel | null = null;
  readonly #bytes: BytesPanel | null = null;
  readonly #narration: Narration;
  readonly #controls: Controls | null = null;
  readonly #timebar: Timebar;
  readonly #error: HTMLElement | null;
  readonly #headerSize: number;
  readonly #listeners = new Set<() => void>();
  readonly #keys: Keys | null;
  #layout: Layout;
  #inspected = -1;
  /** The options in force (read back from the heap whenever they change). */
  #options: Options;
  #playing = 0;
  #speed = 1;
  /** What the heap held before step 1, if not nothing. */
  #base: Base | null = null;
  /** Time the last redraw took, in milliseconds (script, style and layout). */
  lastRenderMs = 0;

  constructor(root: Root, engine: Engine, config: AppConfig = {}) {
    this.root = root;
    this.engine = engine;
    const byId = <T extends HTMLElement>(id: string): T | null => root.getElementById(id) as T | null;
    const snapshot = engine.snapshot();
    this.#headerSize = snapshot.headerSize;
    this.#error = byId("error");
    this.#narration = new Narration(byId("narration"), byId<HTMLOListElement>("log"), (step) => this.goTo(step));
    this.#timebar = new Timebar(root, {
      goTo: (step) => this.goTo(step),
      step: (delta) => this.goTo(this.timeline.position + delta),
      togglePlay: () => this.togglePlay(),
      setSpeed: (speed) => this.setSpeed(speed),
      undo: () => this.undo(),
      redo: () => this.redo(),
    });
    this.#speed = this.#timebar.speed;
    const stats = byId("stats");
    if (stats) this.#stats = new StatsPanel(stats);
    const lists = byId("lists");
    if (lists) this.#lists = new ListsPanel(lists, byId("lists-panel"));
    const bytesEl = byId("bytes");
    if (bytesEl) this.#bytes = new BytesPanel(bytesEl, (a, n) => engine.read(a, n), snapshot.align);
    this.diagram = new Diagram(
      byId("diagram")!,
      {
        free: (address) => {
          this.run({ op: "free", address });
        },
        inspect: (address) => this.inspect(address),
      },
      {
        ...(config.maxHeight ? { maxHeight: config.maxHeight } : {}),
        ...(config.minHeight !== undefined ? { minHeight: config.minHeight } : {}),
      },
    );
    const overview = byId<HTMLCanvasElement>("overview");
    if (overview) {
      this.#overview = new Overview(overview, byId("overview-caption")!, (address) => {
        this.diagram.reveal(address);
        this.#overview?.setWindow(this.diagram.visibleRange());
      });
      this.diagram.viewport.addEventListener("scroll", () => this.#overview?.setWindow(this.diagram.visibleRange()), {
        passive: true,
      });
    }
    if (byId("malloc-form")) {
      this.#controls = new Controls(root, {
        run: (op) => this.run(op),
        configure: (options) => this.configure(options),
        reset: () => this.configure(undefined),
      });
    }
    this.#bindView(byId<HTMLInputElement>("zoom"), byId<HTMLInputElement>("fit"));
    this.#keys = config.keys === null ? null : new Keys(config.keys ?? document, {
      step: (delta) => this.goTo(this.timeline.position + delta),
      goTo: (step) => this.goTo(step),
      togglePlay: () => this.togglePlay(),
      undo: () => this.undo(),
      redo: () => this.redo(),
      focus: (id) => byId(id)?.focus(),
      help: () => {
        const help = byId<HTMLDetailsElement>("shortcuts");
        if (help) {
          help.open = !help.open;
          help.querySelector("summary")?.focus();
        }
      },
    });
    this.#layout = engine.layout();
    this.#options = engine.options();
    this.#controls?.show(this.#options);
    this.#narration.clear(this.#welcome());
    this.render();
  }

  /** Stops listening and releases the heap's bookkeeping (its pages stay in wasm memory). */
  destroy(): void {
    this.pause();
    this.#keys?.dispose();
    this.#listeners.clear();
    this.engine.destroy();
  }

  /** The options in force. */
  get options(): Options {
    return { ...this.#options };
  }

  /** The layout drawn last. */
  get layout(): Layout {
    return this.#layout;
  }

  /** Calls `listener` after every redraw (for the link, the comparison, the embedding page). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The session: options, steps and where the heap stands among them. */
  session(): Session {
    return this.timeline.session(this.#options);
  }

  // ------------------------------------------------------------------ operations

  /**
   * Carries out one operation as the learner typed or clicked it. On success it becomes a step
   * (dropping any steps ahead); on a refusal the page says why and nothing changes.
   */
  run(op: Operation): boolean {
    this.pause();
    const before = this.session();
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
    const spec = this.#spec(op);
    const pointer = spec.op === "free" || spec.op === "realloc" ? Number((op as { address: unknown }).address) : null;
    const call = stepCall(spec, pointer);
    const requested = op.op === "malloc" || op.op === "realloc" ? Number(op.size) : op.op === "calloc" ? Number(op.count) * Number(op.size) : NaN;
    const text = narrate(op, result, {
      options: this.#options,
      headerSize: this.#headerSize,
      blocksBefore: this.#layout.count,
      requested: Number.isFinite(requested) ? requested : null,
      call,
    });
    this.history.push(before, this.#base);
    this.timeline.record({ spec, call, text, ok: true, address: result.address });
    this.#narration.say({ call, text, error: false, step: this.timeline.position });
    if (result.address !== null) this.#inspected = result.address;
    this.render();
    if (result.address !== null) this.#controls?.target(result.address);
    return true;
  }

  /** The step an operation that succeeded stands for: its pointer as the step that returned it. */
  #spec(op: Operation): StepSpec {
    const size = (x: unknown): number => Number(x);
    switch (op.op) {
      case "malloc":
        return { op: "malloc", size: size(op.size) };
      case "calloc":
        return { op: "calloc", count: size(op.count), size: size(op.size) };
      case "free":
      case "realloc": {
        const address = Number(op.address);
        const ptr = this.#pointerRef(address);
        const label = this.timeline.namesAt().get(address)?.find((n) => !n.dangling)?.name;
        const spec: StepSpec =
          op.op === "free" ? { op: "free", ptr } : { op: "realloc", ptr, size: size(op.size) };
        if (label) spec.ptrName = label;
        return spec;
      }
    }
  }

  /** The latest step (before the current position) that returned `address`, or the address itself. */
  #pointerRef(address: number): PtrRef {
    const steps = this.timeline.steps;
    for (let i = this.timeline.position - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.ok && s.spec.op !== "free" && s.address === address) return { step: i };
    }
    return { address };
  }

  /**
   * Runs many operations and redraws once (for benchmarks and large demonstrations); stops at
   * a refusal. They are not steps: they become what the heap holds before step 1 (stepping
   * back to 0 runs them again), and the timeline starts after them.
   */
  runAll(ops: Operation[]): (number | null)[] {
    this.pause();
    const before = this.session();
    const previous = this.#base;
    const prefix = this.timeline.steps.slice(0, this.timeline.position).map((s) => s.spec);
    const out: (number | null)[] = [];
    try {
      for (const op of ops) out.push(this.engine.run(op).address);
    } finally {
      const done = ops.slice(0, out.length);
      const label = `${done.length.toLocaleString("en-US")} operations run at once`;
      this.adoptBase(
        {
          kind: "ops",
          label,
          rebuild: (engine) => {
            previous?.rebuild(engine);
            const replay = new Timeline();
            for (const spec of prefix) replay.steps.push({ spec, call: "", text: "", ok: false, address: null });
            replay.goTo(engine, prefix.length, () => undefined);
            for (const op of done) engine.run(op);
          },
        },
        `${label}; the timeline starts after them.`,
        before,
      );
    }
    return out;
  }

  /**
   * Makes the heap as it is now the start of a new timeline (after a trace replay, say): `base`
   * says how to build it again. Undoable.
   */
  adoptBase(base: Base, text: string, before: Session = this.session()): void {
    this.pause();
    this.history.push(before, this.#base);
    this.#base = base;
    this.timeline.clear();
    this.#inspected = -1;
    this.#clearError();
    this.#narration.clear(text);
    this.render();
  }

  /** What the heap held before step 1, if not nothing (a trace, operations run at once). */
  get base(): Base | null {
    return this.#base;
  }

  /** An empty heap with the session's options, with the base (if any) built again on it. */
  #resetHeap(): void {
    this.engine.reset({ ...this.#options });
    this.#base?.rebuild(this.engine);
  }

  // ------------------------------------------------------------------ the timeline

  /** Shows the heap as it was after `step` steps: forward by running them, back by replaying. */
  goTo(step: number): void {
    const target = Math.max(0, Math.min(step, this.timeline.steps.length));
    if (target === this.timeline.position) {
      if (step > target) this.pause();
      return;
    }
    this.timeline.goTo(this.engine, target, () => this.#resetHeap());
    this.#showPosition();
    this.render();
  }

  /** Narration, error box and selection for the step the heap is at. */
  #showPosition(): void {
    const at = this.timeline.position;
    const step = at > 0 ? this.timeline.steps[at - 1]! : null;
    if (step && !step.ok) this.#showError(step.text);
    else this.#clearError();
    this.#inspected = step?.address ?? -1;
    const where = step?.spec.line !== undefined ? ` (line ${step.spec.line})` : "";
    const text = step ? `Step ${at}${where}: ${step.ok ? step.text : `${step.call} is refused: ${step.text}`}` : this.#startText();
    this.#narration.showStep(at, text, step !== null && !step.ok);
  }

  togglePlay(): void {
    if (this.#playing) this.pause();
    else this.play();
  }

  /** Plays the steps ahead, one every 1/speed seconds; from the start if at the end. */
  play(): void {
    if (this.#playing || this.timeline.steps.length === 0) return;
    if (this.timeline.position >= this.timeline.steps.length) this.goTo(0);
    const tick = (): void => {
      if (this.timeline.position >= this.timeline.steps.length) {
        this.pause();
        return;
      }
      this.goTo(this.timeline.position + 1);
      if (this.#playing) this.#playing = window.setTimeout(tick, 1000 / this.#speed);
    };
    this.#playing = window.setTimeout(tick, Math.min(400, 1000 / this.#speed));
    this.render();
  }

  pause(): void {
    if (!this.#playing) return;
    clearTimeout(this.#playing);
    this.#playing = 0;
    this.render();
  }

  get playing(): boolean {
    return this.#playing !== 0;
  }

  setSpeed(speed: number): void {
    this.#speed = speed > 0 ? speed : 1;
  }

  /** Undoes the last edit (a step, a reset, a script, a change of allocator). */
  undo(): void {
    const before = this.history.undo(this.session(), this.#base);
    if (before) this.#restore(before);
  }

  redo(): void {
    const after = this.history.redo(this.session(), this.#base);
    if (after) this.#restore(after);
  }

  #restore(remembered: Remembered): void {
    this.pause();
    this.#apply(readSession(remembered.session), remembered.base);
  }

  // ------------------------------------------------------------------ sessions and scripts

  /** Starts a new heap: with `options`, or with the same options when `undefined`. */
  configure(options: PlaygroundOptions | undefined): void {
    this.pause();
    const before = this.session();
    try {
      this.engine.reset(options ?? { ...this.#options });
    } catch (e) {
      this.#showError(e instanceof Error ? e.message : String(e));
      return;
    }
    this.history.push(before, this.#base);
    this.#base = null;
    this.#clearError();
    this.timeline.clear();
    this.#inspected = -1;
    this.#options = this.engine.options();
    this.#controls?.show(this.#options);
    this.#narration.clear(this.#welcome());
    this.render();
  }

  /**
   * Opens a session (from a link, a file, the history): a new heap with its options, every step
   * run once to narrate it, then the heap brought to the session's position. Undoable.
   * Throws, changing nothing, if the allocator refuses the options.
   */
  load(session: Session): void {
    this.pause();
    this.#apply(session, null, true);
  }

  /**
   * Rebuilds the heap for `session` standing on `base`, narrating every step once. With
   * `remember`, the session it replaces goes into the history (once the options are accepted).
   */
  #apply(session: Session, base: Base | null, remember = false): void {
    const before = this.session();
    const beforeBase = this.#base;
    this.engine.reset({ ...session.options });
    if (remember) this.history.push(before, beforeBase);
    this.#base = base;
    this.#options = this.engine.options();
    base?.rebuild(this.engine);
    this.#controls?.show(this.#options);
    this.#clearError();
    const t = this.timeline;
    t.clear();
    for (const spec of session.steps) {
      t.steps.push({ spec, call: stepCall(spec, null), text: "", ok: false, address: null });
    }
    // Run every step once, narrating each, then stand where the session stood.
    t.goTo(this.engine, t.steps.length, () => this.#resetHeap(), this.#narrator);
    this.#narration.rebuild(t.steps, t.steps.length, this.#startText());
    t.goTo(this.engine, session.position, () => this.#resetHeap());
    this.#showPosition();
    this.render();
  }

  /**
   * Reads a scenario script and, if it parses, makes its statements the timeline, from an
   * empty heap with the options in force, standing at `position` (default: before the first
   * step). Returns the problem instead, changing nothing, if it does not parse.
   */
  loadScript(text: string, position = 0): ScriptProblem | null {
    let scenario;
    try {
      scenario = readScenario(text);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const m = /^line (\d+), column (\d+): /.exec(message);
      return { message, line: m ? Number(m[1]) : 1, column: m ? Number(m[2]) : 1 };
    }
    this.pause();
    const steps = scenarioSteps(scenario);
    this.#apply({ options: this.#options, steps, position: Math.max(0, Math.min(position, steps.length)) }, null, true);
    return null;
  }

  /** Narrates a step replayed from a session, as `run` narrates one done by hand. */
  readonly #narrator: Narrator = (op, result, call, blocksBefore) => {
    const requested =
      op.op === "malloc" || op.op === "realloc" ? Number(op.size) : op.op === "calloc" ? Number(op.count) * Number(op.size) : NaN;
    return narrate(op, result, {
      options: this.#options,
      headerSize: this.#headerSize,
      blocksBefore,
      requested: Number.isFinite(requested) ? requested : null,
      call,
    });
  };

  // ------------------------------------------------------------------ drawing

  /** Shows the bytes of the block whose data starts at `address`. */
  inspect(address: number): void {
    if (address === this.#inspected) return;
    this.#inspected = address;
    this.diagram.select(address);
    this.#bytes?.show(this.#layout, address);
    this.#controls?.target(address);
  }

  /** Shows a message in the error box (for problems outside the heap: links, files). */
  showError(message: string): void {
    this.#showError(message);
  }

  #showError(message: string): void {
    if (!this.#error) return;
    this.#error.textContent = message;
    this.#error.hidden = false;
  }

  #clearError(): void {
    if (this.#error && !this.#error.hidden) {
      this.#error.hidden = true;
      this.#error.textContent = "";
    }
  }

  /** Redraws everything from the heap as it is now. */
  render(): void {
    const t0 = performance.now();
    this.#layout = this.engine.layout();
    this.diagram.setNames(this.timeline.namesAt());
    this.diagram.update(this.#layout);
    this.diagram.select(this.#inspected);
    this.#stats?.update(this.#layout);
    if (this.#lists) {
      const segregated = this.#options.policy === "segregated";
      this.#lists.update(this.#layout, segregated ? this.engine.freeLists() : null);
    }
    this.#bytes?.show(this.#layout, this.#inspected);
    this.#overview?.update(this.#layout, this.diagram.visibleRange());
    const { position, steps } = this.timeline;
    this.#timebar.update({
      position,
      total: steps.length,
      playing: this.playing,
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      call: position > 0 ? steps[position - 1]!.call : null,
    });
    this.lastRenderMs = performance.now() - t0;
    for (const listener of this.#listeners) listener();
  }

  /** What the narration says before the first step. */
  #startText(): string {
    const n = this.timeline.steps.length;
    const base = this.#base;
    if (n === 0) return base ? `The heap after ${base.label}.` : this.#welcome();
    const start = base ? `The heap after ${base.label}` : "An empty heap";
    return `${start}, before step 1 of ${n}. Step forward (→) to run the first step, or press Play.`;
  }

  #welcome(): string {
    const o = this.#options;
    const seed = o.policy === "first-fit" && !o.split && !o.coalesce && !o.trim;
    const what = seed
      ? "the brief's allocator: first fit, no splitting, no coalescing, and only the last block goes back to the system"
      : `${o.policy.replace("-", " ")}${o.split ? ", splitting" : ""}${o.coalesce ? ", coalescing" : ""}${o.trim ? ", trimming" : ""}`;
    const start = hex(this.engine.heapStart());
    return `A new, empty heap (${what}). The heap starts at ${start} and the break is there too: type a size and press Enter to malloc ${bytes(24)}.`;
  }

  #bindView(zoom: HTMLInputElement | null, fit: HTMLInputElement | null): void {
    if (!zoom || !fit) return;
    const apply = (): void => {
      const z = 2 ** Number(zoom.value);
      zoom.setAttribute("aria-valuetext", `${z} pixels per byte`);
      this.diagram.setZoom(z);
      this.#overview?.setWindow(this.diagram.visibleRange());
    };
    zoom.addEventListener("input", apply);
    fit.addEventListener("change", () => {
      zoom.disabled = fit.checked;
      this.diagram.setFit(fit.checked);
      this.#overview?.setWindow(this.diagram.visibleRange());
    });
    apply();
  }
}
