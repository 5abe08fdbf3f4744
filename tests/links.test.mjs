// End-to-end tests of links: the address bar holds the whole session (`#s=…`), opening it
// reproduces the session exactly, and a link that was cut short or edited by hand is explained
// in the page, which still works.
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { after, before, describe, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks, drawnData, heapBytes, position, shownError } from "./support/heap.mjs";
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

async function open(t, query = "") {
  const { page, context, errors } = await openPlayground(browser, server.url, query);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** Waits until the address bar holds the session on screen, and returns the whole URL. */
async function currentLink(page) {
  await page.waitForFunction(async () => {
    const hash = location.hash;
    return hash.startsWith("#s=") && document.body.dataset.link === hash;
  });
  // Let a pending write settle: the link must describe the state now.
  await page.waitForTimeout(300);
  return page.url();
}

/** A `#s=` fragment holding `json` (deflated, base64url), as the page writes them. */
function hashOf(json) {
  return "#s=" + deflateRawSync(Buffer.from(typeof json === "string" ? json : JSON.stringify(json))).toString("base64url");
}

/** Everything a link must bring back. */
async function state(page) {
  return {
    drawn: await drawnData(page),
    bytes: await heapBytes(page),
    position: await position(page),
    narration: await page.textContent("#narration"),
    log: await page.$$eval("#log li", (els) => els.map((e) => [e.dataset.step, e.className, e.textContent])),
    options: await page.evaluate(() => window.playground.options),
    label: await page.textContent("#step-label"),
  };
}

describe("a link holds the session", () => {
  test("opening the address of a session reproduces it: options, steps, position, heap", async (t) => {
    const page = await open(t, "?allocator=best-fit");
    await page.fill("#script", "a = malloc(40); b = malloc(16); c = malloc(64)\nfree(a)\nd = malloc(8)");
    await page.click("#script-run-all");
    await page.fill("#malloc-size", "24");
    await page.press("#malloc-size", "Enter");
    await page.click(`#diagram .block[data-names="b"]`);
    await page.click("#step-back");
    await page.click("#step-back");
    const expected = await state(page);
    assert.deepEqual(expected.position, { position: 5, total: 7 });
    const link = await currentLink(page);
    assert.match(link, /\?allocator=best-fit#s=[A-Za-z0-9_-]+$/);

    const copy = await open(t, link.slice(server.url.length));
    assert.deepEqual(await state(copy), expected);
    assert.equal(await shownError(copy), null);
    // The steps ahead are there too: forward twice gives the session's last heap.
    await copy.click("#step-last");
    await page.click("#step-last");
    assert.deepEqual(await state(copy), await state(page));
  });

  test("the address follows every change, and pasting another link opens it", async (t) => {
    const page = await open(t, "?allocator=seed");
    await page.fill("#malloc-size", "24");
    await page.press("#malloc-size", "Enter");
    const one = await currentLink(page);
    await page.press("#malloc-size", "Enter");
    const two = await currentLink(page);
    assert.notEqual(one, two);
    const twoBlocks = await drawnData(page);
    // Going to the first link in the same tab (a hashchange) replays it.
    await page.evaluate((hash) => (location.hash = hash), new URL(one).hash);
    await page.waitForFunction(() => window.playground.timeline.steps.length === 1);
    assert.equal((await blocks(page)).length, 1);
    await page.click("#undo");
    assert.deepEqual(await drawnData(page), twoBlocks, "opening a link is undoable");
  });

  test("a session made by hand opens when it is well formed", async (t) => {
    const session = {
      brkalloc: "session",
      version: 1,
      options: { policy: "first-fit", split: false, coalesce: false, trim: false },
      position: 2,
      steps: [
        { op: "malloc", size: 24, name: "a" },
        { op: "calloc", count: 2, size: 8 },
        { op: "free", ptr: { step: 0 }, ptrName: "a" },
      ],
    };
    const page = await open(t, hashOf(session));
    assert.deepEqual(await position(page), { position: 2, total: 3 });
    assert.deepEqual((await blocks(page)).map((b) => [b.size, b.free, b.names]), [[24, false, "a"], [16, false, ""]]);
    await page.click("#step-forward");
    assert.match(await page.textContent("#narration"), /^Step 3: free\(a\): the block is marked free/);
  });
});

describe("a broken link is explained, and the page still works", () => {
  const good = {
    brkalloc: "session",
    version: 1,
    options: { policy: "first-fit", split: false, coalesce: false, trim: false },
    position: 1,
    steps: [{ op: "malloc", size: 24 }],
  };
  const cases = [
    ["characters that are not base64url", "#s=abc$def", /This link could not be opened: the link's data holds "\$", which is not a base64url character/],
    ["a link cut short", hashOf(good).slice(0, 12), /This link could not be opened: the link's data (does not unpack|has a length)/],
    ["data that is not compressed", "#s=" + Buffer.from("hello, world").toString("base64url"), /does not unpack/],
    ["compressed text that is not JSON", hashOf("{not json"), /unpacks, but not to JSON/],
    ["JSON that is not a session", hashOf({ hello: 1 }), /it is not a brkalloc session/],
    ["a session from a future version", hashOf({ ...good, version: 9 }), /a session of version 9, and this page reads versions 1, 2 and 3/],
    ["a negative size", hashOf({ ...good, steps: [{ op: "malloc", size: -1 }] }), /step 1: size must be a whole number from 0 to 4294967295, not -1/],
    ["an unknown operation", hashOf({ ...good, steps: [{ op: "sbrk", size: 1 }] }), /step 1: op must be "malloc", "calloc", "realloc" or "free", not "sbrk"/],
    ["a pointer to a later step", hashOf({ ...good, steps: [{ op: "free", ptr: { step: 3 } }] }), /step 1: ptr.step 3 does not come before this step/],
    ["an unknown policy", hashOf({ ...good, options: { ...good.options, policy: "fastest" } }), /unknown policy "fastest"/],
    ["a position past the end", hashOf({ ...good, position: 5 }), /the position \(5\) is past the last step \(1\)/],
    ["an empty session", "#s=", /the link's session is empty/],
  ];
  for (const [what, hash, message] of cases) {
    test(`${what}`, async (t) => {
      const page = await open(t, "?allocator=seed" + hash);
      const error = await shownError(page);
      assert.ok(error, "an error is shown");
      assert.match(error, message);
      assert.match(error, /The playground starts from an empty heap instead\.$/);
      assert.deepEqual(await blocks(page), [], "the heap is empty");
      assert.equal(await page.locator("#diagram [data-brk]").count(), 1, "the diagram is drawn");
      // And the page works.
      await page.fill("#malloc-size", "16");
      await page.press("#malloc-size", "Enter");
      assert.equal((await blocks(page)).length, 1);
      assert.equal(await shownError(page), null);
    });
  }
});
