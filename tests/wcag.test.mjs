// End-to-end audit against WCAG 2.1 levels A and AA with axe-core: the playground page after a
// few operations (the seed with its panels open; the segregated policy after a trace replay),
// the tutorial page with its elements, and embed.html, each at desktop width and at 375 px. A
// violation of impact "serious" or "critical" fails the test, named with the nodes it was found
// on; lesser ones are printed as diagnostics. Axe leaves text on gradients and stripes and text
// in SVG undecided, so each page's text is also measured by tests/support/contrast.mjs.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { lowContrastText } from "./support/contrast.mjs";
import { serve } from "./support/server.mjs";

const AXE = fileURLToPath(new URL("../node_modules/axe-core/axe.min.js", import.meta.url));
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SCRIPT = "a = malloc(16); b = malloc(32); free(a)";

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

/** Opens `query` at `viewport` (a phone one as a touch screen); page errors fail the test. */
async function open(t, query, viewport, ready) {
  const phone = viewport.width < 500;
  const { page, context, errors } = await openPlayground(browser, server.url, query, viewport, { touch: phone, mobile: phone, ready });
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** A violation and the nodes it was found on, one line each (shadow DOM paths joined by >>>). */
function explain(v) {
  const nodes = v.nodes.map((n) => `    ${n.target.map((s) => (Array.isArray(s) ? s.join(" >>> ") : s)).join(", ")}`);
  return `${v.id} (${v.impact}): ${v.help}\n${nodes.join("\n")}`;
}

/**
 * Runs axe-core over the page as it is now and asserts that it finds nothing serious or critical,
 * and that no text the page shows falls below its contrast minimum (contrast.mjs).
 */
async function audit(t, page, what) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate((tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }).then((r) => r.violations), TAGS);
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of violations.filter((v) => !blocking.includes(v))) t.diagnostic(`${what}: ${explain(v)}`);
  assert.equal(blocking.length, 0, `axe found serious or critical WCAG 2.1 AA violations on ${what}:\n${blocking.map(explain).join("\n")}`);
  assert.deepEqual(await page.evaluate(lowContrastText, "body, .embed"), [], `text below its contrast minimum on ${what}`);
}

/** Runs `script` on the page's playground, all of it, as a learner would. */
async function run(page, script) {
  await page.fill("#script", script);
  await page.click("#script-run-all");
}

for (const [name, viewport] of [["desktop", { width: 1440, height: 1000 }], ["375 px", { width: 375, height: 740 }]]) {
  describe(`WCAG 2.1 AA, ${name}`, () => {
    test("the playground after a few operations, its panels open and a step undone", async (t) => {
      const page = await open(t, "?allocator=seed", viewport);
      await run(page, SCRIPT);
      await audit(t, page, "index.html after the script");
      // Every panel that opens: the shortcuts, side by side, the bytes of a block; a step
      // back leaves the log with a step ahead of the heap shown.
      await page.click("#shortcuts summary");
      await page.click("#compare summary");
      await page.waitForSelector(".compare-picture svg text");
      await page.focus("#diagram .block");
      await page.click("#step-back");
      assert.equal(await page.locator("#log li.undone").count(), 1);
      await audit(t, page, "index.html with its panels open");
    });

    test("the playground on the segregated policy, after a trace replay", async (t) => {
      const page = await open(t, "?allocator=segregated", viewport);
      await run(page, "a = malloc(16); b = malloc(32); c = malloc(100); d = malloc(16); free(a); free(c)");
      assert.equal(await page.isVisible("#lists-panel"), true, "the size-class lists are shown");
      await audit(t, page, "index.html on the segregated policy");
      await page.fill("#trace-ops", "300");
      await page.click("#trace-generate button[type=submit]");
      await page.waitForSelector("#trace-chart svg");
      await audit(t, page, "index.html after a trace replay");
    });

    test("the tutorial page with its elements", async (t) => {
      const page = await open(t, "tutorial.html", viewport);
      await audit(t, page, "tutorial.html");
      for (let i = 0; i < 3; i++) await page.click("brk-playground#brief #step-forward");
      await audit(t, page, "tutorial.html after three steps of its walk-through");
    });

    test("embed.html, by default and with a script and every control", async (t) => {
      const empty = await open(t, "embed.html", viewport);
      await audit(t, empty, "embed.html");
      const query = new URLSearchParams({ script: SCRIPT, controls: "full", "start-step": "2" });
      const full = await open(t, `embed.html?${query}`, viewport);
      await audit(t, full, `embed.html?${query}`);
    });
  });
}
