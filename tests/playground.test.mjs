// End-to-end tests of the playground page in headless Chromium: what a learner does (type a
// size, press Enter, click a block) and what the diagram must then show, read through the
// page's data-* contract (data-address, data-size, data-free on blocks; data-brk on the break).
//
// Run with `npm run test:e2e`, which builds the wasm module and the page first.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launch, openPlayground } from "./support/browser.mjs";
import { serve } from "./support/server.mjs";

const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));

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

/** Opens a fresh page; closes it when the test ends, and fails the test on page errors. */
async function open(t, query) {
  const { page, context, errors } = await openPlayground(browser, server.url, query);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** The drawn blocks, in address order. */
function blocks(page) {
  return page.$$eval("#diagram .block", (els) =>
    els
      .map((e) => ({ address: Number(e.dataset.address), size: Number(e.dataset.size), free: e.dataset.free === "true" }))
      .sort((a, b) => a.address - b.address),
  );
}

/** The break, as the break marker says. */
async function brk(page) {
  return Number(await page.getAttribute("[data-brk]", "data-brk"));
}

/** Every data-* attribute of everything drawn in the diagram, as sorted strings. */
function drawnData(page) {
  return page.$$eval("#diagram *", (els) =>
    els
      .filter((e) => e instanceof HTMLElement && Object.keys(e.dataset).length > 0)
      .map((e) => JSON.stringify(Object.entries(e.dataset).sort()))
      .sort(),
  );
}

/** Types `size` in the malloc field and presses Enter. */
async function malloc(page, size) {
  await page.fill("#malloc-size", String(size));
  await page.press("#malloc-size", "Enter");
}

/** Clicks the block whose data starts at `address`. */
async function clickBlock(page, address) {
  await page.click(`#diagram .block[data-address="${address}"]`);
}

/** The error message shown, or null when none is. */
async function shownError(page) {
  const el = page.locator("#error");
  return (await el.isVisible()) ? await el.textContent() : null;
}

/** The heap's own snapshot, from the wasm module. */
function snapshot(page) {
  return page.evaluate(() => window.playground.engine.snapshot());
}

describe("the seed allocator, as a learner drives it", () => {
  test("three mallocs draw three used blocks, each a header then its data, up to the break", async (t) => {
    const page = await open(t, "?allocator=seed");
    const start = await brk(page);
    for (const size of [24, 24, 24]) await malloc(page, size);
    const drawn = await blocks(page);
    assert.equal(drawn.length, 3);
    assert.ok(drawn.every((b) => b.size === 24 && !b.free));
    const snap = await snapshot(page);
    assert.equal(snap.headerSize, 8);
    assert.equal(drawn[0].address, start + snap.headerSize, "the first data follows the first header at the heap start");
    assert.equal(drawn[1].address - drawn[0].address, 32, "blocks are adjacent: header (8) + data (24)");
    assert.equal(await brk(page), start + 3 * 32, "the break moved up by three headers and three data areas");
    assert.match(await page.textContent("#narration"), /^malloc\(24\): first fit visits 2 blocks and finds no free block, so sbrk\(\+32\) moves the break from 0x[0-9a-f]{8} to 0x[0-9a-f]{8}/);
  });

  test("freeing the middle block marks it free and leaves the break where it is", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24, 24]) await malloc(page, size);
    const [a, b, c] = await blocks(page);
    const before = await brk(page);
    await clickBlock(page, b.address);
    assert.deepEqual(await blocks(page), [a, { ...b, free: true }, c]);
    assert.equal(await brk(page), before);
    assert.equal(await shownError(page), null);
    assert.match(await page.textContent("#narration"), /marked free and stays in the chain/);
  });

  test("freeing the last block moves the break marker back down", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24, 24]) await malloc(page, size);
    const [a, b, c] = await blocks(page);
    await clickBlock(page, b.address);
    const before = await brk(page);
    const markerBefore = await page.locator("[data-brk]").boundingBox();
    await clickBlock(page, c.address);
    assert.equal(await brk(page), before - 32, "the break moved down by the last block's header and data");
    assert.deepEqual(await blocks(page), [a, { ...b, free: true }], "the last block is gone from the diagram");
    const markerAfter = await page.locator("[data-brk]").boundingBox();
    assert.ok(markerAfter.x < markerBefore.x, "the break marker is drawn further left");
    assert.match(await page.textContent("#narration"), /the last block, so the break moves back down by 32 bytes/);
  });

  test("malloc after a free reuses the freed block instead of moving the break", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24, 24]) await malloc(page, size);
    const [, b] = await blocks(page);
    await clickBlock(page, b.address);
    const before = await brk(page);
    await malloc(page, 16);
    const after = await blocks(page);
    assert.equal(after.length, 3);
    assert.deepEqual(after[1], { address: b.address, size: 24, free: false }, "the freed block is used again, whole");
    assert.equal(await brk(page), before, "the break did not move");
    assert.match(await page.textContent("#narration"), /first fit visits 2 blocks and reuses the free block at/);
  });
});

describe("seed versus the improved allocator on the same steps", () => {
  /** malloc three blocks of 16 bytes, free the first two, then malloc 32. */
  async function steps(page) {
    for (const size of [16, 16, 16]) await malloc(page, size);
    const [a, b] = await blocks(page);
    await clickBlock(page, a.address);
    await clickBlock(page, b.address);
    const afterFrees = await blocks(page);
    const brkBefore = await brk(page);
    await malloc(page, 32);
    return { afterFrees, brkBefore, final: await blocks(page), brkAfter: await brk(page) };
  }

  test("the seed keeps two freed neighbours apart; coalescing merges them and reuses the result", async (t) => {
    const seed = await steps(await open(t, "?allocator=seed"));
    const improved = await steps(await open(t, "?allocator=default"));

    assert.deepEqual(seed.afterFrees.map((b) => [b.size, b.free]), [[16, true], [16, true], [16, false]]);
    assert.deepEqual(improved.afterFrees.map((b) => [b.size, b.free]), [[40, true], [16, false]],
      "with coalescing the two free blocks became one: 16 + 8 (a header) + 16 bytes");

    assert.equal(seed.brkAfter - seed.brkBefore, 40, "the seed finds no free block of 32 bytes and moves the break");
    assert.equal(improved.brkAfter, improved.brkBefore, "the merged block holds 32 bytes: the break stays");
    assert.equal(improved.final[0].free, false);
  });

  test("changing the allocator in the menu starts a new, empty heap with those options", async (t) => {
    const page = await open(t, "?allocator=seed");
    await malloc(page, 24);
    await page.selectOption("#allocator", "default");
    assert.deepEqual(await blocks(page), []);
    const options = await page.evaluate(() => window.playground.engine.options());
    assert.deepEqual(options, { policy: "first-fit", split: true, coalesce: true, trim: true, derive: false, checks: true });
    assert.equal(await page.isChecked("#opt-coalesce"), true);
  });
});

describe("bad input is explained and changes nothing", () => {
  const cases = [
    ["-1", /malloc\(-1\): a size cannot be negative/],
    ["1e12", /malloc\(1e12\): a size cannot be larger than 4294967295/],
    ["abc", /malloc\("abc"\): "abc" is not a number/],
    ["2.5", /must be a whole number of bytes/],
    ["", /a size is needed/],
  ];

  test("each bad size shows an error and leaves every drawn data-* attribute as it was", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 40, 16]) await malloc(page, size);
    const [a] = await blocks(page);
    await clickBlock(page, a.address);
    const before = await drawnData(page);
    const statsBefore = await page.textContent("#stats");
    assert.ok(before.length >= 4);

    for (const [input, message] of cases) {
      await malloc(page, input);
      const error = await shownError(page);
      assert.ok(error, `malloc(${input}) shows an error`);
      assert.match(error, message);
      assert.equal(await page.getAttribute("#error", "role"), "alert");
      assert.deepEqual(await drawnData(page), before, `malloc(${input}) changed the diagram`);
      assert.equal(await page.textContent("#stats"), statsBefore);
    }
  });

  test("freeing a block twice is refused as a double free, and changes nothing", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24]) await malloc(page, size);
    const [a] = await blocks(page);
    await clickBlock(page, a.address);
    const before = await drawnData(page);
    await clickBlock(page, a.address);
    const error = await shownError(page);
    assert.match(error, /^free\(0x[0-9a-f]{8}\): the block at 0x[0-9a-f]{8} is already free \(double free\)$/);
    assert.deepEqual(await drawnData(page), before);
    assert.equal((await snapshot(page)).blocks.length, 2);
    assert.equal(await page.evaluate(() => window.playground.engine.check()), undefined, "the heap is still sound");
  });

  test("an address that malloc never returned is refused with the reason", async (t) => {
    const page = await open(t, "?allocator=seed");
    await malloc(page, 24);
    const [a] = await blocks(page);
    const before = await drawnData(page);
    await page.fill("#free-address", `0x${(a.address + 4).toString(16)}`);
    await page.press("#free-address", "Enter");
    assert.match(await shownError(page), /points 4 bytes into the block at/);
    await page.fill("#free-address", `0x${(a.address - 8).toString(16)}`);
    await page.press("#free-address", "Enter");
    assert.match(await shownError(page), /is a block's header, not its data/);
    assert.deepEqual(await drawnData(page), before);
  });

  test("the next successful operation clears the error", async (t) => {
    const page = await open(t, "?allocator=seed");
    await malloc(page, "-1");
    assert.ok(await shownError(page));
    await malloc(page, 8);
    assert.equal(await shownError(page), null);
    assert.equal((await blocks(page)).length, 1);
  });

  test("the Playground refuses unknown options with a readable error", async (t) => {
    const page = await open(t, "?allocator=seed");
    const messages = await page.evaluate(() =>
      [{ colour: "red" }, { policy: "fastest" }, { split: "yes" }, { preset: "turbo" }, 42].map((o) => {
        try {
          window.playground.engine.reset(o);
          return "accepted";
        } catch (e) {
          return e instanceof Error ? e.message : String(e);
        }
      }),
    );
    assert.match(messages[0], /unknown option "colour": the options are preset, policy, split, coalesce, trim, derive and checks/);
    assert.match(messages[1], /unknown policy "fastest": the policies are first-fit, next-fit, best-fit, worst-fit, segregated/);
    assert.match(messages[2], /split must be true or false/);
    assert.match(messages[3], /unknown preset "turbo"/);
    assert.match(messages[4], /options must be an object/);
  });
});

describe("the page is drawn from the heap in linear memory", () => {
  test("the drawn blocks, the break and the stats match the heap's own snapshot", async (t) => {
    const page = await open(t, "?allocator=default");
    for (const size of [24, 100, 8, 48, 16]) await malloc(page, size);
    const drawn = await blocks(page);
    await clickBlock(page, drawn[1].address);
    await clickBlock(page, drawn[3].address);
    const snap = await snapshot(page);
    assert.deepEqual(
      await blocks(page),
      snap.blocks.map((b) => ({ address: b.data, size: b.size, free: b.free })),
    );
    assert.equal(await brk(page), snap.brk);
    const stat = (key) => page.textContent(`[data-stat=${key}]`);
    const n = (x) => `${x.toLocaleString("en-US")} bytes`;
    assert.equal(await stat("used"), n(snap.totals.used));
    assert.equal(await stat("free"), n(snap.totals.free));
    assert.equal(await stat("largest"), n(snap.totals.largestFree));
    assert.match(await stat("overhead"), new RegExp(`^${n(snap.totals.overhead)}`));
    assert.equal(await stat("frag"), `${(snap.totals.fragmentation * 100).toFixed(1).replace(/\.0$/, "")}%`);
  });

  test("the bytes panel reads the header's size, flags and next from memory", async (t) => {
    const page = await open(t, "?allocator=seed");
    await malloc(page, 24);
    await malloc(page, 40);
    const [a, b] = await blocks(page);
    /** The header fields shown: bytes as hex pairs, the field's name, what it says. */
    const fields = () =>
      page.$$eval("#bytes .field", (els) =>
        els.map((e) => ({
          bytes: [...e.querySelectorAll(".byte")].map((x) => x.textContent).join(" "),
          name: e.querySelector(".field-name").textContent,
          value: e.querySelector(".field-value").textContent.replace(/\s+/g, " ").trim(),
        })),
      );
    const le = (x) => [0, 8, 16, 24].map((s) => ((x >>> s) & 0xff).toString(16).padStart(2, "0")).join(" ");

    await page.hover(`#diagram .block[data-address="${a.address}"]`);
    let [word0, next] = await fields();
    assert.equal(word0.name, "size | flags");
    const flags = Number(/flags (\d+)/.exec(word0.value)[1]);
    assert.equal(flags & 1, 0, "a used block has no FREE flag");
    assert.equal(word0.bytes, le(24 | flags), "the first word is the size with the flags in its low bits, little-endian");
    assert.match(word0.value, /→ size 24,/);
    assert.equal(next.name, "next");
    assert.equal(next.bytes, le(b.address - 8), "next holds the following header's address");
    assert.match(next.value, new RegExp(`0x${(b.address - 8).toString(16).padStart(8, "0")}, the next header`));

    await clickBlock(page, a.address);
    await page.hover(`#diagram .block[data-address="${a.address}"]`);
    [word0] = await fields();
    assert.equal(word0.bytes, le(24 | flags | 1), "freeing sets the FREE bit in the header in memory");
    assert.match(word0.value, /FREE/);
    await page.hover(`#diagram .block[data-address="${b.address}"]`);
    [, next] = await fields();
    assert.equal(next.bytes, "00 00 00 00");
    assert.match(next.value, /null: the last block/);
  });

  test("a focused block is freed with the keyboard", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24]) await malloc(page, size);
    const [a] = await blocks(page);
    await page.focus(`#diagram .block[data-address="${a.address}"]`);
    await page.keyboard.press("Delete");
    assert.equal((await blocks(page))[0].free, true);
  });

  test("every next arrow is drawn: blocks link to the following header, the last one says null", async (t) => {
    const page = await open(t, "?allocator=seed");
    for (const size of [24, 24, 24]) await malloc(page, size);
    const snap = await snapshot(page);
    const nexts = await page.$$eval("#diagram .block", (els) =>
      els.map((e) => [Number(e.dataset.header), Number(e.dataset.next)]).sort((x, y) => x[0] - y[0]),
    );
    assert.deepEqual(nexts, snap.blocks.map((b) => [b.header, b.next]));
    assert.equal(await page.locator("#diagram .block.last .null-tag").isVisible(), true);
    assert.equal(await page.locator("#diagram .block.last").getAttribute("data-next"), "0");
  });

  test("a heap of 2,000 blocks is drawn in part and stays in step after a free", async (t) => {
    const page = await open(t, "?allocator=seed");
    const addresses = await page.evaluate(() =>
      window.playground.runAll(Array.from({ length: 2000 }, () => ({ op: "malloc", size: 16 }))),
    );
    assert.equal(addresses.length, 2000);
    const drawn = await page.$$eval("#diagram .block", (els) => els.length);
    assert.ok(drawn > 0 && drawn < 2000, `only the rows in view are drawn (${drawn})`);
    await clickBlock(page, addresses[1]);
    assert.equal(await page.getAttribute(`#diagram .block[data-address="${addresses[1]}"]`, "data-free"), "true");
    assert.equal((await snapshot(page)).totals.freeBlocks, 1);
  });
});

test("a screenshot of a small session is written to tests/artifacts/playground.png", async (t) => {
  const page = await open(t, "?allocator=seed");
  for (const size of [24, 8, 40, 16, 64, 32, 120, 48]) await malloc(page, size);
  const drawn = await blocks(page);
  await clickBlock(page, drawn[1].address);
  await clickBlock(page, drawn[3].address);
  await clickBlock(page, drawn[7].address);
  await malloc(page, 12);
  await page.hover(`#diagram .block[data-address="${drawn[2].address}"]`);
  await page.fill("#malloc-size", "24");
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}playground.png`;
  // Let the highlight of the last change fade, so the picture shows the steady state.
  await page.waitForTimeout(1000);
  const png = await page.screenshot({ path, fullPage: true });
  assert.ok(png.length > 10_000, "the screenshot has content");
});

test("reset starts a new, empty heap at the same address, and the same steps give the same addresses", async (t) => {
  const page = await open(t, "?allocator=seed");
  const start = await brk(page);
  for (const size of [24, 40]) await malloc(page, size);
  const first = await blocks(page);
  await page.click("#reset");
  assert.deepEqual(await blocks(page), []);
  assert.equal(await brk(page), start, "the break is back at the heap start");
  for (const size of [24, 40]) await malloc(page, size);
  assert.deepEqual(await blocks(page), first);
  assert.match(await page.textContent("#stats"), /1 × 64 KiB/, "no page was grown for the second heap");
});

test("stepping back and forth rebuilds the heap as it was after each step", async (t) => {
  const page = await open(t, "?allocator=seed");
  for (const size of [24, 40]) await malloc(page, size);
  const [a, b] = await blocks(page);
  await clickBlock(page, a.address);
  const afterFree = await drawnData(page);
  const brkAfterFree = await brk(page);

  await page.click("#step-back");
  assert.deepEqual(await blocks(page), [a, b], "the freed block is in use again");
  assert.match(await page.textContent("#narration"), /^Step 2: malloc\(40\)/);
  assert.equal(await page.locator("#log li.undone").count(), 1);

  await page.click("#step-forward");
  assert.deepEqual(await drawnData(page), afterFree, "forward gives back exactly the same heap");
  assert.equal(await brk(page), brkAfterFree);
  assert.equal(await page.isDisabled("#step-forward"), true);

  await page.click("#log li[data-step='1']");
  assert.deepEqual(await blocks(page), [a]);
  await malloc(page, 8);
  assert.equal(await page.locator("#log li.undone").count(), 0, "a new step replaces the undone ones");
  assert.equal(await page.isDisabled("#step-forward"), true);
  assert.equal((await blocks(page)).length, 2);
  assert.equal(await page.evaluate(() => window.playground.engine.check()), undefined);
});

describe("the segregated policy shows its size-class lists", () => {
  /** Every list the panel shows: class, smallest size, and the data addresses on it. */
  function shownLists(page) {
    return page.$$eval("#lists li", (els) =>
      els.map((li) => ({
        class: Number(li.dataset.class),
        minSize: Number(li.dataset.minSize),
        blocks: [...li.querySelectorAll(".lists-block")].map((b) => Number(b.dataset.address)),
      })),
    );
  }

  test("freed blocks appear on the list of their class, in the order malloc tries them", async (t) => {
    const page = await open(t, "?allocator=segregated");
    assert.equal(await page.isVisible("#lists-panel"), true, "the panel shows under the segregated policy");
    for (const size of [40, 16, 200, 16, 40, 16]) await malloc(page, size);
    const [a, , c, , e] = await blocks(page);
    assert.match(await page.textContent("#lists"), /Every list is empty/);
    for (const b of [a, c, e]) await clickBlock(page, b.address);

    const lists = await shownLists(page);
    const drawn = await blocks(page);
    const listed = lists.flatMap((l) => l.blocks).sort((x, y) => x - y);
    assert.deepEqual(listed, [a.address, c.address, e.address], "each freed block is on a list");
    for (const list of lists) {
      for (const address of list.blocks) {
        const block = drawn.find((b) => b.address === address);
        assert.equal(block.free, true);
        assert.ok(block.size >= list.minSize, `${block.size} bytes in a class from ${list.minSize}`);
      }
    }
    // The two 40-byte blocks share a class; the one freed last is tried first.
    const shared = lists.find((l) => l.blocks.includes(a.address));
    assert.deepEqual(shared.blocks, [e.address, a.address]);
    // The lists are what the heap itself says.
    const fromHeap = await page.evaluate(() => window.playground.engine.snapshot().freeLists);
    assert.deepEqual(lists.map((l) => [l.class, l.minSize, l.blocks.length]), fromHeap.map((l) => [l.class, l.minSize, l.blocks.length]));

    // malloc(40) takes the first block of that list.
    await malloc(page, 40);
    assert.deepEqual((await shownLists(page)).find((l) => l.blocks.includes(a.address))?.blocks, [a.address]);
    assert.equal((await blocks(page)).find((b) => b.address === e.address).free, false);

    await page.selectOption("#allocator", "default");
    assert.equal(await page.isVisible("#lists-panel"), false, "first fit keeps no lists: the panel hides");
  });
});
