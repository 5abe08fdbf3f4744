// End-to-end tests of accessibility: every control reachable with Tab and showing its focus,
// accessible names on controls and blocks, free and used told apart without colour, the live
// region, and the page on a 375 px touch screen.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launch, openPlayground } from "./support/browser.mjs";
import { blocks, position } from "./support/heap.mjs";
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

async function open(t, query = "?allocator=seed", viewport, options) {
  const { page, context, errors } = await openPlayground(browser, server.url, query, viewport, options);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

test("Tab reaches every control, in order, each showing where focus is", async (t) => {
  const page = await open(t);
  await page.fill("#script", "a = malloc(16); b = malloc(32); free(a)");
  await page.click("#script-run-all");
  await page.evaluate(() => document.activeElement.blur());
  const visited = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const style = getComputedStyle(e);
      const label = (e.id || e.className || e.tagName).toString();
      // Focus shows as an outline, a ring (box-shadow), or on the visible label of a hidden input.
      const shown =
        (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) ||
        style.boxShadow !== "none" ||
        (e.classList.contains("sr-only") && getComputedStyle(e.closest("label") ?? document.querySelector(`label[for="${e.id}"]`)).outlineStyle !== "none");
      return { label, shown, tag: e.tagName };
    });
    if (!info) continue;
    visited.push(info);
  }
  const labels = visited.map((v) => v.label);
  for (const id of ["copy-link", "export-svg", "import-json", "malloc-size", "allocator", "step-first", "play", "scrubber", "speed", "undo", "zoom", "script", "script-run", "trace-file", "trace-kind"]) {
    assert.ok(labels.includes(id), `Tab reaches #${id} (reached: ${labels.join(", ")})`);
  }
  assert.ok(labels.some((l) => l.includes("block")), "Tab reaches the blocks");
  const hidden = visited.filter((v) => !v.shown).map((v) => v.label);
  assert.deepEqual(hidden, [], "every focused element shows its focus");
});

test("controls and blocks have accessible names; free and used differ without colour", async (t) => {
  const page = await open(t);
  await page.fill("#script", "a = malloc(16); b = malloc(32); free(a)");
  await page.click("#script-run-all");
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll("button, input, select, textarea, [role=button], [role=slider], [tabindex='0']")]
      .filter((e) => !(e.closest("[hidden]") || (e.type === "file" && false)))
      .filter((e) => {
        const label = e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || (e.labels && [...e.labels].map((l) => l.textContent).join("")) || e.textContent || e.title;
        return !label || !label.trim();
      })
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);

  const drawn = await page.$$eval("#diagram .block", (els) =>
    els.map((e) => ({
      name: e.getAttribute("aria-label"),
      // The words drawn on the block, as a reader sees them (innerText leaves out what is hidden).
      shown: e.innerText,
      role: e.getAttribute("role"),
      free: e.dataset.free === "true",
      border: getComputedStyle(e.querySelector(".dat")).borderTopStyle,
      kind: e.querySelector(".dat-kind").textContent,
      stripes: getComputedStyle(e.querySelector(".dat")).backgroundImage !== "none",
    })),
  );
  assert.equal(drawn.length, 2);
  for (const b of drawn) {
    assert.equal(b.role, "button");
    assert.match(b.name, b.free ? /^Free block at 0x[0-9a-f]{8}, 16 bytes of data.*Already free\. / : /^Used block at 0x[0-9a-f]{8}, 32 bytes of data.*Press Enter to free it\. /);
    // The name contains the words drawn on the block, in order (WCAG 2.5.3, label in name).
    const words = (text) => text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).join(" ");
    // (Between the size and the address, the data's first bytes: "00×32" reads "00 32".)
    assert.match(words(b.shown), b.free ? /^hdr \d+ b free 16 b( [0-9a-z ]+)? 0x[0-9a-f]{8} a$/ : /^hdr \d+ b used 32 b( [0-9a-z ]+)? 0x[0-9a-f]{8} null b$/);
    assert.ok(` ${words(b.name)} `.includes(` ${words(b.shown)} `), `"${b.name}" contains the words drawn, "${words(b.shown)}"`);
    // Said twice: by the border's pattern, the stripes and the word, not by colour alone.
    assert.equal(b.border, b.free ? "dashed" : "solid");
    assert.equal(b.stripes, b.free);
    assert.equal(b.kind, b.free ? "free" : "used");
  }
  // The legend says it the same way.
  assert.equal(await page.$eval(".swatch.free", (e) => getComputedStyle(e).borderTopStyle), "dashed");
});

test("the narration is a live region that reads each step", async (t) => {
  const page = await open(t);
  await page.fill("#script", "a = malloc(16); free(a)");
  await page.click("#script-run");
  const live = await page.$eval("#narration", (e) => [e.getAttribute("aria-live"), e.getAttribute("aria-atomic")]);
  assert.deepEqual(live, ["polite", "true"]);
  const said = [];
  await page.exposeFunction("heard", (text) => said.push(text));
  await page.evaluate(() => new MutationObserver(() => window.heard(document.querySelector("#narration").textContent)).observe(document.querySelector("#narration"), { childList: true, characterData: true, subtree: true }));
  await page.click("#step-forward");
  await page.click("#step-forward");
  await page.click("#step-back");
  await page.waitForFunction(() => true);
  assert.equal(said.length, 3);
  assert.match(said[0], /^Step 1 \(line 1\): a = malloc\(16\): /);
  assert.match(said[1], /^Step 2 \(line 1\): free\(a\): /);
  assert.match(said[2], /^Step 1 \(line 1\): a = malloc\(16\): /);
});

test("on a 375 px touch screen nothing scrolls sideways, and taps step and free", async (t) => {
  const page = await open(t, "?allocator=seed", { width: 375, height: 740 }, { touch: true, mobile: true });
  await page.fill("#script", "a = malloc(24); b = malloc(40); c = malloc(8)");
  await page.tap("#script-run");
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 375, "no sideways scrolling");
  await page.tap("#step-forward");
  await page.tap("#step-forward");
  assert.deepEqual(await position(page), { position: 2, total: 3 });
  const [a] = await blocks(page);
  await page.locator(`#diagram .block[data-address="${a.address}"]`).scrollIntoViewIfNeeded();
  await page.tap(`#diagram .block[data-address="${a.address}"]`);
  assert.equal((await blocks(page))[0].free, true, "a tap frees the block");
  // Buttons are big enough for a finger.
  const small = await page.$$eval(".timebar button, .controls button", (els) =>
    els.filter((e) => e.offsetParent && e.getBoundingClientRect().height < 36).map((e) => e.id || e.textContent),
  );
  assert.deepEqual(small, []);
  // The embedded element fits too.
  const embed = await open(t, "tutorial.html", { width: 375, height: 740 }, { touch: true, mobile: true });
  assert.ok((await embed.evaluate(() => document.documentElement.scrollWidth)) <= 375);
});
