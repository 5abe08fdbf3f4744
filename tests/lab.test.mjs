// End-to-end tests of the misuse lab: writes into blocks (strcpy, memset, p[i] = byte, memcpy)
// from the form and from scripts; with the checks on they are refused with a readable sentence
// and change nothing; with the checks off ("as C does") the heap really breaks, and the page
// shows it through its data-* contract: data-corrupt on a damaged header, data-offheap on where
// a broken pointer points, data-fault on a crashed step, data-leaked on a block nothing refers
// to. Each lesson's outcome is checked in the page, in a <brk-playground> and in embed.html.
//
// Run with `npm run test:e2e`, which builds the wasm module and the page first.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { deflateRawSync } from "node:zlib";

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

async function open(t, query = "?allocator=seed", options = {}) {
  const { page, context, errors } = await openPlayground(browser, server.url, query, undefined, options);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/** Loads `script` into the script box and runs all of it. */
async function runScript(page, script) {
  await page.fill("#script", script);
  await page.click("#script-run-all");
}

/** Writes with the page's write form: `call` is strcpy, memset, store or memcpy. */
async function write(page, call, fields) {
  await page.selectOption("#write-op", call);
  for (const [id, value] of Object.entries(fields)) await page.fill(`#write-${id}`, String(value));
  await page.click("#write-form button[type=submit]");
}

/** The data bytes of the block at `address`, as hex, read from wasm memory. */
function dataBytes(page, address, length) {
  return page.evaluate(
    ([a, n]) => [...window.playground.engine.read(a, n)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    [address, length],
  );
}

/** A link's fragment holding `json`, as the page writes it (deflated, base64url). */
function hashOf(json) {
  return "#s=" + deflateRawSync(Buffer.from(JSON.stringify(json))).toString("base64url");
}

/** Everything that must come back when the heap is rebuilt: the drawing and every byte. */
async function state(page) {
  return { drawn: await drawnData(page), bytes: await heapBytes(page) };
}

/** Whether the module can turn its checks off (the Rust side of the lab). */
function canTurnChecksOff(page) {
  return page.evaluate(() => {
    try {
      window.playground.engine.reset({ preset: "seed", checks: false });
      return window.playground.engine.options().checks === false;
    } catch {
      return false;
    } finally {
      window.playground.configure({ preset: "seed" });
    }
  });
}

describe("writes with the checks on", () => {
  test("strcpy, memset, p[i] = byte and memcpy from the form write the bytes, shown in the block and marked in the bytes panel", async (t) => {
    const page = await open(t);
    await page.fill("#malloc-size", "16");
    await page.press("#malloc-size", "Enter");
    await page.press("#malloc-size", "Enter");
    const [a, b] = await blocks(page);

    await write(page, "strcpy", { address: `0x${a.address.toString(16)}`, text: "hello" });
    assert.equal(await shownError(page), null);
    assert.equal(await dataBytes(page, a.address, 6), "68656c6c6f00", "the text and its NUL");
    assert.match(await page.textContent(`#diagram .block[data-address="${a.address}"] .dat-text`), /^"hello" 00/);
    assert.match(await page.textContent("#narration"), /^strcpy\(0x[0-9a-f]{8}, "hello"\): writes 6 bytes/);
    // The bytes panel shows the block written into, the bytes that changed marked: five, as
    // the NUL landed on a byte that was 0 already.
    assert.equal(await page.locator("#bytes .hexrow .byte[data-changed]").count(), 5);

    await write(page, "memset", { address: `0x${b.address.toString(16)}`, byte: "'A'", count: 4 });
    assert.equal(await dataBytes(page, b.address, 5), "4141414100");
    await write(page, "store", { address: `0x${b.address.toString(16)}`, index: 4, byte: "0x42" });
    assert.equal(await dataBytes(page, b.address, 5), "4141414142");
    assert.equal(await page.locator("#bytes .hexrow .byte[data-changed]").count(), 1, "one byte changed");
    await write(page, "memcpy", { address: `0x${b.address.toString(16)}`, src: `0x${a.address.toString(16)}`, count: 2 });
    assert.equal(await dataBytes(page, b.address, 5), "68654141" + "42");
    assert.deepEqual(await position(page), { position: 6, total: 6 });
  });

  test("a write past a block's end is refused with a sentence, and nothing changes", async (t) => {
    const page = await open(t);
    await runScript(page, "a = malloc(16); b = malloc(16)");
    const before = await state(page);
    const cases = [
      ["memset", { address: "a", byte: "'A'", count: 24 }, /^memset\(.*\): .*past its end.*heap overflow/],
      ["strcpy", { address: "a", text: "sixteen chars!!!" }, /^strcpy\(.*\): .*1 byte past its end/],
      ["store", { address: "a", index: 16, byte: 1 }, /^0x[0-9a-f]{8}\[16\] = 0x01: .*inside the header of the block at/],
      ["memcpy", { address: "a", src: "b", count: 17 }, /^memcpy\(/],
    ];
    for (const [call, fields, message] of cases) {
      await write(page, call, fields);
      const error = await shownError(page);
      assert.ok(error, `${call} is refused`);
      assert.match(error, message);
      assert.deepEqual(await state(page), before, `${call}: nothing changed`);
      assert.deepEqual(await position(page), { position: 2, total: 2 }, `${call}: no step`);
    }
    // A byte that is not one, and text where a number goes, are the allocator's to refuse.
    await write(page, "memset", { address: "a", byte: "300", count: 1 });
    assert.match(await shownError(page), /memset/);
    assert.deepEqual(await state(page), before);
  });

  test("a write through a dangling pointer is refused while the checks are on", async (t) => {
    const page = await open(t);
    await runScript(page, "a = malloc(16); b = malloc(16); free(a)");
    const before = await state(page);
    await write(page, "strcpy", { address: "a", text: "x" });
    assert.match(await shownError(page), /use after free/);
    assert.deepEqual(await state(page), before);
  });

  test("a script's writes step back and forth, and undo, to exactly the same heap", async (t) => {
    const page = await open(t, "?allocator=segregated");
    await runScript(
      page,
      `a = malloc(24); b = malloc(24)
strcpy(a, "hello, heap")
memset(b, 0x7e, 20)
b[3] = 'Z'
memcpy(b, a, 5)
free(a)
c = malloc(24)`,
    );
    const states = [];
    for (let k = 0; k <= 8; k++) {
      await page.evaluate((k) => window.playground.goTo(k), k);
      states.push(await state(page));
    }
    assert.notDeepEqual(states[3], states[2], "strcpy changed the heap");
    for (const k of [5, 2, 8, 0, 4, 6, 3, 7]) {
      await page.evaluate((k) => window.playground.goTo(k), k);
      assert.deepEqual(await state(page), states[k], `step ${k} again`);
    }
    // A write done now is undone to the heap before it, byte for byte.
    await page.evaluate(() => window.playground.goTo(8));
    await write(page, "strcpy", { address: "c", text: "new" });
    assert.notDeepEqual(await state(page), states[8]);
    await page.click("#undo");
    assert.deepEqual(await state(page), states[8]);
  });

  test("a link holds the writes and replays them", async (t) => {
    const page = await open(t);
    await runScript(page, `a = malloc(16); strcpy(a, "linked \\"text\\""); a[0] = 'L'`);
    const before = await state(page);
    const hash = new URL(await page.evaluate(() => window.link.link())).hash;
    const again = await open(t, `?allocator=seed${hash}`);
    assert.deepEqual(await position(again), { position: 3, total: 3 });
    assert.deepEqual(await state(again), before);
    assert.match(await again.textContent("#log"), /strcpy\(a, "linked \\"text\\""\)/);
  });

  test("sessions of version 1 still open, and a write step with a bad byte is explained", async (t) => {
    const v1 = {
      brkalloc: "session",
      version: 1,
      options: { policy: "first-fit", split: false, coalesce: false, trim: false },
      position: 1,
      steps: [{ op: "malloc", size: 24 }],
    };
    const page = await open(t, `?allocator=seed${hashOf(v1)}`);
    assert.equal((await blocks(page)).length, 1);
    assert.equal(await page.evaluate(() => window.playground.options.checks), true, "checks on");

    const bad = { ...v1, version: 2, steps: [{ op: "malloc", size: 8 }, { op: "memset", ptr: { step: 0 }, byte: 300, count: 1 }] };
    const broken = await open(t, `?allocator=seed${hashOf(bad)}`);
    assert.match(await shownError(broken), /step 2: byte must be a byte, a whole number from 0 to 255, not 300/);
    const write1 = { ...v1, steps: [{ op: "malloc", size: 8 }, { op: "strcpy", ptr: { step: 0 }, text: "x" }] };
    const old = await open(t, `?allocator=seed${hashOf(write1)}`);
    assert.match(await shownError(old), /step 2: op must be "malloc", "calloc", "realloc" or "free", not "strcpy"/);
  });
});

describe("leaks", () => {
  test("at the end of a scenario a block no live name refers to is leaked, and counted", async (t) => {
    const page = await open(t);
    await runScript(page, "a = malloc(32); b = malloc(16); a = malloc(64); free(b)");
    const leaked = await page.$$eval("#diagram .block[data-leaked=true]", (els) => els.map((e) => Number(e.dataset.size)));
    assert.deepEqual(leaked, [32]);
    assert.equal(await page.getAttribute("[data-stat=leaked]", "data-blocks"), "1");
    assert.equal(await page.getAttribute("[data-stat=leaked]", "data-bytes"), "32");
    assert.match(await page.textContent("[data-stat=leaked]"), /^1 block · 32 bytes$/);
    // Before the last step nothing is counted yet.
    await page.click("#step-back");
    assert.equal(await page.locator("#diagram .block[data-leaked]").count(), 0);
    assert.equal(await page.textContent("[data-stat=leaked]"), "—");
  });

  test("a block whose name was moved by realloc or reassigned is leaked; one still named is not", async (t) => {
    const page = await open(t);
    await runScript(page, "a = malloc(16); b = malloc(16); realloc(a, 64); c = malloc(8); c = malloc(8)");
    const drawn = await page.$$eval("#diagram .block", (els) =>
      els.map((e) => [Number(e.dataset.size), e.dataset.names ?? "", e.dataset.leaked === "true", e.dataset.free === "true"]),
    );
    // realloc moved a's block and its result was not kept: the new block is leaked, and a
    // dangles. The first c took a's old block and was then reassigned: that block is leaked
    // too, though the dangling a still points at it.
    assert.deepEqual(
      drawn.filter(([, , leaked]) => leaked).map(([size]) => size).sort((x, y) => x - y),
      [16, 64],
    );
    assert.ok(drawn.some(([size, names, leaked, free]) => size === 16 && names === "b" && !leaked && !free));
    assert.ok(drawn.some(([size, names, leaked]) => size === 16 && names === "a" && leaked));
  });
});

// ------------------------------------------------------------------ the lessons, in three places

/**
 * The page, a <brk-playground> on a plain page, and embed.html in an iframe: each opens the
 * lesson, and `at(k)` shows the heap after step k and reads what the contract says of it.
 */
const PLACES = {
  async page(t, lesson) {
    const page = await open(t, `?lesson=${lesson}`);
    return place(page, "", "window.playground");
  },
  async element(t, lesson) {
    const page = await plainPage(t, `<brk-playground lesson="${lesson}" controls="steps"></brk-playground>`);
    return place(page, "brk-playground ", 'document.querySelector("brk-playground").playground');
  },
  async iframe(t, lesson) {
    const page = await plainPage(t, `<iframe src="embed.html?lesson=${lesson}" width="1000" height="700"></iframe>`, false);
    const frame = page.frames().find((f) => f.url().includes("embed.html"));
    await frame.waitForSelector("body[data-ready=true]");
    return place(frame, "brk-playground ", 'document.querySelector("brk-playground").playground');
  },
};

/** A plain page from the same origin whose body is `body` (with the element's script, if `script`). */
async function plainPage(t, body, script = true) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lessons</title>
${script ? `<script type="module" src="brk-playground.js"></script>` : ""}</head><body>${body}</body></html>`;
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, reducedMotion: "reduce" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => m.type() === "error" && errors.push(new Error(m.text())));
  await page.route(`${server.url}lessons.html`, (route) => route.fulfill({ body: html, contentType: "text/html" }));
  await page.goto(`${server.url}lessons.html`);
  if (script) await page.waitForSelector("brk-playground[data-ready=true]");
  else await page.waitForFunction(() => document.querySelector("iframe")?.contentDocument?.body?.dataset.ready === "true");
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  return page;
}

/**
 * Reads a playground through the contract: `root` is a page or a frame, `host` "" or
 * "brk-playground " (CSS selectors pierce the element's shadow root), `app` the expression
 * that reaches its playground.
 */
function place(root, host, app) {
  return {
    root,
    /** The error shown, if any. */
    error: () => root.evaluate((h) => {
      const el = h ? document.querySelector("brk-playground").shadowRoot.getElementById("error") : document.getElementById("error");
      return el.hidden ? null : el.textContent;
    }, host),
    /** The heap after step `k` (at the end: `Infinity`), as the diagram and the narration say. */
    async at(k) {
      await root.evaluate(([app, k]) => new Function(`return ${app}`)().goTo(k ?? Number.MAX_SAFE_INTEGER), [app, Number.isFinite(k) ? k : null]);
      const blocks = await root.$$eval(`${host}#diagram .block`, (els) =>
        els
          .map((e) => ({
            address: Number(e.dataset.address),
            size: Number(e.dataset.size),
            free: e.dataset.free === "true",
            names: e.dataset.names ?? "",
            corrupt: e.dataset.corrupt ?? null,
            leaked: e.dataset.leaked === "true",
            inside: e.dataset.inside ?? "",
            header: Number(e.dataset.header),
          }))
          .sort((a, b) => a.address - b.address),
      );
      const offheap = await root.$$eval(`${host}#diagram .offheap`, (els) =>
        els.map((e) => ({ address: Number(e.dataset.offheap), kind: e.dataset.kind, from: Number(e.dataset.from) })),
      );
      const narration = await root.$eval(`${host}#narration`, (e) => ({ text: e.textContent, fault: e.dataset.fault ?? null }));
      const lesson = await root.$eval(`${host}#lesson`, (e) => (e.hidden ? null : e.dataset.lesson));
      return { blocks, offheap, narration, lesson };
    },
  };
}

/** What each lesson must show, read through the contract (`p.at(k)`: the heap after step k). */
const OUTCOMES = {
  async overflow(p) {
    const step3 = await p.at(3);
    const [a, b] = step3.blocks;
    assert.equal(a.corrupt, null, "a's own header is intact");
    assert.ok(b.corrupt?.split(" ").includes("size") && b.corrupt.split(" ").includes("next"), `b's size and next are damaged: ${b.corrupt}`);
    assert.equal(b.size, 0x41414140, "b's size is the 'A's memset wrote");
    assert.equal(b.free, true, "b's flags now say FREE");
    assert.deepEqual(step3.offheap.find((m) => m.kind === "next"), { address: 0x41414141, kind: "next", from: b.header }, "b's next is drawn to where it points, outside the heap");
    assert.match(step3.narration.text, /^Step 3 \(line 4\): memset\(a, 'A', 24\): writes 24 bytes .* The header at 0x[0-9a-f]{8} now says size 0x41414140/);
    const end = await p.at(Infinity);
    assert.equal(end.blocks.length, 2, "no new block");
    assert.equal(end.blocks[1].names, "b c", "malloc handed out b again: c and b are one block");
  },
  async "use-after-free"(p) {
    const step4 = await p.at(4);
    const a = step4.blocks.find((x) => x.names === "a");
    assert.equal(a.free, true);
    assert.equal(a.corrupt, "links", "strcpy wrote over the free block's list links");
    const end = await p.at(Infinity);
    assert.ok(end.narration.fault !== null, "the last step crashed: data-fault");
    assert.match(end.narration.text, /^Step 5 \(line 6\): Segmentation fault in c = malloc\(16\): .*outside the heap's memory/);
    assert.equal(Number(end.narration.fault).toString(16), "676e6974", "it faulted at an address made of the text's bytes");
    assert.deepEqual(end.blocks, step4.blocks, "the crash changed no block");
  },
  async "double-free"(p) {
    assert.equal((await p.at(4)).blocks.find((x) => x.names === "a").corrupt, "links", "the list loops");
    const end = await p.at(Infinity);
    const shared = end.blocks.find((x) => x.names.includes("c"));
    assert.equal(shared.names, "a c d", "c and d are one block (a's, freed twice)");
    assert.equal(shared.free, false);
  },
  async "interior-free"(p) {
    const end = await p.at(Infinity);
    const a = end.blocks.find((x) => x.names === "a");
    assert.equal(a.inside, "c+16", "malloc handed out a + 16: c lies inside a");
    assert.equal(end.blocks.length, 2, "no block was added for c");
  },
  async "off-by-one"(p) {
    const step3 = await p.at(3);
    const b = step3.blocks.find((x) => x.names === "b");
    assert.ok(b.corrupt?.split(" ").includes("size"), `b's size is damaged: ${b.corrupt}`);
    assert.equal(b.size, 0, "the NUL zeroed the low byte of b's size, 16");
  },
  async leak(p) {
    const end = await p.at(Infinity);
    assert.deepEqual(end.blocks.filter((b) => b.leaked).map((b) => b.size), [32], "the first block is leaked");
    assert.ok(end.blocks.every((b) => b.corrupt === null), "nothing is damaged");
    const before = await p.at(3);
    assert.ok(before.blocks.every((b) => !b.leaked), "before the end nothing is counted as leaked");
  },
};

describe("the lessons", () => {
  for (const [name, check] of Object.entries(OUTCOMES)) {
    for (const where of Object.keys(PLACES)) {
      test(`${name}, in the ${where}`, async (t) => {
        const p = await PLACES[where](t, name);
        assert.equal(await p.error(), null);
        const start = await p.at(0);
        assert.equal(start.lesson, name, "the lesson is shown with its explanation");
        assert.deepEqual(start.blocks, [], "it starts from an empty heap");
        await check(p);
      });
    }
  }

  test("an unknown lesson is explained in the page, the element and the iframe, and the heap is empty", async (t) => {
    for (const where of Object.keys(PLACES)) {
      const p = await PLACES[where](t, "no-such-lesson");
      assert.match(await p.error(), /there is no lesson "no-such-lesson": the lessons are overflow, use-after-free, double-free, interior-free, off-by-one, leak/, where);
      const now = await p.at(0);
      assert.deepEqual(now.blocks, [], where);
      assert.equal(now.lesson, null, where);
    }
  });
});

describe("checks off, as C does", () => {
  test("the Checks menu turns them off: the same write is done, and the broken header is drawn", async (t) => {
    const page = await open(t);
    await page.selectOption("#opt-checks", "off");
    assert.equal(await page.evaluate(() => window.playground.options.checks), false);
    await runScript(page, "a = malloc(16); b = malloc(16)");
    await write(page, "memset", { address: "a", byte: "'A'", count: 24 });
    assert.equal(await shownError(page), null, "nothing refused");
    const b = (await blocks(page))[1];
    assert.match(await page.getAttribute(`#diagram .block[data-address="${b.address}"]`, "data-corrupt"), /size/);
    assert.match(await page.textContent("#narration"), /The header at 0x[0-9a-f]{8} now says size 0x41414140/);
    // The bytes panel marks the 24 bytes written: 16 in a, then b's header.
    assert.equal(await page.locator("#bytes .byte[data-changed]").count() >= 8, true);
    // Undo gives back the sound heap, byte for byte.
    await page.click("#undo");
    assert.equal(await page.locator("#diagram .block[data-corrupt]").count(), 0);
    // Another allocator keeps the checks off.
    await page.selectOption("#allocator", "segregated");
    assert.deepEqual(await page.evaluate(() => [window.playground.options.policy, window.playground.options.checks]), ["segregated", false]);
  });

  test("a crashed step is marked in the log, the narration and the timeline, and changes nothing", async (t) => {
    const page = await open(t, "?lesson=use-after-free");
    await page.click("#step-last");
    const fault = await page.getAttribute("#narration", "data-fault");
    assert.ok(fault, "the narration carries data-fault");
    assert.equal(await page.getAttribute("#log li[data-step='5']", "data-fault"), fault);
    assert.equal(await page.getAttribute("#step-label", "data-fault"), fault);
    assert.equal(await page.getAttribute("#scrubber", "data-faults"), "5");
    assert.match(await page.textContent("#narration"), /Segmentation fault in c = malloc\(16\): .* Nothing on the heap changed\./);
    const crashed = await state(page);
    await page.click("#step-back");
    assert.deepEqual(await state(page), crashed, "the heap before the crash is the heap after it");
    assert.equal(await page.getAttribute("#narration", "data-fault"), null);
  });

  test("stepping back and forth, and undo, give back exactly the broken heaps", async (t) => {
    for (const lesson of ["overflow", "double-free", "interior-free"]) {
      const page = await open(t, `?lesson=${lesson}`);
      const total = (await position(page)).total;
      const states = [];
      for (let k = 0; k <= total; k++) {
        await page.evaluate((k) => window.playground.goTo(k), k);
        states.push(await state(page));
      }
      for (const k of [total, 1, total - 1, 0, 2, total]) {
        await page.evaluate((k) => window.playground.goTo(k), k);
        assert.deepEqual(await state(page), states[k], `${lesson}: step ${k} again`);
      }
      await runScript(page, "x = malloc(40)");
      await page.click("#undo");
      await page.evaluate((k) => window.playground.goTo(k), total);
      assert.deepEqual(await state(page), states[total], `${lesson}: undo gives back the lesson`);
    }
  });

  test("a link with the checks off opens the same broken heap", async (t) => {
    const page = await open(t, "?lesson=overflow");
    await page.click("#step-last");
    // The link to the session as it is now (what Copy link copies).
    const hash = new URL(await page.evaluate(() => window.link.link())).hash;
    assert.match(hash, /^#s=/);
    const before = await state(page);
    const again = await open(t, `?allocator=seed${hash}`);
    assert.equal(await again.evaluate(() => window.playground.options.checks), false);
    assert.equal(await again.$eval("#opt-checks", (e) => e.value), "off");
    assert.deepEqual(await state(again), before);
    assert.equal(await again.locator("#diagram .block[data-corrupt]").count(), 1);
    assert.equal(await again.locator("#diagram .offheap[data-kind=next]").count(), 1);
  });

  test("checks=\"off\" on the element and in embed.html; a checks value that is neither is explained", async (t) => {
    const page = await plainPage(
      t,
      `<brk-playground id="off" checks="off" controls="full" script="a = malloc(16); b = malloc(16); memset(a, 'A', 20)"></brk-playground>
       <brk-playground id="bad" checks="maybe" script="a = malloc(16)"></brk-playground>`,
    );
    assert.equal(await page.$eval("#off", (e) => e.playground.options.checks), false);
    await page.$eval("#off", (e) => e.playground.goTo(3));
    assert.equal(await page.locator("#off #diagram .block[data-corrupt]").count(), 1);
    assert.equal(await page.$eval("#off", (e) => e.shadowRoot.getElementById("opt-checks").value), "off");
    assert.match(await page.$eval("#bad", (e) => e.shadowRoot.getElementById("error").textContent), /checks="maybe": checks are "on" \(the default\) or "off" \(as C does\)/);
    assert.equal(await page.$eval("#bad", (e) => e.playground.timeline.steps.length), 0, "nothing ran");

    const { page: embed, context } = await openPlayground(browser, server.url, `embed.html?checks=off&start-step=3&script=${encodeURIComponent("a = malloc(16); b = malloc(16); memset(a, 'A', 20)")}`);
    t.after(() => context.close());
    assert.equal(await embed.$eval("brk-playground", (e) => e.playground.options.checks), false);
    assert.equal(await embed.locator("brk-playground #diagram .block[data-corrupt]").count(), 1);
  });
});
