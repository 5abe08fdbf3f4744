// End-to-end tests of the timeline: stepping back and forth gives back exactly the earlier heap
// (every data-* attribute and every byte), undo and redo, playing, the keyboard, and the
// animation that reduced motion turns off.
//
// Run with `npm run test:e2e`, which builds the wasm module and the page first.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

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

async function open(t, query = "?allocator=seed", options = {}) {
  const { page, context, errors } = await openPlayground(browser, server.url, query, undefined, options);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** Presses `key` with nothing focused (as after clicking the page's background). */
async function pressOnPage(page, key) {
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(key);
}

async function malloc(page, size) {
  await page.fill("#malloc-size", String(size));
  await page.press("#malloc-size", "Enter");
}

/** Loads `script` into the script box and steps through it from the start. */
async function loadScript(page, script, button = "#script-run") {
  await page.fill("#script", script);
  await page.click(button);
}

/**
 * Everything that must come back when the heap is rebuilt: drawing, bytes, the step's sentence
 * (a step revisited is introduced as "Step k: ", one just done is not), the stats.
 */
async function state(page) {
  return {
    drawn: await drawnData(page),
    bytes: await heapBytes(page),
    narration: (await page.textContent("#narration")).replace(/^Step \d+( \(line \d+\))?: /, ""),
    stats: await page.textContent("#stats"),
  };
}

// Frees write free-list links into the data of free blocks (segregated lists), coalescing
// rewrites headers, realloc copies, calloc zeroes: bytes a sloppy rebuild would get wrong.
const BUSY_SCRIPT = `a = malloc(40); b = malloc(24); c = malloc(100); d = malloc(16)
free(b); free(d)
e = calloc(3, 8)
c = realloc(c, 200)
free(a); f = malloc(8); g = malloc(64)
free(c); free(e)`;

describe("stepping back and forth", () => {
  for (const allocator of ["seed", "segregated", "best-fit"]) {
    test(`every step, back or forward or jumped to, shows exactly the earlier heap (${allocator})`, async (t) => {
      const page = await open(t, `?allocator=${allocator}`);
      await loadScript(page, BUSY_SCRIPT);
      const { total } = await position(page);
      assert.equal(total, 13);
      const seen = [await state(page)];
      for (let k = 1; k <= total; k++) {
        await page.click("#step-forward");
        seen.push(await state(page));
      }
      assert.notDeepEqual(seen[total].bytes.hex, seen[0].bytes.hex, "the steps changed the heap's bytes");
      for (let k = total - 1; k >= 0; k--) {
        await page.click("#step-back");
        assert.deepEqual(await state(page), seen[k], `back to step ${k}`);
      }
      // Jumps in both directions, with the scrubber and the log.
      for (const k of [9, 3, 12, 0, 7, 13, 5]) {
        await page.locator("#scrubber").fill(String(k));
        assert.equal((await position(page)).position, k);
        assert.deepEqual(await state(page), seen[k], `scrubbed to step ${k}`);
      }
      await page.click("#log li[data-step='4']");
      assert.deepEqual(await state(page), seen[4], "chosen in the log: step 4");
      assert.equal(await page.evaluate(() => window.playground.engine.check()), undefined);
    });
  }

  test("going back shows the narration of that step, and the steps ahead stay in the log", async (t) => {
    const page = await open(t);
    for (const size of [24, 40, 8]) await malloc(page, size);
    const narration = await page.textContent("#narration");
    await page.click("#step-back");
    await page.click("#step-back");
    assert.match(await page.textContent("#narration"), /^Step 1: malloc\(24\): the heap has no blocks yet, so sbrk\(\+32\)/);
    assert.equal(await page.locator("#log li.undone").count(), 2);
    assert.equal(await page.textContent("#step-label"), "Step 1 of 3");
    await page.click("#step-last");
    assert.equal(await page.textContent("#narration"), `Step 3: ${narration}`);
  });

  test("a new step after going back replaces the steps ahead", async (t) => {
    const page = await open(t);
    for (const size of [24, 40, 8]) await malloc(page, size);
    await page.click("#step-first");
    assert.deepEqual(await blocks(page), []);
    await malloc(page, 100);
    assert.deepEqual(await position(page), { position: 1, total: 1 });
    assert.equal((await blocks(page))[0].size, 104, "the seed rounds 100 up to the alignment");
  });
});

describe("undo and redo", () => {
  test("undo brings back what an edit replaced, and redo does the edit again", async (t) => {
    const page = await open(t);
    for (const size of [24, 40, 8]) await malloc(page, size);
    const [a] = await blocks(page);
    await page.click(`#diagram .block[data-address="${a.address}"]`);
    const full = await state(page);

    // Reset empties the heap; undo gives back the four steps, exactly.
    await page.click("#reset");
    assert.deepEqual(await blocks(page), []);
    await page.click("#undo");
    assert.deepEqual(await state(page), full);
    assert.deepEqual(await position(page), { position: 4, total: 4 });
    await page.click("#redo");
    assert.deepEqual(await blocks(page), []);
    await page.click("#undo");

    // Going back two steps and doing something new drops two steps; undo brings them back,
    // where the learner stood when they were dropped.
    await page.click("#step-back");
    await page.click("#step-back");
    const atTwo = await state(page);
    await malloc(page, 16);
    assert.deepEqual(await position(page), { position: 3, total: 3 });
    // (In a text field Ctrl+Z undoes the typing; elsewhere, the last edit.)
    await pressOnPage(page, "Control+z");
    assert.deepEqual(await position(page), { position: 2, total: 4 });
    assert.deepEqual(await state(page), atTwo);
    await pressOnPage(page, "Control+Shift+z");
    assert.deepEqual(await position(page), { position: 3, total: 3 });
    assert.equal((await blocks(page)).at(-1).size, 16);

    // A change of allocator is undone too.
    await page.selectOption("#allocator", "best-fit");
    assert.equal(await page.evaluate(() => window.playground.options.policy), "best-fit");
    await page.click("#undo");
    assert.equal(await page.evaluate(() => window.playground.options.policy), "first-fit");
    assert.equal((await blocks(page)).at(-1).size, 16);
  });

  test("undo and redo are disabled when there is nothing to undo or redo", async (t) => {
    const page = await open(t);
    assert.equal(await page.isDisabled("#undo"), true);
    assert.equal(await page.isDisabled("#redo"), true);
    await malloc(page, 8);
    assert.equal(await page.isDisabled("#undo"), false);
    await page.click("#undo");
    assert.equal(await page.isDisabled("#undo"), true);
    assert.equal(await page.isDisabled("#redo"), false);
    assert.deepEqual(await blocks(page), []);
  });
});

test("play runs the steps ahead at the chosen speed and stops at the last", async (t) => {
  const page = await open(t);
  await loadScript(page, "a = malloc(8); b = malloc(8); c = malloc(8); d = malloc(8); free(b)");
  await page.selectOption("#speed", "8");
  const started = Date.now();
  await page.click("#play");
  assert.equal(await page.getAttribute("#play", "aria-pressed"), "true");
  await page.waitForFunction(() => window.playground.timeline.position === 5 && !window.playground.playing, null, { timeout: 5000 });
  const took = Date.now() - started;
  assert.ok(took >= 450, `5 steps at 8 a second take at least half a second (took ${took} ms)`);
  assert.equal(await page.getAttribute("#play", "aria-pressed"), "false");
  assert.match(await page.textContent("#narration"), /^Step 5 \(line 1\): free\(b\)/);

  // Play again from the end starts over; Space pauses.
  await page.selectOption("#speed", "0.5");
  await page.click("#play");
  await page.waitForFunction(() => window.playground.timeline.position === 1);
  await pressOnPage(page, " ");
  assert.equal(await page.evaluate(() => window.playground.playing), false);
});

test("a keyboard-only walk-through: load a script, step, free a block, undo", async (t) => {
  const page = await open(t);
  // S focuses the script box; Ctrl+Enter in it loads the script.
  await pressOnPage(page, "s");
  assert.equal(await page.evaluate(() => document.activeElement.id), "script");
  await page.keyboard.press("Control+a");
  await page.keyboard.type("a = malloc(16)\nb = malloc(32)\nfree(a)\n");
  await page.keyboard.press("Control+Enter");
  assert.deepEqual(await position(page), { position: 0, total: 3 });

  // Tab out of the box to the buttons, then the arrows step.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "script-run");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "the focused button shows its focus");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.deepEqual((await blocks(page)).map((b) => [b.size, b.names]), [[16, "a"], [32, "b"]]);
  assert.match(await page.textContent("#narration"), /^Step 2 \(line 2\): b = malloc\(32\)/);
  assert.equal(await page.getAttribute("#narration", "aria-live"), "polite", "the narration is read out");
  await page.keyboard.press("End");
  assert.equal((await blocks(page))[0].free, true);
  await page.keyboard.press("Home");
  assert.deepEqual(await blocks(page), []);
  await page.keyboard.press("End");

  // Tab on (round the page) to the first block, → to the second, Delete frees it: a new step.
  const b = (await blocks(page))[1];
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement.classList.contains("block"))) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement.dataset.names), "a", "Tab reaches the first block");
  assert.match(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), /^Free block at 0x[0-9a-f]{8}, 16 bytes of data after a 8-byte header\. Named a \(dangling\)\./);
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => Number(document.activeElement.dataset.address)), b.address);
  await page.keyboard.press("Delete");
  assert.deepEqual(await position(page), { position: 4, total: 4 });
  assert.match(await page.textContent("#narration"), /^free\(b\): /);
  // Focus left the removed block; Ctrl+Z undoes the free.
  await pressOnPage(page, "Control+z");
  assert.deepEqual(await position(page), { position: 3, total: 3 });
  assert.equal((await blocks(page)).length, 2);

  // ? opens the list of shortcuts.
  await pressOnPage(page, "?");
  assert.equal(await page.evaluate(() => document.querySelector("#shortcuts").open), true);
  assert.match(await page.textContent("#shortcut-list"), /step back, step forward/);
});

describe("animation", () => {
  test("blocks slide and grow into place, and a new block grows in", async (t) => {
    const page = await open(t, "?allocator=default", { motion: "no-preference" });
    await loadScript(page, "a = malloc(64); b = malloc(16); free(a); c = malloc(8)", "#script-run-all");
    await page.click("#step-back");
    // Forward: c = malloc(8) splits a's free block: a new block appears at the split.
    await page.click("#step-forward");
    const animating = await page.$$eval("#diagram .block", (els) => els.map((e) => e.getAnimations().length).reduce((a, b) => a + b, 0));
    assert.ok(animating > 0, "blocks animate");
    const duration = await page.$eval("#diagram .block", (e) => getComputedStyle(e).transitionDuration);
    assert.match(duration, /0\.24s/);
  });

  test("with prefers-reduced-motion, nothing moves", async (t) => {
    const page = await open(t, "?allocator=default", { motion: "reduce" });
    await loadScript(page, "a = malloc(64); b = malloc(16); free(a); c = malloc(8)", "#script-run-all");
    await page.click("#step-back");
    await page.click("#step-forward");
    const animating = await page.$$eval("#diagram *", (els) => els.map((e) => e.getAnimations().length).reduce((a, b) => a + b, 0));
    assert.equal(animating, 0);
    const duration = await page.$eval("#diagram .block", (e) => getComputedStyle(e).transitionDuration);
    assert.match(duration, /^0s/);
    assert.equal(await page.locator("#diagram .ghost").count(), 0);
  });
});

describe("scenario scripts", () => {
  test("named pointers label their blocks, and a step the heap refuses shows why and changes nothing", async (t) => {
    const page = await open(t);
    await loadScript(
      page,
      `// a walk-through example, one statement a line or ;-separated
a = malloc(16); b = malloc(32); free(a); c = realloc(b, 64); d = calloc(4, 8);
free(a)   # a double free: the heap refuses it`,
      "#script-run-all",
    );
    assert.deepEqual(await position(page), { position: 6, total: 6 });
    const drawn = await blocks(page);
    assert.deepEqual(
      drawn.map((b) => [b.size, b.free, b.names]),
      [
        [16, true, "a"],
        [64, false, "b c"],
        [32, false, "d"],
      ],
      "a is freed (its name now dangles); b, the last block, grows in place, so b and c hold the same address; " +
        "calloc(4, 8) needs 32 bytes, which a's free block of 16 cannot hold",
    );
    assert.equal(await page.locator("#diagram .block .name.dangling").textContent(), "a");
    assert.match(await shownError(page), /^free\(0x[0-9a-f]{8}\): the block at 0x[0-9a-f]{8} is/);
    assert.match(await page.textContent("#narration"), /^Step 6 \(line 3\): free\(a\) is refused: /);
    await page.click("#step-back");
    assert.equal(await shownError(page), null, "the error belongs to step 6 alone");
    const atFive = await drawnData(page);
    await page.click("#step-forward");
    assert.deepEqual(await drawnData(page), atFive, "the refused step changed nothing");
    assert.equal(await page.locator("#log li.error[data-step='6']").count(), 1);
  });

  for (const [script, where, message] of [
    ["a = malloc(16)\nfree(b)", "line 2, column 6", /'b' is used before it is assigned/],
    ["a = malloc(16\nfree(a)", "line 1, column 14", /expected/],
    ["a = malloc(-1)", "line 1, column 12", /./],
    ["x = frob(3)", "line 1, column 5", /./],
  ]) {
    test(`a malformed script (${JSON.stringify(script)}) names ${where} and runs nothing`, async (t) => {
      const page = await open(t);
      await loadScript(page, "p = malloc(24); q = malloc(8)", "#script-run-all");
      const before = { drawn: await drawnData(page), position: await position(page) };
      await loadScript(page, script);
      const error = await page.textContent("#script-error");
      assert.ok(error.startsWith(`The script was not run: ${where}: `), error);
      assert.match(error, message);
      assert.equal(await page.isVisible("#script-error"), true);
      assert.equal(await page.getAttribute("#script", "aria-invalid"), "true");
      assert.deepEqual({ drawn: await drawnData(page), position: await position(page) }, before, "nothing ran");
      // The cursor is put where the problem is.
      const [line, column] = where.match(/\d+/g).map(Number);
      const caret = await page.$eval("#script", (e) => e.selectionStart);
      const lines = script.split("\n");
      assert.equal(caret, lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1);
      // Fixing it clears the error.
      await loadScript(page, "a = malloc(16)");
      assert.equal(await page.isVisible("#script-error"), false);
      assert.equal(await page.getAttribute("#script", "aria-invalid"), null);
    });
  }

  test("the steps so far can be written out as a script that replays to the same heap", async (t) => {
    const page = await open(t);
    await loadScript(page, "a = malloc(16); b = malloc(32)", "#script-run-all");
    await malloc(page, 40);
    const [, b] = await blocks(page);
    await page.click(`#diagram .block[data-address="${b.address}"]`);
    const heap = await drawnData(page);
    await page.click("#script-from-session");
    assert.equal(await page.inputValue("#script"), "a = malloc(16)\nb = malloc(32)\nmalloc(40)\nfree(b)");
    await page.click("#reset");
    await loadScript(page, await page.inputValue("#script"), "#script-run-all");
    assert.deepEqual(await drawnData(page), heap);
    assert.equal(await brk(page), Number(heap.find((d) => d.includes("brk")).match(/\d+/)[0]));
  });
});
