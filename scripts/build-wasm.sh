#!/usr/bin/env bash
# Builds the playground's WebAssembly module into www/pkg:
#
#   1. the lab crate (crate/lab, with the allocator in crate/brkalloc), compiled for wasm32 as
#      a cdylib (`cargo rustc --crate-type cdylib`: the crate itself is an rlib);
#   2. wasm-bindgen's JavaScript glue and TypeScript types, by the wasm-bindgen-cli whose
#      version crate/lab/Cargo.toml pins, named brkalloc.js and brkalloc_bg.wasm.
#
# wasm-opt is not run: the module is already small enough for a page, and older wasm-opt
# releases rewrite wasm-bindgen's function table in a way the glue does not expect.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

PROFILE="${WASM_PROFILE:-release}"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

cargo rustc -p brkalloc-lab --lib --profile "$PROFILE" --target wasm32-unknown-unknown --crate-type cdylib
wasm-bindgen --target web --out-dir www/pkg --out-name brkalloc \
    "$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/brkalloc_lab.wasm"
ls -l www/pkg/brkalloc_bg.wasm | awk '{print "www/pkg/brkalloc_bg.wasm: " $5 " bytes"}'
