#!/usr/bin/env bash
# Builds the playground's WebAssembly module into www/pkg:
#
#   1. the lab crate (crate/lab, with the allocator in crate/brkalloc), compiled for wasm32 as
#      a cdylib (`cargo rustc --crate-type cdylib`: the crate itself is an rlib) with the
#      `wasm` profile of the root Cargo.toml (opt-level "z", LTO, one codegen unit);
#   2. wasm-bindgen's JavaScript glue and TypeScript types, by the wasm-bindgen-cli whose
#      version crate/lab/Cargo.toml pins, named brkalloc.js and brkalloc_bg.wasm;
#   3. wasm-opt -Oz over brkalloc_bg.wasm, which also strips the names, producers and
#      target-features sections. wasm-opt comes from the npm package `binaryen` (a
#      devDependency, `npm ci` installs it): older releases, such as Debian's binaryen 108,
#      rewrite wasm-bindgen's function table in a way the glue does not expect.
#
#   npm run build:wasm                  # or: bash scripts/build-wasm.sh
#   WASM_PROFILE=dev npm run build:wasm # a debug build, names kept, no wasm-opt
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

PROFILE="${WASM_PROFILE:-wasm}"
# Cargo writes the `dev` profile's output under debug/, every other profile under its name.
PROFILE_DIR="$PROFILE"
[ "$PROFILE" = dev ] && PROFILE_DIR=debug
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

if [ "$PROFILE" != dev ] && [ ! -x "$WASM_OPT" ]; then
    echo "build-wasm: $WASM_OPT is missing: run 'npm ci' (it installs the npm package binaryen)" >&2
    exit 1
fi

cargo rustc -p brkalloc-lab --lib --profile "$PROFILE" --target wasm32-unknown-unknown --crate-type cdylib
wasm-bindgen --target web --out-dir www/pkg --out-name brkalloc \
    "$TARGET_DIR/wasm32-unknown-unknown/$PROFILE_DIR/brkalloc_lab.wasm"
size() { stat -c %s www/pkg/brkalloc_bg.wasm; }
if [ "$PROFILE" != dev ]; then
    before="$(size)"
    # The module's target_features section tells wasm-opt which features it may use; the
    # section itself is stripped afterwards, like the names (panics then show function
    # indices; build with WASM_PROFILE=dev to read names) and the producers.
    "$WASM_OPT" -Oz --strip-debug --strip-producers --strip-target-features \
        www/pkg/brkalloc_bg.wasm -o www/pkg/brkalloc_bg.wasm
    echo "www/pkg/brkalloc_bg.wasm: $before bytes from wasm-bindgen, $(size) after $("$WASM_OPT" --version)"
else
    echo "www/pkg/brkalloc_bg.wasm: $(size) bytes (profile dev: wasm-opt not run)"
fi
