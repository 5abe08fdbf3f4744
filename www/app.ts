/**
 * One playground: a heap in wasm memory, its timeline of steps, and the panels that show it
 * (panel.ts), built inside a root, which is the page (index.html) or a `<brk-playground>`
 * element's shadow root. Parts a root does not have are simply left out, so an embedded
 * playground can show the diagram and the steps alone.
 *
 * Every operation takes one path: an action (a panel calls `run`, `goTo`, `configure` …)
 * becomes a step, the Rust `Playground` carries it out, and `#render` reads the heap's layout
 * table from linear memory into one `View`, which every panel is handed in turn. The app only
 * coordinates: what a panel shows, and how, is the panel's.
 */

import { Diagram } from "./diagram";
import { FIELD, FLAG_FREE, isWrite, readScenario, type Engine, type Layout, type Operation } from "./engine";
import { blockEnd } from "./geometry";
import { narrate } from "./narration";
import type { Change, Host, Mount, Panel, PanelFactory, Root, ScriptProblem, View } from "./panel";
import { scenarioSteps } from "./scenario";
import { readSession, type Session } from "./session";
import { History, Timeline, type Base, type Narrator, type Remembered } from "./timeline";
import type { FreeList, OpResult, Options, PlaygroundOptions, Written } from "./types";

/** The heap's bytes at one moment: from `at`, as read from linear memory. */
interface HeapBytes {
  at: number;
  bytes: Uint8Array;
}

/** Heaps larger than this are not compared byte for byte after each step (a big trace). */
const MAX_DIFFED = 8 << 20;

/** At most this many changed ranges are kept for a step (the rest are not marked). */
const MAX_RANGES = 4096;


/** How a playground is set up. */
export interface AppConfig {
  /** Where keyboard shortcuts are listened for (the page, or the element); `null`: nowhere. */
  keys?: HTMLElement | Document | null;
  /** The tallest the diagram grows before it scrolls. */
  maxHeight?: () => number;
  /** The shortest the diagram gets. */
  minHeight?: number;
  /**
   * The panels this root may have, in the order each view reaches them (after the diagram):
   * `PANELS` for an element, more for the page (panels.ts, main.ts).
   */
  panels: readonly PanelFactory[];
}

/** The page's state and the one path every operation takes. */
export class App implements Host {
  readonly engine: Engine;
  readonly diagram: Diagram;
  readonly root: Root;
  readonly timeline = new Timeline();
  readonly history = new History();
  /** The diagram first, then each panel of `config.panels` the root has, in order. */
  readonly #panels: Panel[];
  readonly #headerSize: number;
  readonly #listeners = new Set<() => void>();
  /** The view drawn last. */
  #view!: View;
  /** The block pointed at (its data address; -1: none). */
  #selected = -1;
  /** The options in force (read back from the heap whenever they change). */
  #options: Options;
  #playing = 0;
  #speed = 1;
  /** What the heap held before step 1, if not nothing. */
  #base: Base | null = null;
  /** The bytes the step the heap stands after changed (empty before step 1, or after a refusal). */
  #changed: readonly Written[] = [];
  /** Time the last redraw took, in milliseconds (script, style and layout). */
  lastRenderMs = 0;

  constructor(root: Root, engine: Engine, config: AppConfig) {
    this.root = root;
    this.engine = engine;
    this.#headerSize = engine.snapshot().headerSize;
    this.#options = engine.options();
    const find = <T extends HTMLElement = HTMLElement>(id: string): T | null => root.getElementById(id) as T | null;
    const need = <T extends HTMLElement = HTMLElement>(id: string): T => {
      const el = find<T>(id);
      if (!el) throw new Error(`the playground has no #${id}`);
      return el;
    };
    this.diagram = new Diagram(need("diagram"), this, {
      read: (address, length) => engine.read(address, length),
      ...(config.maxHeight ? { maxHeight: config.maxHeight } : {}),
      ...(config.minHeight !== undefined ? { minHeight: config.minHeight } : {}),
    });
    const mount: Mount = { find, need, root, host: this, diagram: this.diagram, keys: config.keys === undefined ? document : config.keys };
    const built = config.panels.map((make) => make(mount));
    this.#panels = [this.diagram, ...built.filter((p): p is Panel => p !== null)];
    this.#render({ kind: "started" });
  }

  /** Stops listening and releases the heap's bookkeeping (its pages stay in wasm memory). */
  destroy(): void {
    this.pause();
    for (const panel of this.#panels) panel.dispose?.();
    this.#listeners.clear();
    this.engine.destroy();
  }

  /** This playground's panel of a kind, if its root has that part (`app.panel(ComparePanel)`). */
  panel<P extends Panel>(kind: abstract new (...args: never[]) => P): P | undefined {
    return this.#panels.find((p): p is P => p instanceof kind);
  }

  /** The options in force. */
  get options(): Options {
    return { ...this.#options };
  }

  /** The view drawn last. */
  get view(): View {
    return this.#view;
  }

  /** The layout drawn last. */
  get layout(): Layout {
    return this.#view.layout;
  }

  /**
   * Calls `listener` after every redraw, but those that only say a refusal or a problem (for
   * the link in the address bar, the element's `brk-step`).
   */
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
    const blocksBefore = this.#view.layout.count;
    const bytesBefore = this.#readHeap();
    let result: OpResult;
    try {
      result = this.engine.run(op);
    } catch (e) {
      this.#render({ kind: "refused", text: e instanceof Error ? e.message : String(e) });
      return false;
    }
    const spec = this.timeline.specOf(op);
    const call = this.timeline.callOf(spec);
    const text = this.#narrator(op, result, call, blocksBefore);
    this.history.push(before, this.#base);
    const fault = result.fault ?? null;
    const address = fault || isWrite(op.op) ? null : result.address;
    this.timeline.record({ spec, call, text, ok: true, address, fault, written: result.written ?? null, damage: this.engine.damage().message });
    if (address !== null) this.#selected = address;
    else if (!fault && "address" in op && isWrite(op.op)) this.#selected = Number(op.address);
    this.#changed = fault ? [] : changedBytes(bytesBefore, this.#readHeap());
    this.#render({ kind: "step" });
    return true;
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
            replay.append(prefix);
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
    this.#selected = -1;
    this.#changed = [];
    this.#render({ kind: "started", text });
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
    this.#bringTo(target);
    this.#selectStep();
    this.#render({ kind: "moved" });
  }

  /**
   * Brings the heap to `target` steps and notes which bytes the last of them changed: the heap
   * one step before is read, then the step is run (forward by running, back by replaying).
   */
  #bringTo(target: number, narrator?: Narrator): void {
    const t = this.timeline;
    const reset = (): void => this.#resetHeap();
    if (target === 0) {
      t.goTo(this.engine, 0, reset, narrator);
      this.#changed = [];
      return;
    }
    t.goTo(this.engine, target - 1, reset, narrator);
    const before = this.#readHeap();
    t.goTo(this.engine, target, reset, narrator);
    const step = t.steps[target - 1]!;
    this.#changed = step.ok && !step.fault ? changedBytes(before, this.#readHeap()) : [];
  }

  /** The heap's bytes now, from its start to the end of the pages its break owns (`null`: too many to compare). */
  #readHeap(): HeapBytes | null {
    const e = this.engine;
    const at = e.heapStart();
    const length = e.limit() - at;
    return length > MAX_DIFFED ? null : { at, bytes: e.read(at, length) };
  }

  /** Moves `delta` steps from where the heap stands. */
  step(delta: number): void {
    this.goTo(this.timeline.position + delta);
  }

  /**
   * Points at the block the step the heap stands after returned, or wrote into (none before
   * step 1).
   */
  #selectStep(): void {
    const at = this.timeline.position;
    const step = at > 0 ? this.timeline.steps[at - 1]! : null;
    this.#selected = step?.address ?? -1;
    if (step && step.ok && !step.fault && isWrite(step.spec.op)) {
      const op = this.timeline.operation(at - 1);
      if (typeof op !== "string" && "address" in op) this.#selected = Number(op.address);
    }
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
      this.showError(e instanceof Error ? e.message : String(e));
      return;
    }
    this.history.push(before, this.#base);
    this.#base = null;
    this.timeline.clear();
    this.#selected = -1;
    this.#changed = [];
    this.#options = this.engine.options();
    this.#render({ kind: "started" });
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
    const t = this.timeline;
    t.clear();
    t.append(session.steps);
    // Run every step once, narrating each, then stand where the session stood.
    t.goTo(this.engine, t.steps.length, () => this.#resetHeap(), this.#narrator);
    this.#bringTo(session.position);
    this.#selectStep();
    this.#render({ kind: "loaded" });
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

  /** The sentence for a step the heap carried out (see narration.ts). */
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

  /**
   * The leaked blocks (by data address) when the heap stands at the end of a scenario: every
   * used block no live name refers to. A name refers to the address its last assignment
   * returned; one whose block was freed or moved is dangling, and refers to nothing. Empty
   * elsewhere: before the last step, for steps typed without a script, or on a trace.
   */
  #leaked(layout: Layout, names: ReadonlyMap<number, readonly { dangling: boolean }[]>): ReadonlySet<number> {
    const { steps, position } = this.timeline;
    const out = new Set<number>();
    if (this.#base || steps.length === 0 || position < steps.length || !steps.some((s) => s.spec.line !== undefined)) return out;
    const t = layout.table;
    for (let i = 0; i < layout.count; i++) {
      const o = i * layout.stride;
      if ((t[o + FIELD.flags]! & FLAG_FREE) !== 0) continue;
      const data = t[o + FIELD.data]!;
      if (!names.get(data)?.some((n) => !n.dangling)) out.add(data);
    }
    return out;
  }

  // ------------------------------------------------------------------ drawing

  /** Points at the block whose data starts at `address`: the panels that follow it show it. */
  inspect(address: number): void {
    if (address === this.#selected) return;
    this.#selected = address;
    this.#view = { ...this.#view, selected: address, change: null };
    for (const panel of this.#panels) panel.select?.(this.#view);
  }

  /** Shows a message in the error box (for problems outside the heap: links, files). */
  showError(message: string): void {
    this.#render({ kind: "problem", text: message });
  }

  /** Redraws everything from the heap as it is now. */
  render(): void {
    this.#render(null);
  }

  /**
   * Builds the view of the heap as it is now and hands it to every panel, then (unless the heap
   * only refused something, or the news is a problem outside it) to the listeners.
   */
  #render(change: Change | null): void {
    const t0 = performance.now();
    const engine = this.engine;
    const { steps, position } = this.timeline;
    let lists: FreeList[] | undefined;
    const layout = engine.layout();
    const names = this.timeline.namesAt();
    const damage = engine.damage();
    this.#selected = blockOf(layout, this.#selected);
    const view: View = {
      layout,
      totals: engine.totals(),
      options: this.#options,
      steps,
      position,
      step: position > 0 ? steps[position - 1]! : null,
      base: this.#base,
      names,
      selected: this.#selected,
      damage,
      changed: this.#changed,
      leaked: this.#leaked(layout, names),
      playing: this.playing,
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      change,
      freeLists: () => (lists ??= engine.freeLists()),
    };
    this.#view = view;
    for (const panel of this.#panels) panel.update(view);
    this.lastRenderMs = performance.now() - t0;
    if (change?.kind === "refused" || change?.kind === "problem") return;
    for (const listener of this.#listeners) listener();
  }
}

/**
 * The data address of the block holding `address` (its data, or its header), so that a write
 * into the middle of a block points at the block; `address` itself when no block holds it.
 */
function blockOf(layout: Layout, address: number): number {
  if (address < 0) return address;
  const t = layout.table;
  for (let i = 0; i < layout.count; i++) {
    const o = i * layout.stride;
    if (t[o + FIELD.data] === address) return address;
  }
  for (let i = 0; i < layout.count; i++) {
    const o = i * layout.stride;
    if (address >= t[o + FIELD.header]! && address < blockEnd(layout, i)) return t[o + FIELD.data]!;
  }
  return address;
}

/**
 * The ranges of bytes that differ between two readings of the heap (bytes past either's end read
 * as 0). Four bytes are compared at a time, so a heap of thousands of blocks costs well under a
 * millisecond.
 */
function changedBytes(before: HeapBytes | null, after: HeapBytes | null): Written[] {
  if (!before || !after) return [];
  const from = Math.min(before.at, after.at);
  const to = Math.max(before.at + before.bytes.length, after.at + after.bytes.length);
  const byteOf = (h: HeapBytes, a: number): number => (a >= h.at && a < h.at + h.bytes.length ? h.bytes[a - h.at]! : 0);
  // Where both readings start at one 4-byte aligned address, whole words that are equal are skipped.
  const aligned = before.at === after.at && before.at % 4 === 0 && before.bytes.byteOffset % 4 === 0 && after.bytes.byteOffset % 4 === 0;
  const words = aligned ? Math.min(before.bytes.length, after.bytes.length) >>> 2 : 0;
  const w0 = new Uint32Array(before.bytes.buffer, before.bytes.byteOffset, words);
  const w1 = new Uint32Array(after.bytes.buffer, after.bytes.byteOffset, words);
  const out: Written[] = [];
  let run = -1;
  let a = from;
  while (a < to && out.length < MAX_RANGES) {
    const w = (a - from) >>> 2;
    if (run < 0 && (a - from) % 4 === 0 && w < words && w0[w] === w1[w]) {
      a += 4;
      continue;
    }
    const differs = byteOf(before, a) !== byteOf(after, a);
    if (differs && run < 0) run = a;
    else if (!differs && run >= 0) {
      out.push({ at: run, bytes: a - run });
      run = -1;
    }
    a++;
  }
  if (run >= 0 && out.length < MAX_RANGES) out.push({ at: run, bytes: a - run });
  return out;
}
