// End-to-end test of the npm package an author installs (package/): `npm pack` makes the tarball
// (its prepack step builds the element, package/build.mjs), which is installed offline into a
// fresh scratch project; then, in headless Chromium,
//   (a) a Vite app that imports "brk-playground" (built with this repository's Vite), and
//   (b) a plain static page that loads node_modules/brk-playground/brk-playground.js with one
//       <script type="module"> tag
// both draw a heap: blocks appear, with the page's data-* contract, after the scenario's
// operations run. Needs www/pkg (npm run build:wasm; tests/support/prepare.mjs sees to it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";

import { launch } from "./support/browser.mjs";
import { blocks, brk } from "./support/heap.mjs";
import { serve } from "./support/server.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const NAME = "brk-playground";
/** What the tarball must hold, under npm's `package/` prefix. */
const REQUIRED = ["package.json", "brk-playground.js", "brkalloc_bg.wasm", "brk-playground.d.ts", "README.md", "LICENSE-MIT", "LICENSE-APACHE"];

/** The scenario both pages show, and the heap it leaves: a freed, then b. */
const SCRIPT = "a = malloc(16); b = malloc(32); free(a)";
const ELEMENT = `<brk-playground id="p" controls="steps" start-step="0" script="${SCRIPT}"></brk-playground>`;
const page = (head, title) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title>${head}</head>
<body><h1>${title}</h1>${ELEMENT}</body></html>
`;

/** Runs a command, quietly; a failure throws with everything it printed. */
function run(command, args, cwd) {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

let work;
let tarball;
let entries;
let scratch;
let browser;
const servers = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "brk-package-"));
  const packed = join(work, "packed");
  mkdirSync(packed);
  // npm pack runs the package's prepack script, which builds the element into package/.
  run(npm, ["pack", "--pack-destination", packed], join(root, "package"));
  const tgz = readdirSync(packed).filter((f) => f.endsWith(".tgz"));
  assert.equal(tgz.length, 1, `npm pack made one tarball (found: ${tgz.join(", ") || "none"})`);
  tarball = join(packed, tgz[0]);
  entries = run("tar", ["-tzf", tarball], packed).split("\n").filter(Boolean);

  // A fresh project that installs the tarball, offline: the package has no dependencies.
  scratch = join(work, "scratch");
  mkdirSync(scratch);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }, null, 2));
  run(npm, ["install", "--offline", "--no-audit", "--no-fund", tarball], scratch);

  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * Opens `url`, waits for the element, steps to the end of its scenario and checks the heap it
 * draws. Returns the wasm modules the page fetched, as {path, status, type}.
 */
async function drawsAHeap(t, url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, reducedMotion: "reduce" });
  const p = await context.newPage();
  const errors = [];
  const wasm = [];
  p.on("pageerror", (e) => errors.push(e));
  p.on("console", (m) => m.type() === "error" && errors.push(new Error(m.text())));
  p.on("response", (r) => {
    if (new URL(r.url()).pathname.endsWith(".wasm")) wasm.push({ path: new URL(r.url()).pathname, status: r.status(), type: r.headers()["content-type"] });
  });
  t.after(() => context.close());
  await p.goto(url);
  await p.waitForSelector("brk-playground#p[data-ready=true]", { timeout: 15000 });
  assert.ok(await p.evaluate(() => customElements.get("brk-playground") !== undefined), "the element is defined");

  const scope = "brk-playground#p #diagram";
  assert.deepEqual(await blocks(p, scope), [], "step 0: no block yet");
  await p.click("brk-playground#p #step-last");
  const drawn = await blocks(p, scope);
  assert.deepEqual(
    drawn.map((b) => [b.size, b.free, b.names]),
    [[16, true, "a"], [32, false, "b"]],
    "after the scenario's three operations: a's block freed, b's in use",
  );
  const end = drawn.at(-1).address + drawn.at(-1).size;
  assert.ok((await brk(p, scope)) >= end, "the break is at or past the end of the last block");
  assert.equal(await p.$eval("brk-playground#p", (e) => e.playground.engine.check() ?? "sound"), "sound");
  assert.deepEqual(errors.map(String), [], "the page reported no errors");
  return wasm;
}

describe("the npm package brk-playground", () => {
  test("npm pack makes a tarball with the script, the wasm module, the declarations, the README and the licences", () => {
    for (const file of REQUIRED) assert.ok(entries.includes(`package/${file}`), `the tarball holds ${file} (it holds: ${entries.join(", ")})`);
    assert.ok(!entries.some((e) => e.includes("build.mjs") || e.includes(".check")), "the build script is not packed");
    for (const file of REQUIRED) assert.ok(existsSync(join(scratch, "node_modules", NAME, file)), `npm installed ${file}`);
  });

  test("(a) a Vite app that imports it draws a heap", async (t) => {
    const app = join(work, "scratch", "app");
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "index.html"), page(`<script type="module" src="./main.js"></script>`, "A Vite app"));
    writeFileSync(join(app, "main.js"), `import "${NAME}";\n`);
    // This repository's Vite, pointed at the scratch project (it resolves the package from the
    // scratch project's node_modules); nothing is installed from the network.
    const { build } = await import("vite");
    await build({ root: app, configFile: false, logLevel: "warn", build: { outDir: join(app, "dist"), emptyOutDir: true } });
    const assets = readdirSync(join(app, "dist", "assets"));
    assert.ok(assets.some((f) => f.endsWith(".wasm")), `Vite emitted the wasm module as an asset (assets: ${assets.join(", ")})`);

    const server = await serve(join(app, "dist"));
    servers.push(server);
    const wasm = await drawsAHeap(t, server.url);
    assert.ok(wasm.some((w) => w.path.startsWith("/assets/") && w.status === 200 && w.type === "application/wasm"), `the page fetched the bundled wasm module: ${JSON.stringify(wasm)}`);
  });

  test("(b) a plain page with one script tag, serving node_modules/brk-playground/, draws a heap", async (t) => {
    writeFileSync(
      join(scratch, "index.html"),
      page(`<script type="module" src="node_modules/${NAME}/brk-playground.js"></script>`, "A plain page"),
    );
    const server = await serve(scratch);
    servers.push(server);
    const wasm = await drawsAHeap(t, server.url);
    assert.deepEqual(
      wasm.map((w) => [w.path, w.status, w.type]),
      [[`/node_modules/${NAME}/brkalloc_bg.wasm`, 200, "application/wasm"]],
      "the wasm module was fetched from beside the script",
    );
  });
});
