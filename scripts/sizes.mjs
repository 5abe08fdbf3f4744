// Prints the size of each file `npm run build` wrote to dist/ (the element, the wasm module, the
// pages and their assets), raw and gzipped (zlib level 9), and how the element's script and
// the wasm module stand against their targets. The last step of `npm run build`.
//
//   node scripts/sizes.mjs           # dist/
//   node scripts/sizes.mjs DIR       # another folder, e.g. package/
//   node scripts/sizes.mjs --check   # exit 1 when a file is over its target
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
// Arguments npm passes on (`npm run build -- --logLevel warn` reaches this script too) are not
// folders: only a bare word that is one is taken as the folder to measure.
const args = process.argv.slice(2);
const check = args.includes("--check");
const dirArg = args.find((a) => !a.startsWith("-") && existsSync(a) && statSync(a).isDirectory());
const dir = dirArg ?? join(root, "dist");

/** Gzipped bytes of each target file, by its name. */
const TARGETS = {
  "brk-playground.js": { gzip: 25 * 1024, what: "the element's script" },
  "brkalloc_bg.wasm": { gzip: 60 * 1024, what: "the wasm module" },
};
const MEASURED = /\.(js|wasm|css|html)$/;

/** The files to measure under `d`: its own, in name order, then those of its folders. */
function files(d) {
  const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...entries.filter((e) => e.isFile() && MEASURED.test(e.name)).map((e) => join(d, e.name)),
    ...entries.filter((e) => e.isDirectory() && e.name !== "node_modules").flatMap((e) => files(join(d, e.name))),
  ];
}

if (!existsSync(dir)) {
  console.error(`sizes: ${dir} does not exist: run npm run build first`);
  process.exit(1);
}
const rows = files(dir).map((path) => {
  const bytes = readFileSync(path);
  return { name: relative(dir, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const n = (x) => x.toLocaleString("en-US");
const kb = (x) => `${(x / 1024).toFixed(1)} KB`;
const width = Math.max(4, ...rows.map((r) => r.name.length));
console.log(`\nsizes of ${relative(root, dir) || "."}/ (gzip: zlib level 9)`);
console.log(`  ${"file".padEnd(width)}  ${"bytes".padStart(9)}  ${"gzipped".padStart(9)}`);
let over = 0;
for (const r of rows) {
  const target = TARGETS[r.name];
  let note = "";
  if (target) {
    const ok = r.gzip <= target.gzip;
    if (!ok) over++;
    note = `  ${ok ? "within" : "OVER"} the ${kb(target.gzip)} gzipped target for ${target.what}`;
  }
  console.log(`  ${r.name.padEnd(width)}  ${n(r.raw).padStart(9)}  ${n(r.gzip).padStart(9)}${note}`);
}
if (check && over > 0) {
  console.error(`sizes: ${over} file(s) over target`);
  process.exit(1);
}
