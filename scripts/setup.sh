#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need, and only what is missing.
#
#   bash scripts/setup.sh start   # wasm32 target, wasm-pack, wasm-bindgen-cli, npm packages
#                                 # (binaryen's wasm-opt among them: the npm package)
#   bash scripts/setup.sh test    # all of the above, plus Chromium and ChromeDriver (Debian
#                                 # packages) and nightly Rust with Miri
#
# Everything comes from the package registries (crates.io, npm, Debian, rustup's channels):
# nothing here downloads a browser or a prebuilt binary. A second run finds everything in
# place and installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# `cargo install` puts its binaries here; a fresh shell may not have it on PATH yet.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\n[setup] %s\n' "$*"; }
die() {
    printf '\n[setup] ERROR: %s\n' "$*" >&2
    exit 1
}

usage() {
    echo "usage: bash scripts/setup.sh start|test" >&2
    exit 2
}

# ---------------------------------------------------------------- prerequisites

check_prerequisites() {
    command -v rustup >/dev/null 2>&1 ||
        die "rustup is not installed. Install Rust with rustup first (https://rustup.rs), then run this again."
    command -v cargo >/dev/null 2>&1 ||
        die "cargo is not on PATH. Run 'rustup default stable', then run this again."
    command -v node >/dev/null 2>&1 ||
        die "Node.js is not installed. Install Node.js 20 or newer (with npm), then run this again."
    command -v npm >/dev/null 2>&1 ||
        die "npm is not installed. Install npm (it ships with Node.js), then run this again."
    local node_major
    node_major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$node_major" -lt 20 ]; then
        die "Node.js $(node --version) is too old: this project needs Node.js 20 or newer."
    fi
}

# The exact wasm-bindgen version the crate pins, read from crate/lab/Cargo.toml so that it is
# written down in one place only. The CLI must match it exactly, or wasm-bindgen refuses
# to process the module.
wasm_bindgen_version() {
    local lines version
    lines="$(grep -E '^[[:space:]]*wasm-bindgen[[:space:]]*=' crate/lab/Cargo.toml || true)"
    if [ -z "$lines" ] || [ "$(printf '%s\n' "$lines" | wc -l)" -ne 1 ]; then
        die "expected exactly one 'wasm-bindgen = ...' dependency line in crate/lab/Cargo.toml, found: ${lines:-none}"
    fi
    version="$(printf '%s\n' "$lines" | sed -nE 's/.*"=([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p')"
    [ -n "$version" ] ||
        die "crate/lab/Cargo.toml must pin wasm-bindgen exactly, as in: wasm-bindgen = { version = \"=0.2.130\", ... } (found: $lines)"
    printf '%s\n' "$version"
}

# ---------------------------------------------------------------- Rust pieces

ensure_rust_components() {
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "Adding Rust components: ${missing[*]}"
        rustup component add "${missing[@]}"
    fi
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
        say "Adding the Rust target wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi
}

# `cargo install --locked` uses the lock file published with the tool. When one of the
# versions it names cannot be had from the registry, install again resolving versions
# afresh, rather than fail the whole setup.
cargo_install() {
    local krate="$1"
    shift
    if cargo install "$krate" "$@" --locked; then
        return 0
    fi
    say "'cargo install $krate $* --locked' failed; trying again without --locked"
    cargo install "$krate" "$@"
}

ensure_wasm_pack() {
    if ! command -v wasm-pack >/dev/null 2>&1; then
        say "Installing wasm-pack from crates.io (takes a few minutes, once)"
        cargo_install wasm-pack
    fi
}

# wasm-pack looks for `wasm-bindgen` on PATH and uses it when its version is exactly the
# one in Cargo.lock; otherwise it tries to download one. Installing the matching CLI here
# is what keeps wasm-pack from downloading anything.
ensure_wasm_bindgen_cli() {
    local want have=""
    want="$(wasm_bindgen_version)"
    if command -v wasm-bindgen >/dev/null 2>&1; then
        have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
    fi
    if [ "$have" != "$want" ]; then
        say "Installing wasm-bindgen-cli $want from crates.io (found: ${have:-none}; takes a few minutes, once)"
        cargo_install wasm-bindgen-cli --version "$want"
        have="$(wasm-bindgen --version | awk '{print $2}')"
        [ "$have" = "$want" ] || die "wasm-bindgen-cli $want was installed, but 'wasm-bindgen --version' says $have (is another wasm-bindgen earlier on PATH?)"
    fi
}

# The fuzz stage builds the fuzz targets with cargo-fuzz (campaigns are run by hand).
ensure_cargo_fuzz() {
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        say "Installing cargo-fuzz from crates.io (takes a few minutes, once)"
        cargo_install cargo-fuzz
    fi
}

ensure_nightly_miri() {
    local host
    host="$(rustc -vV | sed -n 's/^host: //p')"
    if ! rustup toolchain list | grep -q "^nightly-$host"; then
        say "Installing the nightly Rust toolchain with Miri"
        # --allow-downgrade picks the newest nightly that has Miri, should today's lack it.
        rustup toolchain install nightly --profile minimal \
            --component miri --component rust-src --allow-downgrade
    fi
    local installed
    installed="$(rustup component list --installed --toolchain nightly)"
    if ! grep -q '^miri' <<<"$installed" || ! grep -q '^rust-src' <<<"$installed"; then
        say "Adding miri and rust-src to the nightly toolchain"
        rustup component add miri rust-src --toolchain nightly
    fi
    # The miri stage also checks the wasm32 build with a nightly-only lint.
    if ! rustup target list --installed --toolchain nightly | grep -qx 'wasm32-unknown-unknown'; then
        say "Adding the wasm32-unknown-unknown target to the nightly toolchain"
        rustup target add wasm32-unknown-unknown --toolchain nightly
    fi
    # Builds Miri's own standard library once; quick and quiet once it exists.
    say "Checking Miri's standard library (cargo +nightly miri setup)"
    cargo +nightly miri setup
}

# ---------------------------------------------------------------- Debian packages

# The Debian packages whose programs are not there yet: a C toolchain (rustc links with
# it) and, for the browser tests, Chromium and its WebDriver. wasm-opt is not one of them:
# Debian's binaryen is too old for wasm-bindgen's output, and the npm package binaryen (a
# devDependency) provides it.
missing_apt_packages() {
    local want_browser="$1" missing=()
    command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
    if [ "$want_browser" = yes ]; then
        [ -x /usr/bin/chromium ] || missing+=(chromium)
        [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
        # The malloc stage (purpose test) runs these programs on brkalloc's malloc.
        command -v python3 >/dev/null 2>&1 || missing+=(python3)
        command -v perl >/dev/null 2>&1 || missing+=(perl)
        command -v git >/dev/null 2>&1 || missing+=(git)
        command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
        command -v gzip >/dev/null 2>&1 || missing+=(gzip)
        command -v sort >/dev/null 2>&1 || missing+=(coreutils)
        command -v gcc >/dev/null 2>&1 || [[ " ${missing[*]} " == *" gcc "* ]] || missing+=(gcc)
    fi
    printf '%s\n' "${missing[@]}"
}

ensure_apt_packages() {
    local want_browser="$1" missing
    mapfile -t missing < <(missing_apt_packages "$want_browser" | sed '/^$/d')
    [ "${#missing[@]}" -eq 0 ] && return 0

    local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        die "these Debian packages are missing: ${missing[*]}
Install them as root, then run this again:

    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive $cmd
"
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "these packages are missing: ${missing[*]}, and this is not a Debian system with apt-get; install them with your package manager."
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086 # $cmd is split on purpose: it is a command line
    $cmd </dev/null
}

# ---------------------------------------------------------------- npm packages

# `npm ci` when there is a lock file, `npm install` when there is not; only when
# node_modules is missing or older than the lock file (or package.json, without one).
ensure_npm_packages() {
    [ -f package.json ] || die "package.json is missing at $ROOT"
    local lock=package.json
    [ -f package-lock.json ] && lock=package-lock.json
    if [ -d node_modules ] && [ ! "$lock" -nt node_modules ]; then
        return 0
    fi
    if [ -f package-lock.json ]; then
        say "Installing npm packages (npm ci)"
        npm ci --no-audit --no-fund
    else
        say "Installing npm packages (npm install)"
        npm install --no-audit --no-fund
    fi
    # npm writes the lock file after node_modules; mark node_modules as up to date so the
    # next run does not install again.
    touch node_modules
}

# ---------------------------------------------------------------- main

main() {
    local purpose="${1:-}"
    case "$purpose" in
    start | test) ;;
    *) usage ;;
    esac

    check_prerequisites
    if [ "$purpose" = test ]; then
        ensure_apt_packages yes
    else
        ensure_apt_packages no
    fi
    ensure_rust_components
    ensure_wasm_target
    ensure_wasm_pack
    ensure_wasm_bindgen_cli
    if [ "$purpose" = test ]; then
        ensure_nightly_miri
        ensure_cargo_fuzz
    fi
    ensure_npm_packages
    say "Everything '$purpose' needs is installed."
}

# Sourcing this file (as a test would) defines the functions without running anything.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
