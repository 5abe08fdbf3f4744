/**
 * Trace replay: a malloc-lab trace (`.rep`), chosen with the file picker or dropped on the
 * panel, is read by the Rust parser and replayed into the playground's heap a chunk at a time,
 * with a progress bar; then the chart shows heap size, live data, utilisation and
 * fragmentation over the trace, and picking a point on it shows the heap at that operation.
 *
 * A trace that does not parse, or an operation the heap refuses, is explained in the panel.
 */

import { TraceChart, legend } from "./chart";
import { makeTrace, type Engine } from "./engine";
import { bytes, count, percent } from "./format";
import type { Host, Mount, Panel } from "./panel";
import type { TraceSample, TraceSummary } from "./types";

/** Operations replayed between two redraws of the progress bar. */
const CHUNK = 2000;
/** About how many points the chart gets. */
const POINTS = 600;

/** Replays the whole trace `text` (first `upTo` operations) on `engine`, at once. */
function replayAll(engine: Engine, text: string, upTo: number): void {
  engine.loadTrace(text);
  engine.replayTrace(upTo, Number.MAX_SAFE_INTEGER);
}

/** What the panel asks of the playground: its heap to replay into, and a new start for the timeline. */
type TraceHost = Pick<Host, "engine" | "pause" | "session" | "adoptBase">;

export class TracePanel implements Panel {
  readonly #app: TraceHost;
  readonly #input: HTMLInputElement;
  readonly #drop: HTMLElement;
  readonly #progress: HTMLProgressElement;
  readonly #status: HTMLElement;
  readonly #error: HTMLElement;
  readonly #summary: HTMLElement;
  readonly #chart: TraceChart;
  #busy = false;
  #trace: { name: string; text: string; summary: TraceSummary; samples: TraceSample[] } | null = null;

  static mount({ find, need, host }: Mount): TracePanel | null {
    return find("trace-drop") && new TracePanel(need, host);
  }

  constructor(byId: Mount["need"], app: TraceHost) {
    this.#app = app;
    this.#input = byId("trace-file");
    this.#drop = byId("trace-drop");
    this.#progress = byId("trace-progress");
    this.#status = byId("trace-status");
    this.#error = byId("trace-error");
    this.#summary = byId("trace-summary");
    this.#chart = new TraceChart(byId("trace-chart"), (op) => this.#showAt(op));
    byId("trace-legend").innerHTML = legend();

    this.#input.addEventListener("change", () => {
      const file = this.#input.files?.[0];
      this.#input.value = "";
      if (file) void this.open(file);
    });
    const zone = this.#drop;
    zone.addEventListener("dragover", (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const file = e.dataTransfer?.files[0];
      if (file) void this.open(file);
    });
    zone.addEventListener("click", (e) => {
      if (!(e.target as Element).closest("label, input")) this.#input.click();
    });
    byId<HTMLFormElement>("trace-generate").addEventListener("submit", (e) => {
      e.preventDefault();
      const kind = byId<HTMLSelectElement>("trace-kind").value;
      const ops = Number(byId<HTMLInputElement>("trace-ops").value.trim());
      if (!Number.isInteger(ops) || ops < 1) {
        this.#setError(`The number of operations must be a whole number from 1 to 1,000,000, not "${byId<HTMLInputElement>("trace-ops").value}".`);
        return;
      }
      let text: string;
      try {
        text = makeTrace(kind, ops, 1);
      } catch (e) {
        this.#setError(e instanceof Error ? e.message : String(e));
        return;
      }
      void this.replay(`${kind}-${ops}.rep`, text);
    });
  }

  /** Reads and replays a trace file. */
  async open(file: File): Promise<void> {
    await this.replay(file.name, await file.text());
  }

  /** Reads `text` as a trace and replays it into the heap, showing progress. */
  async replay(name: string, text: string): Promise<void> {
    if (this.#busy) return;
    const app = this.#app;
    this.#setError(null);
    const before = app.session();
    let summary: TraceSummary;
    try {
      // Parses first: a trace that does not parse changes nothing.
      summary = app.engine.loadTrace(text);
    } catch (e) {
      this.#setError(`${name} could not be read: ${e instanceof Error ? e.message : String(e)}. Nothing was changed.`);
      return;
    }
    this.#busy = true;
    app.pause();
    const total = summary.operations;
    const every = Math.max(1, Math.ceil(total / POINTS));
    const samples: TraceSample[] = [];
    this.#progress.max = Math.max(1, total);
    this.#progress.value = 0;
    this.#progress.hidden = false;
    this.root.dataset.state = "replaying";
    const started = performance.now();
    let done = 0;
    let failure: string | null = null;
    try {
      while (done < total || samples.length === 0) {
        const progress = app.engine.replayTrace(CHUNK, every);
        samples.push(...progress.samples);
        done = progress.done;
        this.#progress.value = done;
        this.#status.textContent = `Replaying ${name}: ${done.toLocaleString("en-US")} of ${count(total, "operation")}`;
        if (done >= total) break;
        // Let the page draw the progress bar between chunks.
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      }
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    } finally {
      this.#busy = false;
    }
    const ms = performance.now() - started;
    const upTo = done;
    app.adoptBase(
      { kind: "trace", label: `the trace ${name}${upTo < total ? `, up to operation ${upTo}` : ""} (${count(total, "operation")})`, rebuild: (engine) => replayAll(engine, text, upTo) },
      failure
        ? `The trace ${name} stopped at operation ${upTo + 1} of ${total}: the heap refused it. The diagram shows the heap it left.`
        : `The heap after the trace ${name}: ${count(total, "operation")} replayed. Pick a point on the chart to see the heap then.`,
      before,
    );
    this.#trace = { name, text, summary, samples };
    this.#chart.draw(samples, total, upTo);
    this.#progress.value = upTo;
    this.#status.textContent = failure
      ? `${name}: stopped at operation ${upTo + 1} of ${total}`
      : `${name}: ${count(total, "operation")} replayed in ${Math.max(1, Math.round(ms))} ms`;
    this.#showSummary(summary, samples);
    if (failure) this.#setError(`${name}: ${failure}`);
    this.root.dataset.state = failure ? "failed" : "done";
  }

  /** The view changes nothing here: the panel changes the heap, and the heap is drawn elsewhere. */
  update(): void {}

  get root(): HTMLElement {
    return this.#drop.closest("section") ?? this.#drop;
  }

  /** Shows the heap after `op` operations of the trace loaded last. */
  #showAt(op: number): void {
    const trace = this.#trace;
    if (!trace || this.#busy) return;
    const app = this.#app;
    const before = app.session();
    replayAll(app.engine, trace.text, op);
    app.adoptBase(
      { kind: "trace", label: `the trace ${trace.name} up to operation ${op}`, rebuild: (engine) => replayAll(engine, trace.text, op) },
      `The heap after operation ${op.toLocaleString("en-US")} of ${trace.summary.operations.toLocaleString("en-US")} of the trace ${trace.name}.`,
      before,
    );
    this.#chart.mark(op);
    this.#progress.value = op;
  }

  #showSummary(summary: TraceSummary, samples: TraceSample[]): void {
    const last = samples[samples.length - 1];
    const rows: [string, string][] = [
      ["Operations", `${summary.operations.toLocaleString("en-US")} (${summary.allocs} a, ${summary.frees} f, ${summary.reallocs} r)`],
      ["Peak live data", last ? bytes(last.peakLive) : "–"],
      ["Peak heap size", last ? bytes(last.peakExtent) : "–"],
      ["Utilisation", last ? percent(last.utilisation) : "–"],
      ["Fragmentation at the end", last ? percent(last.fragmentation) : "–"],
      ["Heap size at the end", last ? bytes(last.extent) : "–"],
    ];
    this.#summary.replaceChildren(
      ...rows.flatMap(([k, v]) => {
        const dt = document.createElement("dt");
        dt.textContent = k;
        const dd = document.createElement("dd");
        dd.textContent = v;
        dd.dataset.stat = k.toLowerCase().replace(/ /g, "-");
        return [dt, dd];
      }),
    );
  }

  #setError(message: string | null): void {
    this.#error.hidden = message === null;
    this.#error.textContent = message ?? "";
  }
}
