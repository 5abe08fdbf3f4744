// Builds what the end-to-end tests and the UI benchmark load: the wasm module (when it is
// missing or older than the crate's sources) and the page (vite build into dist/).
//
//   node tests/support/prepare.mjs
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Newest modification time of the files under `dir` (recursively). */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const glue = join(root, "www/pkg/brkalloc.js");
const wasm = join(root, "www/pkg/brkalloc_bg.wasm");
// The module is built from the lab crate and the crates beneath it.
const sources = Math.max(
  ...["crate/brkalloc", "crate/lab", "crate/rng"].flatMap((c) => [
    newest(join(root, c, "src")),
    statSync(join(root, c, "Cargo.toml")).mtimeMs,
  ]),
);
if (!existsSync(glue) || !existsSync(wasm) || statSync(wasm).mtimeMs < sources) {
  console.log("[prepare] building the wasm module (npm run build:wasm)");
  execFileSync(npm, ["run", "build:wasm"], { cwd: root, stdio: "inherit" });
} else {
  console.log("[prepare] the wasm module is up to date");
}
console.log("[prepare] building the page (vite build)");
execFileSync(npm, ["run", "build", "--", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
