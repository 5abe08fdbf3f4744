// Takes docs/corrupted.png: the overflow lesson at its last step, checks off, in headless
// Chromium (the page from dist/: run `node tests/support/prepare.mjs` first).
//
//   node scripts/screenshot-corrupted.mjs [out.png]
import { fileURLToPath } from "node:url";

import { launch, openPlayground, screenshotToDiagram } from "../tests/support/browser.mjs";
import { serve } from "../tests/support/server.mjs";

const out = process.argv[2] ?? fileURLToPath(new URL("../docs/corrupted.png", import.meta.url));
const server = await serve();
const browser = await launch();
try {
  const { page } = await openPlayground(browser, server.url, "?lesson=overflow", { width: 1280, height: 1000 });
  await page.evaluate(() => window.playground.goTo(3));
  // Point at b, whose header the memset broke, so the bytes panel shows it.
  const b = await page.getAttribute("#diagram .block[data-corrupt]", "data-address");
  await page.hover(`#diagram .block[data-address="${b}"]`);
  // From the lesson and the narration down to the diagram's end, the bytes panel beside them.
  await screenshotToDiagram(page, await page.locator(".narration").boundingBox(), out);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
