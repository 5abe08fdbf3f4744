// `npm run bench:ui`: how long the page takes from one operation to the redrawn diagram, in
// headless Chromium, with heaps of 100, 1,000 and 10,000 blocks. It prints figures; it never
// fails on them.
//
// For each size it builds the heap with the seed allocator (n mallocs of 16 bytes, drawn once),
// then 20 times frees a block in the middle of the heap and mallocs 16 bytes again (first fit
// walks to it, reporting one `visit` event per block on the way, and reuses it), each through
// the same path as a click: the wasm call, the narration, the redraw, and a forced style and
// layout of the page. The diagram is scrolled to those blocks first, so their change is drawn. Timed with performance.now() inside the page; "next frame" is from the
// free to the next requestAnimationFrame, so it includes painting (and waiting for vsync).
import { launch, openPlayground } from "../support/browser.mjs";
import { serve } from "../support/server.mjs";

const SIZES = [100, 1000, 10000];
const ROUNDS = 20;
const BUDGET_MS = 16;

const server = await serve();
const browser = await launch();
try {
  const rows = [];
  for (const n of SIZES) {
    const { page, context } = await openPlayground(browser, server.url, "?allocator=seed");
    const result = await page.evaluate(
      async ({ n, rounds }) => {
        const app = window.playground;
        const addresses = app.runAll(Array.from({ length: n }, () => ({ op: "malloc", size: 16 })));
        const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
        const force = () => document.documentElement.getBoundingClientRect() && document.body.offsetHeight;
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const max = (xs) => Math.max(...xs);
        await frame();
        const free = [];
        const malloc = [];
        const redraw = [];
        const frames = [];
        /** Runs `op` as a click would and forces style and layout; returns [total, redraw] ms. */
        const timed = (op) => {
          const t0 = performance.now();
          if (!app.run(op)) throw new Error(`${op.op} failed`);
          const t1 = performance.now();
          force();
          const t2 = performance.now();
          return [t2 - t0, app.lastRenderMs + (t2 - t1)];
        };
        // The blocks operated on are in view, as they are when a learner clicks one, so the
        // redraw has DOM to change. A few untimed rounds first let the JIT warm up.
        const middle = Math.floor(n / 2);
        app.diagram.reveal(addresses[middle]);
        await frame();
        for (let i = 0; i < 5; i++) {
          timed({ op: "free", address: addresses[middle + 10] });
          timed({ op: "malloc", size: 16 });
          await frame();
        }
        for (let i = 0; i < rounds; i++) {
          const target = addresses[middle + (i % 7)];
          await frame();
          const t0 = performance.now();
          const [f, fr] = timed({ op: "free", address: target });
          free.push(f);
          redraw.push(fr);
          frames.push((await frame()) - t0);
          const [m, mr] = timed({ op: "malloc", size: 16 });
          malloc.push(m);
          redraw.push(mr);
          await frame();
        }
        const drawn = document.querySelectorAll("#diagram .block").length;
        const blocks = window.playground.engine.snapshot().totals.blocks;
        return {
          blocks,
          drawn,
          free: median(free),
          malloc: median(malloc),
          redraw: median(redraw),
          worst: max([...free, ...malloc]),
          frame: median(frames),
        };
      },
      { n, rounds: ROUNDS },
    );
    rows.push({ n, ...result });
    await context.close();
  }

  const ms = (x) => `${x.toFixed(2)} ms`.padStart(10);
  console.log(`\nUI: one operation -> redrawn diagram, headless Chromium (median of ${ROUNDS} rounds)`);
  console.log("  total = wasm call (with its events) + narration + redraw + forced style and layout;");
  console.log("  redraw = the page's part: layout table, diagram, stats, bytes, overview, style and layout\n");
  console.log("    blocks  drawn  free->drawn  malloc->drawn     redraw      worst  next frame");
  for (const r of rows) {
    console.log(
      `${r.blocks.toLocaleString("en-US").padStart(10)}  ${String(r.drawn).padStart(5)} ${ms(r.free)}     ${ms(r.malloc)} ${ms(r.redraw)} ${ms(r.worst)} ${ms(r.frame)}`,
    );
  }
  const big = rows[rows.length - 1];
  const slowest = Math.max(big.free, big.malloc);
  console.log(
    `\ntarget: under ${BUDGET_MS} ms at ${big.blocks.toLocaleString("en-US")} blocks: ` +
      `${slowest.toFixed(2)} ms (${slowest < BUDGET_MS ? "within" : "over"} budget)`,
  );
} finally {
  await browser.close();
  await server.close();
}
