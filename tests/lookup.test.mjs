// End-to-end test of the narration of the checked free's lookup: the heap reports how many
// blocks it looked at to find the pointer (a `lookup` event), and the sentence says so. The
// playground's heap keeps a map of where headers start, so it looks at the pointer's own
// block alone, wherever that block is in the chain.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks } from "./support/heap.mjs";
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

const hex = (n) => `0x${n.toString(16).padStart(8, "0")}`;

test("a free says it looked at one block to find the pointer, wherever it is", async (t) => {
  const { page, context, errors } = await openPlayground(browser, server.url, "?allocator=seed");
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  for (const size of [24, 24, 24]) {
    await page.fill("#malloc-size", String(size));
    await page.press("#malloc-size", "Enter");
  }
  const [, b, c] = await blocks(page);
  await page.click(`#diagram .block[data-address="${b.address}"]`);
  assert.match(
    await page.textContent("#narration"),
    new RegExp(`marked free and stays in the chain, to be reused; free looked at 1 block to find ${hex(b.address)}\\.$`),
  );
  await page.click(`#diagram .block[data-address="${c.address}"]`);
  assert.match(
    await page.textContent("#narration"),
    new RegExp(`the break moves back down by 32 bytes .*; free looked at 1 block to find ${hex(c.address)}\\.$`),
  );
});
