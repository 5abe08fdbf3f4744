/**
 * The controls' markup, written once: the operation forms (malloc, calloc, realloc, free, the
 * writes into a block, the allocator and its options, where `next` comes from, the checks, reset) and the timeline bar (first, back, play, forward, last, the
 * scrubber, speed, undo and redo). The page puts it in place of index.html's
 * `<div data-template="controls">` (main.ts); each `<brk-playground>` puts it in its shadow root
 * (element.ts). Its ids are what the panels find (controls.ts, timebar.ts, keys.ts) and what
 * tests and authors address: keep them.
 */

/** Which controls, for where. */
export interface ControlsSpec {
  /**
   * `page`: index.html's two panels, roomy fields with hints, and the list of shortcuts;
   * `element`: inside a `<brk-playground>` frame, compact.
   */
  where: "page" | "element";
  /** The operation forms, the allocator menu and reset (else the timeline bar alone). */
  operations: boolean;
  /** The playing speed, and undo and redo, beside the steps. */
  history: boolean;
}

const ICON_FIRST = `<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M3 2h2v12H3zM14 2v12L6 8z" fill="currentColor"/></svg>`;
const ICON_LAST = `<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d="M11 2h2v12h-2zM2 2v12l8-6z" fill="currentColor"/></svg>`;

/** The markup of the controls `spec` asks for. */
export function controlsMarkup(spec: ControlsSpec): string {
  return (spec.operations ? operations(spec.where === "page") : "") + timebar(spec.where === "page", spec.history);
}

/** The operation forms; on the page with hints and wider fields. */
function operations(page: boolean): string {
  /** A field's width in characters: the page's, or the element's. */
  const size = (onPage: number, inElement: number): number => (page ? onPage : inElement);
  const hint = (text: string, id = ""): string => (page ? `\n      <span${id ? ` id="${id}"` : ""} class="hint">${text}</span>` : "");
  return `
  <section class="panel controls" aria-label="Operations">
    <form id="malloc-form" class="op">
      <label for="malloc-size">malloc</label>
      <span class="call">(<input id="malloc-size" name="size" inputmode="numeric" autocomplete="off" value="24" size="${size(7, 5)}"${page ? ` aria-describedby="malloc-hint"` : ""} />)</span>
      <button type="submit" class="primary">malloc</button>${hint("bytes · Enter", "malloc-hint")}
    </form>
    <form id="calloc-form" class="op">
      <label for="calloc-count">calloc</label>
      <span class="call">(<input id="calloc-count" inputmode="numeric" autocomplete="off" value="4" size="${size(4, 3)}" aria-label="calloc count" />,
        <input id="calloc-size" inputmode="numeric" autocomplete="off" value="8" size="${size(4, 3)}" aria-label="calloc size" />)</span>
      <button type="submit">calloc</button>
    </form>
    <form id="realloc-form" class="op">
      <label for="realloc-address">realloc</label>
      <span class="call">(<input id="realloc-address" autocomplete="off" placeholder="0x…" size="${size(11, 10)}" aria-label="realloc address" />,
        <input id="realloc-size" inputmode="numeric" autocomplete="off" value="48" size="${size(5, 4)}" aria-label="realloc new size" />)</span>
      <button type="submit">realloc</button>
    </form>
    <form id="free-form" class="op">
      <label for="free-address">free</label>
      <span class="call">(<input id="free-address" autocomplete="off" placeholder="0x…" size="${size(11, 10)}" aria-label="free address" />)</span>
      <button type="submit">free</button>${hint("or click a block")}
    </form>
    <form id="write-form" class="op write" aria-label="Write into a block">
      <label for="write-op" class="sr-only">write with</label>
      <select id="write-op" title="How to write: C's strcpy, memset, p[i] = byte, or memcpy">
        <option value="strcpy">strcpy</option>
        <option value="memset">memset</option>
        <option value="store">p[i] =</option>
        <option value="memcpy">memcpy</option>
      </select>
      <span class="call"><span data-write="strcpy memset memcpy">(</span><input id="write-address" autocomplete="off" placeholder="0x… or a" size="${size(10, 8)}" aria-label="where to write: an address or a name" /><span data-write="store">[<input id="write-index" inputmode="numeric" autocomplete="off" value="0" size="3" aria-label="index" />] =</span><span data-write="strcpy">, "<input id="write-text" autocomplete="off" value="hello" size="${size(10, 7)}" aria-label="text to copy (a NUL is added)" />"</span><span data-write="memcpy">, <input id="write-src" autocomplete="off" placeholder="0x… or b" size="${size(10, 8)}" aria-label="where to copy from: an address or a name" /></span><span data-write="memset store">${" "}<input id="write-byte" autocomplete="off" value="'A'" size="4" aria-label="byte: 0 to 255, 0x41 or 'A'" /></span><span data-write="memset memcpy">, <input id="write-count" inputmode="numeric" autocomplete="off" value="8" size="4" aria-label="count of bytes" /></span><span data-write="strcpy memset memcpy">)</span></span>
      <button type="submit">write</button>${hint("into the selected block", "write-hint")}
    </form>
    <div class="allocator">
      <label for="allocator">Allocator</label>
      <select id="allocator"></select>
      <fieldset class="toggles">
        <legend class="sr-only">Options</legend>
        <label title="Cut a larger free block in two when reusing it"><input type="checkbox" id="opt-split" /> split</label>
        <label title="Merge a freed block with free neighbours"><input type="checkbox" id="opt-coalesce" /> coalesce</label>
        <label title="Give the whole free end of the heap back, not only the last block"><input type="checkbox" id="opt-trim" /> trim</label>
      </fieldset>
      <span class="next-mode">
        <label for="opt-derive"><code>next</code></label>
        <select id="opt-derive" title="Stored: each header holds the address of the next header, as the brief's allocator does. Derived: nothing stores it; the next header is found from the size, right after the data (boundary tags), as real allocators do">
          <option value="stored">stored in each header</option>
          <option value="derived">derived from the size (boundary tags)</option>
        </select>
      </span>
      <span class="checks">
        <label for="opt-checks">Checks</label>
        <select id="opt-checks" title="On: free, realloc and the writes are checked, and a mistake is refused. Off: nothing is checked, as in C, and the heap really breaks">
          <option value="on">on</option>
          <option value="off">off — as C does</option>
        </select>
      </span>
      <button type="button" id="reset">${page ? "Reset heap" : "Reset"}</button>
    </div>
  </section>`;
}

/** The timeline bar: a panel of its own on the page, a row of the frame in an element. */
function timebar(page: boolean, history: boolean): string {
  const open = page
    ? `<section class="panel timebar" aria-label="Timeline">`
    : `<div class="timebar embed-timebar" role="group" aria-label="Timeline">`;
  return `
  ${open}
    <div class="transport" role="group" aria-label="Step through the operations">
      <button type="button" id="step-first" aria-label="First step" title="First step (Home)">${ICON_FIRST}</button>
      <button type="button" id="step-back" aria-label="Back" title="Step back (←): the heap as it was before the last step">◀<span class="word"> Back</span></button>
      <button type="button" id="play" class="primary" aria-pressed="false" title="Play the steps ahead, or pause (Space)">▶ Play</button>
      <button type="button" id="step-forward" aria-label="Forward" title="Step forward (→)"><span class="word">Forward </span>▶</button>
      <button type="button" id="step-last" aria-label="Last step" title="Last step (End)">${ICON_LAST}</button>
    </div>
    <div class="scrub">
      <input id="scrubber" type="range" min="0" max="0" value="0" step="1" aria-label="Step" />
      <span id="step-label" class="step-label" aria-hidden="true">No steps yet</span>
    </div>${
      history
        ? `
    <label class="speed">Speed <select id="speed"></select></label>
    <div class="history" role="group" aria-label="Undo and redo">
      <button type="button" id="undo" title="Undo the last change: a step, a reset, a script (Ctrl+Z)">↶ Undo</button>
      <button type="button" id="redo" title="Redo what was undone (Ctrl+Shift+Z)">↷ Redo</button>
    </div>`
        : ""
    }${
      page
        ? `
    <details id="shortcuts" class="shortcuts">
      <summary>Keyboard shortcuts</summary>
      <dl id="shortcut-list"></dl>
    </details>`
        : ""
    }
  ${page ? "</section>" : "</div>"}`;
}
