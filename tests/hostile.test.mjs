// End-to-end tests of the wasm module's `Playground` (www/pkg, through its wasm-bindgen glue,
// in headless Chromium) against hostile JavaScript values: a revoked Proxy, which throws on
// every inspection, and objects whose getters and traps throw or call back into the
// playground. Each call is refused with an Error saying why, and the same Playground keeps
// working: a JavaScript exception thrown inside one of its methods would otherwise leave it
// borrowed for good ("recursive use of an object detected" on every later call).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launch } from "./support/browser.mjs";
import { serve } from "./support/server.mjs";

const PKG = new URL("../www/pkg/", import.meta.url);

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

/** A blank page on the test server's origin that can import the module from ./pkg/. */
async function openModulePage(t) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors.map(String), [], "the page reported errors");
  });
  await page.route(`${server.url}pkg/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    if (name === "") {
      return route.fulfill({ contentType: "text/html", body: "<!doctype html><title>module</title>" });
    }
    const type = name.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return route.fulfill({ contentType: type, body: readFileSync(fileURLToPath(new URL(name, PKG))) });
  });
  await page.goto(`${server.url}pkg/`);
  return page;
}

test("revoked Proxies and throwing getters are refused with a sentence, and the Playground keeps working", async (t) => {
  const page = await openModulePage(t);
  const result = await page.evaluate(async () => {
    const mod = await import("./brkalloc.js");
    await mod.default();
    const { Playground } = mod;
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    const p = new Playground({ preset: "seed" });
    const a = p.alloc(24).address;
    p.alloc(40);
    const state = () => JSON.stringify({ snapshot: p.snapshot(), options: p.options(), limit: p.limit() });
    const before = state();

    const calls = {
      "new Playground(revoked)": () => new Playground(revoked()),
      "reset(revoked)": () => p.reset(revoked()),
      "reset(ownKeys throws)": () =>
        p.reset(
          new Proxy(
            {},
            {
              ownKeys() {
                throw new Error("no keys for you");
              },
            },
          ),
        ),
      "reset(getter throws)": () =>
        p.reset({
          get policy() {
            throw new RangeError("not today");
          },
        }),
      "reset(getter calls back)": () =>
        p.reset({
          get policy() {
            p.alloc(8);
            return "best-fit";
          },
        }),
      "reset(getter throws a revoked Proxy)": () =>
        p.reset({
          get policy() {
            throw revoked();
          },
        }),
      "alloc(revoked)": () => p.alloc(revoked()),
      "calloc(revoked, 4)": () => p.calloc(revoked(), 4),
      "calloc(4, revoked)": () => p.calloc(4, revoked()),
      "free(revoked)": () => p.free(revoked()),
      "realloc(revoked, 8)": () => p.realloc(revoked(), 8),
      "realloc(a, revoked)": () => p.realloc(a, revoked()),
      "loadTrace(revoked)": () => p.loadTrace(revoked()),
      "replayTrace(revoked, 1)": () => p.replayTrace(revoked(), 1),
      "replayTrace(1, revoked)": () => p.replayTrace(1, revoked()),
    };
    const outcomes = {};
    for (const [call, f] of Object.entries(calls)) {
      try {
        f();
        outcomes[call] = { threw: false };
      } catch (e) {
        outcomes[call] = { threw: true, error: e instanceof Error, message: e instanceof Error ? e.message : String(e) };
      }
    }
    const after = state();
    const alloc16 = p.alloc(16);
    return { outcomes, before, after, alloc16, check: p.check() ?? null, blocks: p.snapshot().blocks.length };
  });

  const hex = (n) => `0x${n.toString(16).padStart(8, "0")}`;
  const snapshot = JSON.parse(result.before).snapshot;
  const a = hex(snapshot.blocks[0].data);
  const unreadable = /^Playground options cannot be read: TypeError: .*revoked/;
  const expected = {
    "new Playground(revoked)": unreadable,
    "reset(revoked)": unreadable,
    "reset(ownKeys throws)": /^Playground options cannot be read: Error: no keys for you$/,
    "reset(getter throws)": /^Playground options cannot be read \(its policy field\): RangeError: not today$/,
    "reset(getter calls back)": /^Playground options cannot be read \(its policy field\): Error: recursive use of an object/,
    "reset(getter throws a revoked Proxy)": /^Playground options cannot be read \(its policy field\): an exception that cannot be shown$/,
    "alloc(revoked)": /^malloc\(\{…\}\): a size must be a whole number of bytes$/,
    "calloc(revoked, 4)": /^calloc\(\{…\}, 4\): a count must be a whole number$/,
    "calloc(4, revoked)": /^calloc\(4, \{…\}\): a size must be a whole number of bytes$/,
    "free(revoked)": /^free\(\{…\}\): an address must be a whole number such as/,
    "realloc(revoked, 8)": /^realloc\(\{…\}, 8\): an address must be a whole number such as/,
    "realloc(a, revoked)": new RegExp(`^realloc\\(${a}, \\{…\\}\\): a size must be a whole number of bytes$`),
    // Text and numbers are converted by the glue, before the call enters Rust: the browser's
    // own TypeError, and the Playground was never borrowed.
    "loadTrace(revoked)": /revoked/,
    "replayTrace(revoked, 1)": /revoked/,
    "replayTrace(1, revoked)": /revoked/,
  };
  for (const [call, pattern] of Object.entries(expected)) {
    const outcome = result.outcomes[call];
    assert.equal(outcome.threw, true, `${call} should throw`);
    assert.equal(outcome.error, true, `${call} should throw an Error, not ${outcome.message}`);
    assert.match(outcome.message, pattern, call);
  }

  assert.equal(result.after, result.before, "the refused calls left the heap and its options as they were");
  assert.equal(typeof result.alloc16.address, "number", "the same Playground still allocates");
  assert.equal(result.blocks, snapshot.blocks.length + 1);
  assert.equal(result.check, null, "every invariant holds");
});
