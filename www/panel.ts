/**
 * The one interface every part of a playground implements, and what a part is given.
 *
 * An operation takes one path: an action (a click, a key, a script) asks the `Host` (app.ts);
 * the host runs it on the heap and records it as a step; then it builds one `View` of the heap
 * and the playground's state, and hands that view to every panel in turn. A panel draws from
 * the view alone and asks the host for anything it wants done; it never calls another panel.
 *
 * A panel is built by a `PanelFactory` from the root it lives in (the page, or a
 * `<brk-playground>` element's shadow root); a root that lacks the panel's part gets `null`, and
 * that panel is simply left out. The factories are listed in panels.ts (the page adds its own
 * in main.ts); the diagram, which every playground has, is made by the app itself.
 *
 * This module imports only types: every panel depends on it, and it on none of them.
 */

import type { Engine, Layout, Operation } from "./engine";
import type { Session } from "./session";
import type { Base, PointerName, Step } from "./timeline";
import type { Damage, FreeList, Options, PlaygroundOptions, Totals, Written } from "./types";

/** Where a playground lives: the page, or a playground element's shadow root. */
export type Root = Document | ShadowRoot;

/**
 * What changed since the last view, for the parts that tell rather than draw (the narration,
 * the log, the error box). A view that only redraws (a pause, a new window size) has none.
 */
export type Change =
  /** A step done now (typed or clicked): it is `view.step`, the last of the timeline. */
  | { kind: "step" }
  /** An operation typed or clicked that the heap refused: nothing changed, the log says why. */
  | { kind: "refused"; text: string }
  /** The timeline moved to `view.position` (back, forward, scrubbed, played). */
  | { kind: "moved" }
  /** A whole timeline was read (a script, a link, a file, an undo) and stands at `view.position`. */
  | { kind: "loaded" }
  /** A new heap (reset, another allocator, a trace replayed): the log starts over, with `text` if given. */
  | { kind: "started"; text?: string }
  /** A problem outside the heap (a link, a file, an attribute): said in the error box only. */
  | { kind: "problem"; text: string };

/** The heap and the playground's state, built once per render: all a panel draws from. */
export interface View {
  /** The heap's layout table, read from linear memory once for this view. */
  readonly layout: Layout;
  /** The heap's totals as Rust's `Stats` defines them (`Playground.totals()`), read once for this view. */
  readonly totals: Totals;
  /** The options in force. */
  readonly options: Options;
  /** Every step, and how many of them the heap has run. */
  readonly steps: readonly Step[];
  readonly position: number;
  /** The step the heap stands after (`null` before step 1). */
  readonly step: Step | null;
  /** What the heap held before step 1, if not nothing (a trace, operations run at once). */
  readonly base: Base | null;
  /** The names scripts gave the blocks, by data address. */
  readonly names: ReadonlyMap<number, PointerName[]>;
  /** The block pointed at, whose bytes are shown, by data address (-1: none). */
  readonly selected: number;
  /** What the heap's check finds now (`Playground.damage()`; always sound with checks on). */
  readonly damage: Damage;
  /** The bytes the step the heap stands after changed, as ranges (the heap read before and after it). */
  readonly changed: readonly Written[];
  /** At the end of a scenario, the used blocks no live name refers to (data addresses): leaked. */
  readonly leaked: ReadonlySet<number>;
  readonly playing: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** What changed since the last view (`null`: only a redraw). */
  readonly change: Change | null;
  /** The segregated policy's size-class lists (empty under the others), read on first use. */
  freeLists(): FreeList[];
}

/** One part of a playground. */
export interface Panel {
  /** Shows `view`. Called after every change, in the order of the panel list. */
  update(view: View): void;
  /** The block pointed at moved to `view.selected` (pointing, focusing): no redraw needed. */
  select?(view: View): void;
  /** Stops listening to anything outside the panel's own elements. */
  dispose?(): void;
}

/** Where a script went wrong, for the editor to point at. */
export interface ScriptProblem {
  message: string;
  line: number;
  column: number;
}

/** What a panel may ask of the playground it belongs to (the `App` in app.ts). */
export interface Host {
  /** The heap, for the parts that drive it beyond single steps (trace replay). */
  readonly engine: Engine;
  /** Runs an operation as typed; on success it is a new step. Returns whether the heap did it. */
  run(op: Operation): boolean;
  /** Starts a new heap with these options (`undefined`: the same ones). */
  configure(options: PlaygroundOptions | undefined): void;
  /** Shows the heap as it was after `step` steps. */
  goTo(step: number): void;
  /** Moves `delta` steps from where the heap stands. */
  step(delta: number): void;
  togglePlay(): void;
  pause(): void;
  setSpeed(speed: number): void;
  undo(): void;
  redo(): void;
  /** Points at the block whose data starts at `address`. */
  inspect(address: number): void;
  /** Makes a script the timeline, if it parses; else returns where it went wrong. */
  loadScript(text: string, position?: number): ScriptProblem | null;
  /** Makes the heap as it is now the start of a new timeline (after a trace replay). */
  adoptBase(base: Base, text: string, before?: Session): void;
  /** The session: options, steps and where the heap stands among them. */
  session(): Session;
}

/** The diagram as the parts that follow it see it (the overview, the zoom). */
export interface DiagramWindow {
  /** The address range of the rows in view (`null`: no blocks). */
  visibleRange(): { from: number; to: number } | null;
  /** Scrolls so that the block holding `address` is in view. */
  reveal(address: number): void;
  /** Pixels per byte in the readable view. */
  setZoom(zoom: number): void;
  /** Fits the whole heap in view, or goes back to readable blocks. */
  setFit(fit: boolean): void;
  /** Calls `listener` whenever the rows in view change between redraws (scrolling, zooming). */
  onMove(listener: () => void): void;
}

/** What a panel is built from. */
export interface Mount {
  /** The root's element with this id, or `null` when this root does not have it. */
  find<T extends HTMLElement = HTMLElement>(id: string): T | null;
  /** The root's element with this id; throws when there is none (a part with a piece missing). */
  need<T extends HTMLElement = HTMLElement>(id: string): T;
  readonly root: Root;
  readonly host: Host;
  /** The block diagram, which every playground has (the overview and the zoom follow it). */
  readonly diagram: DiagramWindow;
  /** Where keyboard shortcuts are listened for (`null`: nowhere). */
  readonly keys: HTMLElement | Document | null;
}

/** Builds a panel in `mount.root`, or returns `null` when the root does not have its part. */
export type PanelFactory = (mount: Mount) => Panel | null;
