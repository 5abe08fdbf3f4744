// Vite builds the playground page (index.html + www/) into dist/. The wasm module comes from
// `npm run build:wasm` (wasm-pack) as www/pkg/, imported as `#brkalloc`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  resolve: {
    alias: {
      "#brkalloc": fileURLToPath(new URL("./www/pkg/brkalloc.js", import.meta.url)),
    },
  },
  server: { host: "127.0.0.1", strictPort: false },
  preview: { host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
  },
});
