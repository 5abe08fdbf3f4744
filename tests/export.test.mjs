// End-to-end tests of export and import: the diagram as SVG and PNG, the session as JSON, and
// a JSON file opened back giving the same heap.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks, brk, drawnData, heapBytes, position, shownError } from "./support/heap.mjs";
import { serve } from "./support/server.mjs";

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

/** Clicks `button` and resolves to the file it downloads: {name, bytes}. */
async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
}

/** A session with a bit of everything: names, a click, a step back. */
async function session(page) {
  await page.fill("#script", "a = malloc(40); b = malloc(16); c = malloc(64)\nfree(a); d = malloc(8)");
  await page.click("#script-run-all");
  await page.click(`#diagram .block[data-names="c"]`);
  await page.click("#step-back");
}

test("the diagram exports as an SVG picture of the same blocks", async (t) => {
  const page = await open(t);
  await session(page);
  const { name, bytes } = await downloaded(page, "#export-svg");
  assert.equal(name, "brkalloc-first-fit-step-5.svg");
  const svg = bytes.toString("utf8");
  const read = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.querySelector("parsererror")) return { error: doc.querySelector("parsererror").textContent };
    return {
      root: doc.documentElement.localName,
      title: doc.querySelector("svg > title").textContent,
      blocks: [...doc.querySelectorAll("g.block")].map((g) => ({
        address: Number(g.dataset.address ?? g.getAttribute("data-address")),
        size: Number(g.getAttribute("data-size")),
        free: g.getAttribute("data-free") === "true",
        names: g.getAttribute("data-names") ?? "",
      })),
      brk: Number(doc.querySelector("[data-brk]").getAttribute("data-brk")),
    };
  }, svg);
  assert.equal(read.error, undefined, "the SVG is well-formed XML");
  assert.equal(read.root, "svg");
  assert.equal(read.title, "brkalloc · First fit + split + coalesce + trim · step 5 of 6: d = malloc(8)");
  assert.deepEqual(read.blocks, await blocks(page));
  assert.equal(read.brk, await brk(page));
  assert.match(svg, /stroke-dasharray="4 3"/, "free blocks are dashed, not only coloured");
});

test("the diagram exports as a PNG picture", async (t) => {
  const page = await open(t);
  await session(page);
  const { name, bytes } = await downloaded(page, "#export-png");
  assert.equal(name, "brkalloc-first-fit-step-5.png");
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "the PNG signature");
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  assert.ok(width >= 800 && height >= 200, `a picture at twice the SVG's size (${width} × ${height})`);
  // It decodes, and is not blank: the header colour of the blocks is in it.
  const found = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let header = 0;
    let white = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === 0x24 && data[i + 1] === 0x34 && data[i + 2] === 0x47) header++;
      if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) white++;
    }
    return { header, white, pixels: data.length / 4 };
  }, bytes.toString("base64"));
  assert.ok(found.header > 1000, `the headers are drawn (${found.header} pixels)`);
  assert.ok(found.white > found.pixels / 4, "on a white background");
});

test("the session exports as JSON, and importing it gives the same heap", async (t) => {
  const page = await open(t);
  await session(page);
  const { name, bytes } = await downloaded(page, "#export-json");
  assert.equal(name, "brkalloc-first-fit-step-5.json");
  const json = JSON.parse(bytes.toString("utf8"));
  assert.equal(json.brkalloc, "session");
  assert.equal(json.position, 5);
  assert.equal(json.steps.length, 6);
  assert.deepEqual(json.steps[5], { op: "free", ptr: { step: 2 }, ptrName: "c" }, "the click freed what step 3 returned");
  assert.deepEqual(json.heap.blocks.map((b) => [b.size, b.free]), (await blocks(page)).map((b) => [b.size, b.free]));

  const expected = {
    drawn: await drawnData(page),
    bytes: await heapBytes(page),
    position: await position(page),
    options: await page.evaluate(() => window.playground.options),
  };
  // A fresh page with another allocator opens the file: the file's allocator and steps win.
  const other = await open(t, "?allocator=seed");
  await other.setInputFiles("#import-json", { name, mimeType: "application/json", buffer: bytes });
  await other.waitForFunction(() => window.playground.timeline.steps.length === 6);
  assert.deepEqual(
    {
      drawn: await drawnData(other),
      bytes: await heapBytes(other),
      position: await position(other),
      options: await other.evaluate(() => window.playground.options),
    },
    expected,
  );
  assert.equal(await shownError(other), null, "the heap matched the file's");
  assert.match(await other.textContent("#share-status"), /Opened brkalloc-first-fit-step-5\.json/);
});

test("a file that is not a session is refused with the reason, and changes nothing", async (t) => {
  const page = await open(t);
  await session(page);
  const before = await drawnData(page);
  for (const [content, message] of [
    ["{ not json", /broken\.json could not be opened: the file is not JSON/],
    [JSON.stringify({ brkalloc: "session", version: 1, options: { policy: "first-fit", split: 1, coalesce: false, trim: false }, steps: [] }), /split must be true or false, not 1/],
  ]) {
    await page.setInputFiles("#import-json", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from(content) });
    await page.waitForFunction(() => !document.querySelector("#error").hidden);
    assert.match(await shownError(page), message);
    assert.match(await shownError(page), /Nothing was changed\.$/);
    assert.deepEqual(await drawnData(page), before);
    assert.deepEqual(await position(page), { position: 5, total: 6 });
    await page.evaluate(() => (document.querySelector("#error").hidden = true));
  }
});
