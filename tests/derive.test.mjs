// End-to-end tests of `derive` (boundary tags): with it, the heap finds each block's `next` from
// its size instead of storing it in the header. The diagram draws every such link dotted with an
// open head and marks it `data-derived="true"`, a note says why a real allocator does this, the
// bytes panel says the header's second word is not read as `next`; with `next` stored, none of
// that shows. The option travels in links, on `<brk-playground derive>` and in
// embed.html?derive=1, and is refused with a sentence, changing nothing, with the checks off.
//
// Run with `npm run test:e2e`, which builds the wasm module and the page first.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { deflateRawSync } from "node:zlib";

import { launch, openPlayground } from "./support/browser.mjs";
import { drawnData, heapBytes, shownError } from "./support/heap.mjs";
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

async function open(t, query = "?allocator=seed") {
  const { page, context, errors } = await openPlayground(browser, server.url, query);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** Loads `script` into the script box and runs all of it. */
async function runScript(page, script) {
  await page.fill("#script", script);
  await page.click("#script-run-all");
}

/** A link's fragment holding `json`, as the page writes it (deflated, base64url). */
function hashOf(json) {
  return "#s=" + deflateRawSync(Buffer.from(JSON.stringify(json))).toString("base64url");
}

const SCRIPT = "a = malloc(16); b = malloc(32); c = malloc(8); d = malloc(24)\nfree(b)";

/**
 * Each drawn block's link, in address order: the block's header, data, size and `next`
 * (`data-next`), and its link element's `data-derived`, class, head and dash pattern.
 */
function links(page, scope = "#diagram") {
  return page.$$eval(`${scope} .block`, (els) =>
    els
      .map((e) => {
        const svg = e.querySelector(".next-arrow");
        const path = svg.querySelector("path.out");
        return {
          header: Number(e.dataset.header),
          data: Number(e.dataset.address),
          size: Number(e.dataset.size),
          next: Number(e.dataset.next),
          derived: svg.dataset.derived ?? null,
          dotted: svg.classList.contains("derived"),
          head: path.getAttribute("marker-end"),
          dash: getComputedStyle(path).strokeDasharray,
          label: e.getAttribute("aria-label"),
        };
      })
      .sort((a, b) => a.data - b.data),
  );
}

/** Whether the element with this id (inside `host`, if given) is shown. */
function shown(page, id, host = "") {
  return page.locator(`${host} #${id}`.trim()).isVisible();
}

/** Everything a refused change must leave as it was: the drawing, every byte, the options. */
async function state(page) {
  return {
    drawn: await drawnData(page),
    bytes: await heapBytes(page),
    options: await page.evaluate(() => window.playground.options),
    steps: await page.evaluate(() => window.playground.timeline.steps.length),
  };
}

describe("next derived from the size", () => {
  test("the next menu derives next: every link is drawn derived, the note and the legend say why; stored, none is", async (t) => {
    const page = await open(t);
    await runScript(page, SCRIPT);
    const stored = await links(page);
    assert.equal(stored.length, 4);
    // Each link but the last block's (null, no head) ends in the filled head.
    assert.deepEqual(
      stored.map((l) => [l.derived, l.dotted, l.head]),
      [...stored.slice(0, -1).map(() => [null, false, "url(#arrowhead)"]), [null, false, ""]],
    );
    assert.equal(stored[0].dash, "none");
    assert.equal(await shown(page, "derived-note"), false);
    assert.equal(await shown(page, "legend-derived"), false);
    assert.equal(await page.$eval("#opt-derive", (e) => e.value), "stored");

    await page.selectOption("#opt-derive", "derived");
    assert.equal(await page.evaluate(() => window.playground.options.derive), true);
    assert.match(await page.textContent("#narration"), /next derived from each size, not stored/);
    await runScript(page, SCRIPT);
    const derived = await links(page);
    assert.equal(derived.length, 4);
    for (const l of derived) {
      assert.equal(l.derived, "true", `the link of the block at ${l.data}`);
      assert.equal(l.dotted, true);
      assert.equal(l.head, l.next === 0 ? "" : "url(#arrowhead-open)");
      assert.notEqual(l.dash, "none", "drawn dotted");
      assert.match(l.label, /Its next is derived, not stored/);
    }
    // The same blocks, linked the same way: each next header is right after the data.
    assert.deepEqual(
      derived.map((l) => [l.data, l.size, l.next]),
      stored.map((l) => [l.data, l.size, l.next]),
    );
    for (let i = 0; i + 1 < derived.length; i++) {
      assert.equal(derived[i].next, derived[i + 1].header);
      assert.equal(derived[i].next, derived[i].data + derived[i].size);
      assert.match(derived[i].label, /header \+ 8 \+ size = 0x[0-9a-f]{8}/);
    }
    assert.equal(derived[3].next, 0);
    assert.match(derived[3].label, /null, as the block ends at the break/);

    assert.equal(await shown(page, "derived-note"), true);
    assert.equal(await shown(page, "legend-derived"), true);
    const note = await page.textContent("#derived-note");
    assert.match(note, /next is derived, not stored/);
    assert.match(note, /the next header always sits right after the data, at header \+ 8 \+ size/);
    assert.match(note, /a write on every split, merge and append/);
    assert.match(note, /can go stale/);
    assert.match(note, /the heap's segment table holds the link/);

    // The bytes panel: the header's second word is not read as next.
    await page.focus(`#diagram .block[data-address="${derived[0].data}"]`);
    assert.equal(await page.textContent("#bytes [data-part=w1n]"), "not next");
    assert.match(await page.textContent("#bytes [data-part=w1v]"), /not read as next, which is derived: header \+ 8 \+ size = 0x[0-9a-f]{8}/);

    // Stored again: no link is derived, the note and the legend's entry go.
    await page.selectOption("#opt-derive", "stored");
    await runScript(page, SCRIPT);
    const again = await links(page);
    assert.deepEqual(again.map((l) => l.derived), [null, null, null, null]);
    assert.equal(await page.locator("#diagram [data-derived]").count(), 0);
    assert.equal(await shown(page, "derived-note"), false);
    assert.equal(await shown(page, "legend-derived"), false);
    await page.focus(`#diagram .block[data-address="${again[0].data}"]`);
    assert.equal(await page.textContent("#bytes [data-part=w1n]"), "next");
  });

  test("another allocator keeps next derived, and the exported picture draws the links dotted", async (t) => {
    const page = await open(t);
    await page.selectOption("#opt-derive", "derived");
    await page.selectOption("#allocator", "best-fit");
    assert.deepEqual(await page.evaluate(() => [window.playground.options.policy, window.playground.options.derive]), ["best-fit", true]);
    assert.equal(await page.$eval("#opt-derive", (e) => e.value), "derived");
    await runScript(page, SCRIPT);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
    const svg = readFileSync(await download.path(), "utf8");
    assert.equal((svg.match(/data-derived="true"/g) ?? []).length, 3, "three links to a next header; the last block's next is null");
    assert.match(svg, /stroke-dasharray="0.5 3.5"/);
    assert.match(svg, /marker-end="url\(#[\w-]*arrow-open\)"/);
  });

  test("a link holds derive; a session saved before derive opens with next stored", async (t) => {
    const page = await open(t);
    await page.selectOption("#opt-derive", "derived");
    await runScript(page, SCRIPT);
    const hash = new URL(await page.evaluate(() => window.link.link())).hash;
    const copy = await open(t, `?allocator=seed${hash}`);
    assert.equal(await copy.evaluate(() => window.playground.options.derive), true);
    assert.equal(await copy.$eval("#opt-derive", (e) => e.value), "derived");
    assert.deepEqual((await links(copy)).map((l) => l.derived), ["true", "true", "true", "true"]);
    assert.equal(await shown(copy, "derived-note"), true);

    const old = {
      brkalloc: "session",
      version: 2,
      options: { policy: "first-fit", split: false, coalesce: false, trim: false, checks: true },
      steps: [{ op: "malloc", size: 16 }, { op: "malloc", size: 8 }],
    };
    const opened = await open(t, `?allocator=seed${hashOf(old)}`);
    assert.equal(await shownError(opened), null);
    assert.equal(await opened.evaluate(() => window.playground.options.derive), false);
    assert.deepEqual((await links(opened)).map((l) => l.derived), [null, null]);
    assert.equal(await shown(opened, "derived-note"), false);
  });

  test("derive with the checks off is refused with a sentence, and nothing changes", async (t) => {
    const page = await open(t);
    await page.selectOption("#opt-derive", "derived");
    await runScript(page, SCRIPT);
    const before = await state(page);
    await page.selectOption("#opt-checks", "off");
    assert.match(await shownError(page), /^derive needs the checks on: with the checks off the heap runs as C's classic allocator does, which stores next in every header; turn the checks on to derive next from the size$/);
    assert.deepEqual(await state(page), before);
    assert.equal(await page.$eval("#opt-checks", (e) => e.value), "on", "the menu shows the checks still on");
    assert.equal(await page.$eval("#opt-derive", (e) => e.value), "derived");

    // The same from the other side: checks off first, then derive.
    const off = await open(t);
    await off.selectOption("#opt-checks", "off");
    await runScript(off, SCRIPT);
    const broken = await state(off);
    await off.selectOption("#opt-derive", "derived");
    assert.match(await shownError(off), /^derive needs the checks on/);
    assert.deepEqual(await state(off), broken);
    assert.equal(await off.$eval("#opt-derive", (e) => e.value), "stored");
  });
});

describe("derive on the element and in embed.html", () => {
  test("<brk-playground derive> draws derived links; with checks=\"off\" it says why nothing runs", async (t) => {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A tutorial</title>
<script type="module" src="brk-playground.js"></script></head>
<body><h1>Boundary tags</h1>
<brk-playground id="derived" derive start-step="3" script="a = malloc(16); b = malloc(8); free(a)"></brk-playground>
<brk-playground id="stored" start-step="3" script="a = malloc(16); b = malloc(8); free(a)"></brk-playground>
<brk-playground id="bad" derive checks="off" script="a = malloc(16)"></brk-playground>
</body></html>`;
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: "reduce" });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e));
    page.on("console", (m) => m.type() === "error" && errors.push(new Error(m.text())));
    await page.route(`${server.url}derive-page.html`, (route) => route.fulfill({ body: html, contentType: "text/html" }));
    await page.goto(`${server.url}derive-page.html`);
    await page.waitForFunction(() => [...document.querySelectorAll("brk-playground")].every((e) => e.dataset.ready === "true"), null, { timeout: 15000 });
    t.after(async () => {
      await context.close();
      assert.deepEqual(errors.map(String), [], "the page reported errors");
    });

    assert.equal(await page.$eval("#derived", (e) => e.playground.options.derive), true);
    assert.deepEqual((await links(page, "#derived #diagram")).map((l) => [l.derived, l.head]), [
      ["true", "url(#arrowhead-open)"],
      ["true", ""],
    ]);
    assert.equal(await shown(page, "derived-note", "#derived"), true);
    assert.match(await page.textContent("#derived #derived-note"), /the heap's segment table holds the link/);

    assert.equal(await page.$eval("#stored", (e) => e.playground.options.derive), false);
    assert.deepEqual((await links(page, "#stored #diagram")).map((l) => l.derived), [null, null]);
    assert.equal(await shown(page, "derived-note", "#stored"), false);

    assert.match(await page.textContent("#bad #error"), /^derive needs the checks on: .*\. Nothing was run\.$/);
    assert.equal(await page.$eval("#bad", (e) => e.playground.timeline.steps.length), 0, "nothing ran");
  });

  test("embed.html?derive=1 draws derived links", async (t) => {
    const query = new URLSearchParams({ derive: "1", script: "a = malloc(16); b = malloc(8)", "start-step": "2" });
    const { page, context, errors } = await openPlayground(browser, server.url, `embed.html?${query}`);
    t.after(async () => {
      await context.close();
      assert.deepEqual(errors.map(String), []);
    });
    assert.equal(await shownError(page, "brk-playground"), null);
    assert.equal(await page.$eval("brk-playground", (e) => e.playground.options.derive), true);
    assert.deepEqual((await links(page, "brk-playground #diagram")).map((l) => l.derived), ["true", "true"]);
    assert.equal(await shown(page, "derived-note", "brk-playground"), true);
  });
});
