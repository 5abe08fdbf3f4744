// Takes docs/derived.png: a heap whose `next` is derived from each size (boundary tags) after a
// few mallocs and a free, its links drawn dotted with open heads and the note saying why, in
// headless Chromium (the page from dist/: run `node tests/support/prepare.mjs` first).
//
//   node scripts/screenshot-derived.mjs [out.png]
import { fileURLToPath } from "node:url";

import { launch, openPlayground, screenshotToDiagram } from "../tests/support/browser.mjs";
import { serve } from "../tests/support/server.mjs";

const out = process.argv[2] ?? fileURLToPath(new URL("../docs/derived.png", import.meta.url));
const server = await serve();
const browser = await launch();
try {
  const { page } = await openPlayground(browser, server.url, "?allocator=default", { width: 1280, height: 1000 });
  await page.selectOption("#opt-derive", "derived");
  await page.fill("#script", "a = malloc(24); b = malloc(40); c = malloc(16); d = malloc(32)\nfree(b)");
  await page.click("#script-run-all");
  // Point at a, so that the bytes panel shows its header's second word, not read as next.
  const a = await page.getAttribute(`#diagram .block[data-names="a"]`, "data-address");
  await page.hover(`#diagram .block[data-address="${a}"]`);
  // From the narration (or the stats beside it, if higher) down to the diagram's end, the
  // stats and the bytes panel beside them.
  const narration = await page.locator(".narration").boundingBox();
  const stats = await page.locator("section[aria-labelledby=stats-title]").boundingBox();
  await screenshotToDiagram(page, narration.y <= stats.y ? narration : stats, out);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
