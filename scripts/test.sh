#!/usr/bin/env bash
# Runs every check the project has, in order, and stops at the first one that fails.
#
#   npm test                           # install what is missing, then run every stage
#   bash scripts/test.sh miri wasm     # only the named stages (setup still runs first)
#   bash scripts/test.sh --no-setup    # skip the install step
#   bash scripts/test.sh --list        # print the stages and what each one runs
#
# Each stage prints its name as it starts; a summary closes the run.
set -euo pipefail

# The test targets Miri interprets: the core's unit tests and the integration tests that
# drive it through the Break seam, the checker's property test, and (in a run of its own,
# under Tree Borrows) the program whose global allocator is brkalloc. Miri is slow, so
# targets join these lists deliberately.
MIRI_TARGETS=(--lib --test heap --test backends --test checker)
MIRI_MODEL_TARGETS=(--test model)
MIRI_GLOBAL_TARGETS=(--test global_alloc)

# Miri runs isolated from the host by default. Forward PROPTEST_CASES so property tests
# can run fewer cases under the interpreter, and let file-system calls (proptest's
# regression files) fail with an error the program sees instead of stopping Miri. Strict
# provenance: a pointer made from an integer stops the run.
: "${MIRIFLAGS:=-Zmiri-strict-provenance -Zmiri-env-forward=PROPTEST_CASES -Zmiri-isolation-error=warn-nobacktrace}"
: "${MIRI_PROPTEST_CASES:=16}"
# Miri is by far the slowest stage; past this limit it fails with a clear message instead
# of running into CI's own 90-minute limit, which would cut the run off without a summary.
: "${MIRI_TIME_LIMIT:=45m}"

# Debian's ChromeDriver; wasm-pack would download one if it could not find it.
CHROMEDRIVER_PATH=/usr/bin/chromedriver

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# ---------------------------------------------------------------- the stages, in order

STAGES=(setup fmt clippy test malloc doc miri wasm typecheck e2e bench fuzz)

declare -A TITLE=(
    [setup]="install what is missing (scripts/setup.sh test)"
    [fmt]="formatting (cargo fmt --all -- --check)"
    [clippy]="lints (cargo clippy --workspace --all-targets -- -D warnings)"
    [test]="native tests (cargo test --workspace)"
    [malloc]="real programs on brkalloc's malloc under LD_PRELOAD (python3 scripts/malloc-programs.py test)"
    [doc]="documentation (cargo doc -p brkalloc -p brkalloc-lab -p brkalloc-malloc -p brkalloc-rng --no-deps, warnings are errors; cargo package --workspace --exclude brkalloc-malloc: packs and builds each crate as crates.io would)"
    [miri]="Miri, strict provenance, on the core (${MIRI_TARGETS[*]} ${MIRI_MODEL_TARGETS[*]}) and, with Tree Borrows, the global allocator (${MIRI_GLOBAL_TARGETS[*]})"
    [wasm]="wasm tests in headless Chromium (wasm-pack test --headless --chrome, crate/brkalloc and crate/lab)"
    [typecheck]="TypeScript types (npm run typecheck)"
    [e2e]="end-to-end tests in headless Chromium (npm run build:wasm, npm run test:e2e)"
    [bench]="benchmarks build (cargo build --release --manifest-path bench/Cargo.toml)"
    [fuzz]="fuzz targets build (cargo +nightly fuzz build --fuzz-dir crate/fuzz)"
)

stage_setup() { bash scripts/setup.sh test; }
stage_fmt() { cargo fmt --all -- --check; }
stage_clippy() { cargo clippy --workspace --all-targets -- -D warnings; }
stage_test() { cargo test --workspace; }
# Builds crate/malloc as a no_std shared library, runs python3, perl, git, sqlite3, gcc, sort,
# gzip and C test programs with and without it preloaded, and compares what they print; then
# checks that BRKALLOC_CHECK=1 names the block a heap overflow or a double free broke.
stage_malloc() { python3 scripts/malloc-programs.py test; }
# `cargo package`: the crates' manifests, READMEs and licences make publishable packages
# (brkalloc-malloc is `publish = false`).
stage_doc() {
    # `cargo package` verifies brkalloc-lab against the brkalloc it just packed, unpacked from a
    # local registry into ~/.cargo/registry/src/-<hash of this checkout's path>/. Cargo does not
    # unpack a crate again whose name and version it already unpacked there, so a checkout at a
    # path used before would be verified against that older brkalloc 0.1.0: drop those copies.
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/brkalloc-*
    RUSTDOCFLAGS="-D warnings" cargo doc -p brkalloc -p brkalloc-lab -p brkalloc-malloc -p brkalloc-rng --no-deps &&
        cargo package --workspace --exclude brkalloc-malloc --allow-dirty
}

stage_miri() {
    # Code Miri cannot run (the sbrk and wasm backends) must not cast integers to pointers
    # either: rustc's strict-provenance lint, on every target of the crate, native and wasm32.
    echo "--- no integer-to-pointer casts (fuzzy_provenance_casts, nightly)"
    local lint="-Zcrate-attr=feature(strict_provenance_lints) -Dfuzzy_provenance_casts"
    # (A stage runs without `set -e`: each command that must pass says so.)
    RUSTFLAGS="$lint" cargo +nightly check -q -p brkalloc -p brkalloc-lab --all-targets \
        --target-dir target/provenance || return 1
    RUSTFLAGS="$lint" cargo +nightly check -q -p brkalloc -p brkalloc-lab --lib \
        --target wasm32-unknown-unknown --target-dir target/provenance || return 1

    # Miri runs one test binary at a time on one core. The model's binary takes about as long
    # as all the others, so with two cores it runs in a lane of its own beside them.
    local cases="${PROPTEST_CASES:-$MIRI_PROPTEST_CASES}"
    echo "--- MIRIFLAGS=$MIRIFLAGS PROPTEST_CASES=$cases (time limit $MIRI_TIME_LIMIT)"
    echo "--- building the test binaries once"
    MIRIFLAGS="$MIRIFLAGS" cargo +nightly miri test -q -p brkalloc --no-run \
        "${MIRI_TARGETS[@]}" "${MIRI_MODEL_TARGETS[@]}" "${MIRI_GLOBAL_TARGETS[@]}" || return 1
    local logs
    logs="$(mktemp -d)"
    # Lane 1: the core's targets, then the global allocator's program under Tree Borrows.
    lane_one() {
        miri_run "$MIRIFLAGS" "$cases" "${MIRI_TARGETS[@]}" &&
            miri_run "$MIRIFLAGS -Zmiri-tree-borrows" "$cases" "${MIRI_GLOBAL_TARGETS[@]}"
    }
    # Lane 2: the model.
    lane_two() { miri_run "$MIRIFLAGS" "$cases" "${MIRI_MODEL_TARGETS[@]}"; }
    local rc1=0 rc2=0
    if [ "$(nproc)" -ge 2 ]; then
        lane_one >"$logs/one" 2>&1 &
        local pid=$!
        lane_two >"$logs/two" 2>&1 || rc2=$?
        wait "$pid" || rc1=$?
        echo "--- lane 1: ${MIRI_TARGETS[*]}, then ${MIRI_GLOBAL_TARGETS[*]} with -Zmiri-tree-borrows"
        cat "$logs/one"
        echo "--- lane 2: ${MIRI_MODEL_TARGETS[*]}"
        cat "$logs/two"
    else
        lane_one || rc1=$?
        [ "$rc1" -ne 0 ] || lane_two || rc2=$?
    fi
    rm -rf "$logs"
    [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
}

# Runs Miri, with MIRIFLAGS $1 and PROPTEST_CASES $2, on the test targets that follow, within
# the miri stage's time limit.
miri_run() {
    local flags="$1" cases="$2"
    shift 2
    MIRIFLAGS="$flags" PROPTEST_CASES="$cases" timeout --kill-after=30s "$MIRI_TIME_LIMIT" \
        cargo +nightly miri test -p brkalloc "$@"
}

# --mode no-install: use the wasm-bindgen-cli and ChromeDriver that are installed, and
# fail rather than download either. webdriver.json gives Chromium its flags.
stage_wasm() {
    local c
    for c in crate/brkalloc crate/lab; do
        echo "--- $c"
        CHROMEDRIVER="$CHROMEDRIVER_PATH" \
            WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/crate/webdriver.json" \
            WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
            wasm-pack test --headless --chrome --chromedriver "$CHROMEDRIVER_PATH" \
            --mode no-install "$c" || return 1
    done
}

stage_typecheck() { npm run typecheck; }
stage_e2e() { npm run build:wasm && npm run test:e2e; }
stage_bench() { cargo build --release --manifest-path bench/Cargo.toml; }
stage_fuzz() { cargo +nightly fuzz build --fuzz-dir crate/fuzz; }

# A stage whose skip_ function prints a reason is skipped, with that reason.
skip_bench() { [ -f bench/Cargo.toml ] || echo "bench/Cargo.toml does not exist"; }
skip_fuzz() {
    if [ ! -d crate/fuzz ]; then
        echo "crate/fuzz does not exist"
    elif ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "cargo-fuzz is not installed (cargo install cargo-fuzz --locked, to build the fuzz targets here)"
    fi
}

# ---------------------------------------------------------------- the runner

usage() {
    echo "usage: bash scripts/test.sh [--no-setup] [--list] [STAGE...]"
    echo "stages: ${STAGES[*]}"
}

list_stages() {
    local s
    for s in "${STAGES[@]}"; do
        printf '  %-10s %s\n' "$s" "${TITLE[$s]}"
    done
}

duration() {
    local s="$1"
    if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

declare -A RESULT=() NOTE=()
SELECTED=()

summary() {
    local s passed=0 failed=0 skipped=0
    echo
    echo "================================ summary ================================"
    for s in "${SELECTED[@]}"; do
        printf '  %-8s %-10s %s\n' "${RESULT[$s]:-not run}" "$s" "${NOTE[$s]:-}"
        case "${RESULT[$s]:-}" in
        passed) passed=$((passed + 1)) ;;
        failed) failed=$((failed + 1)) ;;
        skipped) skipped=$((skipped + 1)) ;;
        esac
    done
    echo "stages: $passed passed, $failed failed, $skipped skipped"
}

main() {
    local run_setup=yes s
    local -a wanted=()
    while [ "$#" -gt 0 ]; do
        case "$1" in
        --no-setup) run_setup=no ;;
        --list)
            list_stages
            return 0
            ;;
        -h | --help)
            usage
            list_stages
            return 0
            ;;
        -*)
            echo "unknown option: $1" >&2
            usage >&2
            return 2
            ;;
        *)
            if [ -z "${TITLE[$1]+set}" ]; then
                echo "unknown stage: $1" >&2
                usage >&2
                return 2
            fi
            wanted+=("$1")
            ;;
        esac
        shift
    done

    for s in "${STAGES[@]}"; do
        if [ "$s" = setup ]; then
            [ "$run_setup" = yes ] && SELECTED+=("$s")
        elif [ "${#wanted[@]}" -eq 0 ] || [[ " ${wanted[*]} " == *" $s "* ]]; then
            SELECTED+=("$s")
        fi
    done

    local total="${#SELECTED[@]}" n=0 reason start rc
    for s in "${SELECTED[@]}"; do
        n=$((n + 1))
        echo
        echo "==> [$n/$total] $s: ${TITLE[$s]}"
        reason=""
        if declare -F "skip_$s" >/dev/null; then
            reason="$("skip_$s")" || true
        fi
        if [ -n "$reason" ]; then
            echo "--- skipped: $reason"
            RESULT[$s]=skipped
            NOTE[$s]="$reason"
            continue
        fi
        start=$SECONDS
        rc=0
        "stage_$s" || rc=$?
        NOTE[$s]="$(duration $((SECONDS - start)))"
        if [ "$rc" -ne 0 ]; then
            RESULT[$s]=failed
            NOTE[$s]="exit code $rc after ${NOTE[$s]}"
            echo
            echo "!!! FAILED at stage '$s': ${TITLE[$s]} (exit code $rc)"
            if [ "$rc" -eq 124 ]; then
                echo "!!! Exit code 124: the stage ran past its time limit and was stopped."
            elif [ "$rc" -gt 128 ]; then
                echo "!!! Exit code $rc: the stage was stopped by signal $((rc - 128)) from outside."
            fi
            [ "$s" != setup ] && echo "!!! Run this stage alone with: bash scripts/test.sh --no-setup $s"
            summary
            return 1
        fi
        RESULT[$s]=passed
        echo "<== $s passed (${NOTE[$s]})"
    done
    summary
}

main "$@"
