// End-to-end tests of embedding: `<brk-playground>` elements on a plain HTML page that loads
// dist/brk-playground.js with one script tag (each element its own heap, in its own shadow DOM),
// their attributes, embed.html for iframes, and the tutorial page.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks, drawnData } from "./support/heap.mjs";
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

/**
 * Opens a plain page (served from the same origin, as an author's page would be) whose body
 * is `body`, after one `<script type="module" src="brk-playground.js">`.
 */
async function plainPage(t, body, ready = "brk-playground[data-ready=true]") {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A tutorial</title>
<script type="module" src="brk-playground.js"></script></head>
<body><h1>Malloc, step by step</h1>${body}</body></html>`;
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: "reduce" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => m.type() === "error" && errors.push(new Error(m.text())));
  await page.route(`${server.url}tutorial-page.html`, (route) => route.fulfill({ body: html, contentType: "text/html" }));
  await page.goto(`${server.url}tutorial-page.html`);
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll("brk-playground")].every((e) => e.matches(sel)),
    ready,
    { timeout: 15000 },
  );
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/**
 * What is wrong with the layout of every `<brk-playground>` on the page, as sentences (none when
 * all is well): in each diagram, labels that overlap or run past its sides; in each
 * timeline bar, transport buttons outside the element, hidden, or wrapped onto two lines.
 * With `everyStep`, each element is looked at on each of its steps, then put back at its start.
 */
function layoutProblems(page, everyStep = false) {
  return page.evaluate(async (everyStep) => {
    const problems = [];
    const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const across = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5;
    const inside = (a, b) => across(a, b) && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
    const name = (e) => `${e.className} "${e.textContent.trim()}"`;
    const look = (host, where) => {
      const root = host.shadowRoot;
      const diagram = root.getElementById("diagram");
      const box = diagram.getBoundingClientRect();
      const labels = [...root.querySelectorAll(".marker-label, .limit-label, .page-label, .tail-label, .tail-sub, .names, .null-tag, .gap code")].filter(
        (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility === "visible",
      );
      const rects = labels.map((e) => e.getBoundingClientRect());
      for (let i = 0; i < labels.length; i++) {
        // Sideways: the diagram scrolls up and down, never across.
        if (!across(rects[i], box)) problems.push(`${where}: ${name(labels[i])} runs past the diagram's side`);
        for (let j = i + 1; j < labels.length; j++) {
          if (overlap(rects[i], rects[j])) problems.push(`${where}: ${name(labels[i])} overlaps ${name(labels[j])}`);
        }
      }
      const frame = host.getBoundingClientRect();
      for (const b of root.querySelectorAll(".transport button")) {
        const r = b.getBoundingClientRect();
        if (!inside(r, frame) || !b.checkVisibility()) problems.push(`${where}: #${b.id} is not wholly inside the element`);
        // One line: no taller than its neighbours' 36 px (a wrapped "Forward ▶" is twice that).
        if (r.height > 40 || b.scrollWidth > b.clientWidth) problems.push(`${where}: #${b.id} wraps or clips its text`);
      }
    };
    for (const host of document.querySelectorAll("brk-playground")) {
      const app = host.playground;
      const steps = everyStep ? app.timeline.steps.length : -1;
      const start = app.timeline.position;
      if (steps < 0) look(host, `#${host.id}`);
      for (let s = 0; s <= steps; s++) {
        app.goTo(s);
        await new Promise(requestAnimationFrame);
        look(host, `#${host.id} step ${s}`);
      }
      if (everyStep) app.goTo(start);
    }
    return problems;
  }, everyStep);
}

/** The element's position in its timeline. */
function elementPosition(page, id) {
  return page.$eval(`#${id}`, (e) => ({ position: e.playground.timeline.position, total: e.playground.timeline.steps.length }));
}

describe("<brk-playground> on a plain HTML page", () => {
  test("two elements run different scripts, each on its own heap", async (t) => {
    const page = await plainPage(
      t,
      `<brk-playground id="one" controls="steps" start-step="3">a = malloc(16); b = malloc(32); free(a)</brk-playground>
       <p>Some prose between them.</p>
       <brk-playground id="two" policy="best-fit" split coalesce trim controls="full"
          script="x = malloc(100); y = malloc(8); free(x); z = malloc(40)"></brk-playground>`,
    );
    assert.equal(await page.evaluate(() => document.querySelectorAll("script").length), 1, "one script tag");
    const one = "brk-playground#one #diagram";
    const two = "brk-playground#two #diagram";
    assert.deepEqual((await blocks(page, one)).map((b) => [b.size, b.free, b.names]), [[16, true, "a"], [32, false, "b"]]);
    assert.deepEqual(await elementPosition(page, "one"), { position: 3, total: 3 });
    assert.deepEqual(await elementPosition(page, "two"), { position: 0, total: 4 }, "start-step defaults to 0");
    assert.deepEqual(await blocks(page, two), []);
    assert.deepEqual(
      await page.$eval("#two", (e) => e.playground.options),
      { policy: "best-fit", split: true, coalesce: true, trim: true, derive: false, checks: true },
    );

    // Stepping the second changes the second alone.
    const oneBefore = await drawnData(page, one);
    await page.click("brk-playground#two #step-last");
    assert.deepEqual((await blocks(page, two)).map((b) => [b.size, b.free, b.names]), [[40, false, "x z"], [56, true, ""], [16, false, "y"]],
      "best fit splits x's freed 104 bytes: 40 for z, and 56 left free after a header; x now dangles there");
    assert.deepEqual(await drawnData(page, one), oneBefore, "the first element did not change");

    // And the first alone: back to its start, then a click frees a block in it only.
    const twoBefore = await drawnData(page, two);
    await page.click("brk-playground#one #step-back");
    assert.equal((await blocks(page, one))[0].free, false);
    await page.click(`${one} .block[data-names="b"]`);
    assert.deepEqual(await elementPosition(page, "one"), { position: 3, total: 3 });
    assert.deepEqual(await drawnData(page, two), twoBefore, "the second element did not change");

    // Separate heaps: different pages of memory, and each one sound.
    const starts = await page.$$eval("brk-playground", (els) => els.map((e) => e.playground.layout.heapStart));
    assert.notEqual(starts[0], starts[1]);
    const checks = await page.$$eval("brk-playground", (els) => els.map((e) => e.playground.engine.check() ?? "sound"));
    assert.deepEqual(checks, ["sound", "sound"]);

    // The keyboard steps the element that has focus, and only it.
    await page.focus("brk-playground#two #step-back");
    await page.keyboard.press("Home");
    assert.deepEqual(await elementPosition(page, "two"), { position: 0, total: 4 });
    assert.deepEqual(await elementPosition(page, "one"), { position: 3, total: 3 });
  });

  test("an element in a 375 px column of a wide page lays itself out for its own width", async (t) => {
    const page = await plainPage(
      t,
      `<main style="width: 375px">
         <brk-playground id="column" controls="full" start-step="2">a = malloc(24); b = malloc(40)</brk-playground>
       </main>`,
    );
    assert.equal(await page.evaluate(() => innerWidth), 1100, "the window is wide; the element is not");
    assert.deepEqual(await layoutProblems(page), []);
    // Its narrow layout: the words "Back" and "Forward" give way to the arrows alone.
    assert.equal(await page.isVisible("brk-playground#column #step-forward .word"), false);
  });

  test("controls, start-step and height shape the element", async (t) => {
    const page = await plainPage(
      t,
      `<brk-playground id="none" controls="none" script="a = malloc(8); b = malloc(8)"></brk-playground>
       <brk-playground id="steps" start-step="1" height="150" script="a = malloc(8); b = malloc(8)"></brk-playground>
       <brk-playground id="full" controls="full" preset="default"></brk-playground>`,
    );
    // none: no controls, the last step by default, its sentence shown.
    assert.equal(await page.locator("brk-playground#none button").count(), 0);
    assert.deepEqual(await elementPosition(page, "none"), { position: 2, total: 2 });
    assert.match(await page.textContent("brk-playground#none #narration"), /^Step 2 \(line 1\): b = malloc\(8\)/);
    // steps: the timeline bar, no forms; start-step honoured; the diagram no taller than asked.
    assert.equal(await page.locator("brk-playground#steps #step-forward").count(), 1);
    assert.equal(await page.locator("brk-playground#steps #malloc-form").count(), 0);
    assert.deepEqual(await elementPosition(page, "steps"), { position: 1, total: 2 });
    const height = await page.$eval("brk-playground#steps", (e) => e.shadowRoot.getElementById("diagram").getBoundingClientRect().height);
    assert.ok(height <= 151, `the diagram is at most 150 px tall (${height})`);
    // full: the forms work inside the shadow root.
    await page.fill("brk-playground#full #malloc-size", "40");
    await page.press("brk-playground#full #malloc-size", "Enter");
    assert.deepEqual((await blocks(page, "brk-playground#full #diagram")).map((b) => b.size), [40]);
    assert.equal(await page.isChecked("brk-playground#full #opt-coalesce"), true, "preset=default");
    // Changing an attribute starts the element over with it.
    await page.$eval("#steps", (e) => e.setAttribute("script", "q = malloc(64)"));
    await page.waitForFunction(() => document.querySelector("#steps").playground?.timeline.steps.length === 1);
  });

  test("a malformed script or attribute is explained inside the element, and nothing runs", async (t) => {
    const page = await plainPage(
      t,
      `<brk-playground id="bad">a = malloc(16)
free(b)</brk-playground>
       <brk-playground id="policy" policy="fastest" script="a = malloc(8)"></brk-playground>`,
    );
    assert.equal(
      await page.textContent("brk-playground#bad #error"),
      "The script was not run: line 2, column 6: 'b' is used before it is assigned: assign it first, as in 'b = malloc(16)'",
    );
    assert.deepEqual(await elementPosition(page, "bad"), { position: 0, total: 0 });
    assert.deepEqual(await blocks(page, "brk-playground#bad #diagram"), []);
    assert.match(await page.textContent("brk-playground#policy #error"), /^policy="fastest": the policies are first-fit, next-fit, best-fit, worst-fit, segregated\. Nothing was run\.$/);
    assert.deepEqual(await elementPosition(page, "policy"), { position: 0, total: 0 });
  });
});

describe("embed.html and the tutorial page", () => {
  test("embed.html takes the element's attributes from its query string", async (t) => {
    const query = new URLSearchParams({ script: "a = malloc(16); b = malloc(8); free(a)", controls: "steps", "start-step": "2", policy: "best-fit" });
    const { page, context, errors } = await openPlayground(browser, server.url, `embed.html?${query}`);
    t.after(async () => {
      await context.close();
      assert.deepEqual(errors.map(String), []);
    });
    const el = "brk-playground";
    assert.deepEqual(await page.$eval(el, (e) => [e.playground.timeline.position, e.playground.options.policy]), [2, "best-fit"]);
    assert.deepEqual((await blocks(page, `${el} #diagram`)).map((b) => [b.size, b.names]), [[16, "a"], [16, "b"]], "8 bytes get the smallest block, 16");
  });

  test("embed.html names a parameter it does not know", async (t) => {
    const { page, context } = await openPlayground(browser, server.url, "embed.html?scirpt=a%3Dmalloc(8)");
    t.after(() => context.close());
    assert.match(await page.textContent("brk-playground #error"), /embed.html does not know the parameter "scirpt": the parameters are script, preset/);
  });

  for (const width of [640, 375]) {
    test(`the tutorial page at ${width} px: on every step no diagram label overlaps another or runs past its diagram's side, and the transport buttons fit`, async (t) => {
      const { page, context, errors } = await openPlayground(browser, server.url, "tutorial.html", { width, height: 900 });
      t.after(async () => {
        await context.close();
        assert.deepEqual(errors.map(String), []);
      });
      assert.deepEqual(await layoutProblems(page, true), []);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, "nothing scrolls sideways");
    });
  }

  test("the tutorial page shows the brief's walk-through live, and every example starts", async (t) => {
    const { page, context, errors } = await openPlayground(browser, server.url, "tutorial.html");
    t.after(async () => {
      await context.close();
      assert.deepEqual(errors.map(String), []);
    });
    const walk = "brk-playground#brief";
    assert.deepEqual(await elementPosition(page, "brief"), { position: 0, total: 6 });
    for (let i = 0; i < 5; i++) await page.click(`${walk} #step-forward`);
    // After free(c), the last block: the break moved back down past it.
    assert.match(await page.textContent(`${walk} #narration`), /^Step 5 \(line 6\): free\(c\): the last block, so the break moves back down by 48 bytes/);
    await page.click(`${walk} #step-forward`);
    assert.deepEqual((await blocks(page, `${walk} #diagram`)).map((b) => [b.size, b.free, b.names]), [[24, false, "a"], [16, false, "b d"]], "d reuses b's block (malloc(8) gets the smallest block, 16 bytes)");
    // The two allocators side by side, and the iframe.
    assert.deepEqual((await blocks(page, "#pair-seed #diagram")).map((b) => b.free), [true, true, false, false]);
    assert.deepEqual((await blocks(page, "#pair-best #diagram")).map((b) => b.free), [false, false]);
    const frame = page.frameLocator("#iframe-example");
    await frame.locator("brk-playground[data-ready=true]").waitFor();
    assert.equal(await frame.locator("brk-playground #diagram .block").count(), 1);
  });
});
