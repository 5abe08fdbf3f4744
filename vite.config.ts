// Vite builds what an author hosts into dist/:
//
// - `vite build`: the pages, index.html (the playground), embed.html (one playground for an
//   iframe) and tutorial.html (how to embed it), with their scripts and the wasm module;
// - `vite build --mode element`: brk-playground.js, one ES module that defines
//   <brk-playground> (styles included) and loads brkalloc_bg.wasm from beside it. The npm
//   package (package/build.mjs) is this build, written into package/ instead of dist/.
//
// The wasm module comes from `npm run build:wasm` (wasm-bindgen) as www/pkg/, imported as
// `#brkalloc`.
import { fileURLToPath } from "node:url";
import { defineConfig, type BuildEnvironmentOptions } from "vite";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** The element alone: brk-playground.js and brkalloc_bg.wasm, no hash in their names. */
const element: BuildEnvironmentOptions = {
  outDir: "dist",
  emptyOutDir: false,
  target: "es2022",
  assetsInlineLimit: 0,
  copyPublicDir: false,
  rollupOptions: {
    input: { "brk-playground": here("./www/element.ts") },
    // Keep the element's exports (a library entry, not a page's).
    preserveEntrySignatures: "strict",
    output: {
      entryFileNames: "[name].js",
      assetFileNames: "[name][extname]",
      codeSplitting: false,
    },
  },
};

/** The pages. */
const pages: BuildEnvironmentOptions = {
  outDir: "dist",
  emptyOutDir: true,
  target: "es2022",
  assetsInlineLimit: 0,
  rollupOptions: {
    input: {
      index: here("./index.html"),
      embed: here("./embed.html"),
      tutorial: here("./tutorial.html"),
    },
  },
};

export default defineConfig(({ mode }) => ({
  base: "./",
  resolve: {
    alias: {
      "#brkalloc": here("./www/pkg/brkalloc.js"),
    },
  },
  server: { host: "127.0.0.1", strictPort: false },
  preview: { host: "127.0.0.1" },
  build: mode === "element" ? element : pages,
}));
