// What the end-to-end tests read from a playground: its blocks and every data-* attribute it
// draws (the page's contract), and the heap's bytes straight from wasm memory. `scope` is the
// CSS selector of the playground's diagram: "#diagram" on the page, "brk-playground#a #diagram"
// for an element (Playwright's CSS selectors pierce open shadow roots).

/** The drawn blocks, in address order: {address, size, free, names}. */
export function blocks(page, scope = "#diagram") {
  return page.$$eval(`${scope} .block`, (els) =>
    els
      .map((e) => ({
        address: Number(e.dataset.address),
        size: Number(e.dataset.size),
        free: e.dataset.free === "true",
        names: e.dataset.names ?? "",
      }))
      .sort((a, b) => a.address - b.address),
  );
}

/** Every data-* attribute of everything drawn in the diagram, as sorted strings. */
export function drawnData(page, scope = "#diagram") {
  return page.$$eval(`${scope} *`, (els) =>
    els
      .filter((e) => e instanceof HTMLElement && Object.keys(e.dataset).length > 0)
      .map((e) => JSON.stringify(Object.entries(e.dataset).sort()))
      .sort(),
  );
}

/** The break, as the break marker says. */
export async function brk(page, scope = "#diagram") {
  return Number(await page.getAttribute(`${scope} [data-brk]`, "data-brk"));
}

/**
 * The page's playground heap as raw memory: every byte from the heap start to the end of the
 * pages its break owns, as hex, with the break. Equal values mean the same heap, byte for byte.
 */
export function heapBytes(page) {
  return page.evaluate(() => {
    const app = window.playground;
    const layout = app.engine.layout();
    const bytes = app.engine.read(layout.heapStart, layout.limit - layout.heapStart);
    let hex = "";
    for (const b of bytes) hex += b.toString(16).padStart(2, "0");
    return { start: layout.heapStart, brk: layout.brk, limit: layout.limit, hex };
  });
}

/** Where the timeline stands: {position, total}. */
export function position(page) {
  return page.evaluate(() => ({
    position: window.playground.timeline.position,
    total: window.playground.timeline.steps.length,
  }));
}

/** The error message shown in `#error` (inside `host`, if given), or null when none is. */
export async function shownError(page, host = "") {
  const el = page.locator(`${host} #error`.trim());
  return (await el.isVisible()) ? await el.textContent() : null;
}
