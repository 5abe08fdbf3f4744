// End-to-end tests of trace replay: a malloc-lab trace loaded with the file picker or dropped
// on the panel, replayed in chunks with a progress bar, plotted, explored on the chart, and a
// malformed trace explained.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks, drawnData, heapBytes, position } from "./support/heap.mjs";
import { serve } from "./support/server.mjs";

const TRACES = fileURLToPath(new URL("../crate/lab/tests/traces/", import.meta.url));

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(t, query = "?allocator=default") {
  const { page, context, errors } = await openPlayground(browser, server.url, query);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/**
 * A trace of `n` operations made here, independently of the page: allocations of 8 to 600
 * bytes and frees of random live blocks (a fixed seed), with its peak live data and the ids
 * live at the end.
 */
function makeTrace(n) {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const live = new Map();
  const lines = [];
  let next = 0;
  let liveBytes = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    if (live.size === 0 || random() < 0.55) {
      const size = 8 + Math.floor(random() * 593);
      live.set(next, size);
      lines.push(`a ${next} ${size}`);
      liveBytes += size;
      next++;
    } else {
      const ids = [...live.keys()];
      const id = ids[Math.floor(random() * ids.length)];
      liveBytes -= live.get(id);
      live.delete(id);
      lines.push(`f ${id}`);
    }
    peak = Math.max(peak, liveBytes);
  }
  const text = `100000\n${next}\n${n}\n1\n${lines.join("\n")}\n`;
  return { text, peak, liveAtEnd: live.size };
}

async function replayed(page) {
  await page.waitForFunction(() => ["done", "failed"].includes(document.querySelector(".trace").dataset.state), null, { timeout: 30000 });
  return page.$eval(".trace", (e) => e.dataset.state);
}

test("a trace chosen with the file picker replays with a progress bar, and the chart plots it", async (t) => {
  const page = await open(t);
  const trace = makeTrace(12000);
  // Record every value the progress bar takes.
  await page.evaluate(() => {
    window.progressSeen = [];
    const bar = document.querySelector("#trace-progress");
    new MutationObserver(() => window.progressSeen.push([bar.value, bar.max])).observe(bar, { attributes: true });
    const set = Object.getOwnPropertyDescriptor(HTMLProgressElement.prototype, "value").set;
    Object.defineProperty(bar, "value", {
      get: () => Number(bar.getAttribute("value")),
      set: (v) => {
        window.progressSeen.push([v, bar.max]);
        set.call(bar, v);
      },
    });
  });
  await page.setInputFiles("#trace-file", { name: "made.rep", mimeType: "text/plain", buffer: Buffer.from(trace.text) });
  assert.equal(await replayed(page), "done");

  const seen = await page.evaluate(() => window.progressSeen);
  const partial = new Set(seen.filter(([v, max]) => v > 0 && v < max).map(([v]) => v));
  assert.ok(partial.size >= 3, `the bar moved in steps before the end (${[...partial]})`);
  assert.equal(await page.$eval("#trace-progress", (e) => e.value === e.max && e.max === 12000), true);
  assert.match(await page.textContent("#trace-status"), /^made\.rep: 12,000 operations replayed in \d+ ms$/);

  // The numbers: peak live as the trace itself says; utilisation = peak live / peak heap size.
  const stat = (k) => page.textContent(`#trace-summary [data-stat="${k}"]`);
  assert.equal(await stat("peak-live-data"), `${trace.peak.toLocaleString("en-US")} bytes`);
  const peakExtent = Number((await stat("peak-heap-size")).replace(/\D/g, ""));
  assert.ok(peakExtent >= trace.peak);
  const utilisation = Number(await page.getAttribute("#trace-chart", "data-utilisation"));
  assert.ok(Math.abs(utilisation - trace.peak / peakExtent) < 1e-4);
  // Four lines over the whole trace, and the diagram shows the heap at its end.
  const series = await page.$$eval("#trace-chart path[data-series]", (ps) => ps.map((p) => [p.dataset.series, p.getAttribute("d").split("L").length]));
  assert.deepEqual(series.map(([s]) => s), ["extent", "live", "utilisation", "fragmentation"]);
  assert.ok(series.every(([, n]) => n > 300), "hundreds of points each");
  const snap = await page.evaluate(() => window.playground.engine.snapshot());
  assert.equal(snap.blocks.filter((b) => !b.free).length, trace.liveAtEnd, "one used block per id live at the end");
  assert.equal(await page.evaluate(() => window.playground.engine.check()), undefined);
  assert.match(await page.textContent("#narration"), /^The heap after the trace made\.rep: 12,000 operations replayed/);
});

test("a trace dropped on the panel replays, and the chart picks the operation shown", async (t) => {
  const page = await open(t, "?allocator=seed");
  const text = readFileSync(`${TRACES}short.rep`, "utf8");
  await page.evaluate((content) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], "short.rep", { type: "text/plain" }));
    const zone = document.querySelector("#trace-drop");
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, text);
  assert.equal(await replayed(page), "done");
  // short.rep frees everything: the heap ends empty except what the seed keeps.
  const atEnd = await drawnData(page);

  // The chart is a slider: Home is the empty heap, arrows move one operation (a 14-op trace).
  await page.focus("#trace-chart");
  await page.keyboard.press("Home");
  assert.deepEqual(await blocks(page), []);
  assert.equal(await page.getAttribute("#trace-chart", "aria-valuenow"), "0");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.deepEqual((await blocks(page)).map((b) => [b.size, b.free]), [[2040, false], [2040, false]], "after a 0 2040 and a 1 2040");
  assert.match(await page.getAttribute("#trace-chart", "aria-valuetext"), /^operation 2 of 14: heap /);
  assert.match(await page.textContent("#narration"), /^The heap after operation 2 of 14 of the trace short\.rep\.$/);
  // A click on the chart's right end: the last operation.
  const box = await page.locator("#trace-chart svg").boundingBox();
  await page.mouse.click(box.x + box.width - 13, box.y + 40);
  assert.equal(await page.getAttribute("#trace-chart", "aria-valuenow"), "14");
  assert.deepEqual(await drawnData(page), atEnd);
});

test("steps after a trace stand on it: stepping back gives the trace's heap exactly", async (t) => {
  const page = await open(t, "?allocator=best-fit");
  await page.fill("#trace-ops", "3000");
  await page.selectOption("#trace-kind", "small-large");
  await page.click("#trace-generate button");
  assert.equal(await replayed(page), "done");
  const afterTrace = { drawn: await drawnData(page), bytes: await heapBytes(page) };
  await page.fill("#malloc-size", "5000");
  await page.press("#malloc-size", "Enter");
  await page.fill("#malloc-size", "24");
  await page.press("#malloc-size", "Enter");
  const afterSteps = { drawn: await drawnData(page), bytes: await heapBytes(page) };
  await page.click("#step-first");
  assert.deepEqual({ drawn: await drawnData(page), bytes: await heapBytes(page) }, afterTrace);
  assert.match(await page.textContent("#narration"), /^The heap after the trace small-large-3000\.rep \(3,000 operations\), before step 1 of 2\./);
  await page.click("#step-last");
  assert.deepEqual({ drawn: await drawnData(page), bytes: await heapBytes(page) }, afterSteps);
  // A link cannot hold a trace: the address bar says nothing rather than something else.
  assert.equal(await page.evaluate(() => location.hash), "");
  // Undo goes back to before the trace.
  await page.click("#undo");
  await page.click("#undo");
  await page.click("#undo");
  assert.deepEqual(await blocks(page), []);
  assert.deepEqual(await position(page), { position: 0, total: 0 });
});

for (const [what, name, content, message] of [
  ["a double free", "bad-double-free.rep", readFileSync(`${TRACES}bad-double-free.rep`, "utf8"), /^bad-double-free\.rep could not be read: line 7[,:].*Nothing was changed\.$/],
  ["an unknown operation", "typo.rep", "100\n2\n2\n1\na 0 16\nx 0\n", /^typo\.rep could not be read: line 6, column 1: .*Nothing was changed\.$/],
  ["a missing header", "empty.rep", "# nothing here\n", /^empty\.rep could not be read: line 1: the header is missing/],
]) {
  test(`a malformed trace (${what}) names the line, and changes nothing`, async (t) => {
    const page = await open(t);
    await page.fill("#malloc-size", "24");
    await page.press("#malloc-size", "Enter");
    const heap = { drawn: await drawnData(page), position: await position(page) };
    await page.setInputFiles("#trace-file", { name, mimeType: "text/plain", buffer: Buffer.from(content) });
    await page.waitForSelector("#trace-error:not([hidden])");
    assert.match(await page.textContent("#trace-error"), message);
    assert.equal(await page.getAttribute("#trace-error", "role"), "alert");
    assert.deepEqual({ drawn: await drawnData(page), position: await position(page) }, heap);
  });
}
