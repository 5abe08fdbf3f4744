// Headless Chromium for the end-to-end tests and the UI benchmark: Debian's /usr/bin/chromium,
// driven by playwright-core (which never downloads a browser of its own).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** Launches the browser. Close it with `await browser.close()`. */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens the playground at `url` (with `query`, e.g. "?allocator=seed") in a new page of a
 * fresh context and waits until the heap is drawn. Page errors fail the test that reads them.
 *
 * The page is opened with `prefers-reduced-motion: reduce` unless `options.motion` says
 * "no-preference": blocks then land where they go at once, so that a test reading positions
 * right after an operation reads where things are, not where an animation has them.
 */
/**
 * Saves to `out` the page from the box `top` (12 px above it) down to the end of the diagram's
 * card (24 px below), across the page's 1280 px: how the pictures in docs/ are cut.
 */
export async function screenshotToDiagram(page, top, out) {
  const scroll = await page.evaluate(() => scrollY);
  const bottom = await page.locator(".diagram-card").boundingBox();
  await page.screenshot({
    path: out,
    fullPage: true,
    clip: { x: 0, y: scroll + top.y - 12, width: 1280, height: bottom.y + bottom.height - top.y + 24 },
  });
}

export async function openPlayground(browser, url, query = "", viewport = { width: 1440, height: 1000 }, options = {}) {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    reducedMotion: options.motion ?? "reduce",
    hasTouch: options.touch ?? false,
    isMobile: options.mobile ?? false,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(new Error(m.text()));
  });
  await page.goto(url + query);
  await page.waitForSelector(options.ready ?? "body[data-ready=true]", { timeout: 15000 });
  return { page, context, errors };
}
