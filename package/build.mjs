// Builds the npm package `brk-playground` in this folder, ready for `npm pack`:
//
//   1. checks that this package's version is the lab crate's (crate/lab/Cargo.toml);
//   2. builds the element with Vite (`vite build --mode element`, see vite.config.ts) into this
//      folder: brk-playground.js and brkalloc_bg.wasm, from the wasm module in www/pkg
//      (`npm run build:wasm` makes it);
//   3. copies the licence texts from the repository root;
//   4. checks the hand-written declarations, brk-playground.d.ts, with tsc: on their own, and
//      against the element's source (www/element.ts), which must satisfy them.
//
//   node package/build.mjs      # or: cd package && npm pack (prepack runs this first)
//   npm run pack                # at the repository root: package/brk-playground-<version>.tgz
//
// The built files are not in git (.gitignore); package.json, README.md, brk-playground.d.ts and
// this script are.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..");
const fail = (message) => {
  console.error(`package/build.mjs: ${message}`);
  process.exit(1);
};

// 1. One version: the lab crate's, which builds the wasm module.
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const crate = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "crate/lab/Cargo.toml"), "utf8"))?.[1];
if (pkg.version !== crate) {
  fail(`package/package.json says version ${pkg.version}, crate/lab/Cargo.toml says ${crate}: make them the same`);
}

// 2. The element and its wasm module.
if (!existsSync(join(root, "www/pkg/brkalloc_bg.wasm"))) {
  fail("www/pkg/brkalloc_bg.wasm is missing: run npm run build:wasm first");
}
for (const file of ["brk-playground.js", "brkalloc_bg.wasm"]) rmSync(join(here, file), { force: true });
const { build } = await import("vite");
await build({
  root,
  configFile: join(root, "vite.config.ts"),
  mode: "element",
  logLevel: "warn",
  build: { outDir: here, emptyOutDir: false },
});
for (const file of ["brk-playground.js", "brkalloc_bg.wasm"]) {
  if (!existsSync(join(here, file))) fail(`the element's build did not write ${file}`);
}

// 3. The licences, as the repository has them.
for (const file of ["LICENSE-MIT", "LICENSE-APACHE"]) copyFileSync(join(root, file), join(here, file));

// 4. The declarations. On their own first: they compile, global augmentations included.
const tsc = join(root, "node_modules/.bin/tsc");
const check = (args, cwd) => {
  try {
    execFileSync(tsc, args, { cwd, stdio: "pipe" });
  } catch (e) {
    fail(`tsc ${args.join(" ")} failed:\n${e.stdout}${e.stderr}`);
  }
};
check(["--ignoreConfig", "--noEmit", "--strict", "--lib", "ES2022,DOM", "brk-playground.d.ts"], here);

// Then against the element's source. Both declare the element in HTMLElementTagNameMap, which
// one program cannot hold twice, so the check reads the declarations without their
// `declare global { … }` block.
const text = readFileSync(join(here, "brk-playground.d.ts"), "utf8");
const start = text.indexOf("declare global {");
if (start < 0) fail("brk-playground.d.ts has no `declare global {` block");
let end = text.indexOf("{", start);
for (let depth = 0; end < text.length; end++) {
  if (text[end] === "{") depth++;
  else if (text[end] === "}" && --depth === 0) break;
}
const dir = join(here, ".check");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
writeFileSync(join(dir, "declared.d.ts"), text.slice(0, start) + text.slice(end + 1));
writeFileSync(
  join(dir, "check.ts"),
  `// The element as built satisfies the package's declarations (written by package/build.mjs).
import type { BrkOperation, BrkPlayground as Declared, BrkPlaygroundApp } from "./declared";
import type { BrkPlayground as Element } from "../../www/element";
import type { Operation } from "../../www/engine";

export const element = (e: Element): Declared => e;
export const app = (e: Element): BrkPlaygroundApp | null => e.playground;
export const ready = (e: Element): Promise<BrkPlaygroundApp> => e.ready;
export const statics: { readonly observedAttributes: readonly string[] } = undefined as unknown as typeof Element;
export const operation = (o: BrkOperation): Operation => o;
`,
);
writeFileSync(
  join(dir, "tsconfig.json"),
  JSON.stringify({ extends: "../../tsconfig.json", include: ["check.ts", "declared.d.ts", "../../www/env.d.ts"], exclude: [] }, null, 2),
);
check(["--noEmit", "-p", "tsconfig.json"], dir);
rmSync(dir, { recursive: true, force: true });
console.log(`package/: brk-playground ${pkg.version} built (brk-playground.js, brkalloc_bg.wasm, licences; declarations checked)`);
