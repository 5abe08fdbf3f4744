// End-to-end tests of the side-by-side view: the session's steps on other allocators, each its
// own heap, aligned to one scale, following the timeline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
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

/** Each row's allocator and its drawn blocks ([size, free, names]), as the pictures say. */
function rows(page) {
  return page.$$eval("#compare-rows .compare-row", (els) =>
    els.map((row) => ({
      allocator: row.dataset.allocator,
      blocks: [...row.querySelectorAll("g.block")].map((g) => [
        Number(g.getAttribute("data-size")),
        g.getAttribute("data-free") === "true",
        g.getAttribute("data-names") ?? "",
      ]),
      figures: row.querySelector(".compare-figures").textContent,
    })),
  );
}

/** Waits until the rows show timeline position `k`. */
async function settled(page, k) {
  await page.waitForFunction((k) => document.querySelector("#compare-rows")?.dataset.position === String(k), k);
}

test("the same steps on the seed and on best fit with coalescing, side by side, following the timeline", async (t) => {
  const page = await open(t);
  await page.fill("#script", "a = malloc(16); b = malloc(16); c = malloc(16)\nfree(a); free(b)\nd = malloc(32)");
  await page.click("#script-run-all");
  await page.click("#compare summary");
  await settled(page, 6);
  let shown = await rows(page);
  assert.deepEqual(shown.map((r) => r.allocator), ["seed", "best-fit"], "the seed beside best fit, at first");
  assert.deepEqual(shown[0].blocks, [
    [16, true, "a"],
    [16, true, "b"],
    [16, false, "c"],
    [32, false, "d"],
  ]);
  assert.deepEqual(shown[1].blocks, [
    [40, false, "a d"],
    [16, false, "c"],
  ]);
  assert.match(shown[0].figures, /^4 blocks \(2 free\) · heap 112 bytes · free 32 bytes · largest free 16 bytes · fragmentation 50%$/);
  assert.match(shown[1].figures, /^2 blocks · heap 72 bytes · free 0 bytes/);

  // Aligned: one scale, so the same offset from each heap's start is at the same x.
  const x = await page.$$eval("#compare-rows .compare-row", (els) =>
    els.map((row) => {
      const rects = [...row.querySelectorAll("g.block > rect:first-of-type")];
      return rects.map((r) => Number(r.getAttribute("x")));
    }),
  );
  assert.equal(x[0][0], x[1][0], "both heaps start at the same x");
  assert.ok(Math.abs((x[0][2] - x[0][0]) - 48 * ((x[1][1] - x[1][0]) / 48)) < 1e-6, "c sits 48 bytes in on both");

  // Stepping back steps every heap back.
  await page.click("#step-back");
  await settled(page, 5);
  shown = await rows(page);
  assert.deepEqual(shown[0].blocks.map((b) => b[0]), [16, 16, 16]);
  assert.deepEqual(shown[1].blocks.map((b) => [b[0], b[1]]), [[40, true], [16, false]], "best fit merged a and b");

  // Another allocator can join; one can leave.
  await page.check("#compare-choices input[value=segregated]");
  await page.uncheck("#compare-choices input[value=seed]");
  await page.waitForFunction(() => [...document.querySelectorAll(".compare-row")].map((r) => r.dataset.allocator).join() === "best-fit,segregated");
  shown = await rows(page);
  assert.equal(shown[1].blocks.length > 0, true);
  const sound = await page.evaluate(() => window.compare.rows.map((r) => r.options.policy));
  assert.deepEqual(sound, ["best-fit", "segregated"]);
});

test("a step one allocator refuses is said so in its row", async (t) => {
  const page = await open(t, "?allocator=seed");
  // Freeing a twice: every allocator refuses the second free, and its row says so.
  await page.fill("#script", "a = malloc(24); b = malloc(8)\nfree(a)\nfree(a)");
  await page.click("#script-run-all");
  await page.click("#compare summary");
  await settled(page, 4);
  const notes = await page.$$eval(".compare-note", (els) => els.map((e) => e.textContent));
  assert.equal(notes.length, 2);
  for (const note of notes) assert.match(note, /^Refused here: step 4 \(free\(0x[0-9a-f]{8}\): the block at 0x[0-9a-f]{8} is already free \(double free\)\)$/);
});
