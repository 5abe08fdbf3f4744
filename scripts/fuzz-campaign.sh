#!/usr/bin/env bash
# A fuzzing campaign, run by hand (CI only builds the targets): every fuzz target in turn for
# the same time, with the invariant checker after every operation, then the operations and
# inputs each one ran and the total.
#
#   bash scripts/fuzz-campaign.sh                 # 20 minutes per target
#   bash scripts/fuzz-campaign.sh 600             # 10 minutes per target
#   bash scripts/fuzz-campaign.sh 600 check_total # only the named targets
#   JOBS=2 bash scripts/fuzz-campaign.sh 600      # two fuzzing processes per target, at once
#
# It needs cargo-fuzz and the nightly toolchain (`bash scripts/setup.sh test` installs both).
# Each target keeps its corpus in crate/fuzz/corpus/<target> (not committed); a crash stops
# that target, leaves its input in crate/fuzz/artifacts/<target>, and fails the campaign.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

seconds="${1:-1200}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(heap_ops paged_ops check_total loose_ops)

log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

echo "fuzz campaign: ${targets[*]}, ${seconds}s each, ${JOBS:-1} process(es) each, on $(nproc) cores ($(date -u +%Y-%m-%dT%H:%MZ))"
cargo +nightly fuzz build -O --fuzz-dir crate/fuzz

total_ops=0
total_inputs=0
failed=0
for t in "${targets[@]}"; do
    echo "--- $t: ${seconds}s"
    log="$log_dir/$t.log"
    # JOBS processes, each with its own log, sharing the target's corpus. (libFuzzer's own
    # -fork and -jobs send each process's output to files of their own, totals included.)
    pids=()
    for j in $(seq 1 "${JOBS:-1}"); do
        BRKALLOC_FUZZ_COUNT=1 cargo +nightly fuzz run -O --fuzz-dir crate/fuzz "$t" -- \
            -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log.$j" 2>&1 &
        pids+=($!)
    done
    status=passed
    for pid in "${pids[@]}"; do
        if ! wait "$pid"; then
            status=FAILED
            failed=1
        fi
    done
    cat "$log".* >"$log"
    # Each process of the run prints its totals when it exits.
    read -r ops inputs < <(awk '/^brkalloc-fuzz: / { o += $2; i += $6 } END { print o + 0, i + 0 }' "$log")
    runs="$(awk '/^Done [0-9]+ runs/ { r += $2 } END { print r + 0 }' "$log")"
    echo "    $status: ${ops} operations checked in ${inputs} inputs (libFuzzer: ${runs:-?} runs)"
    if [ "$status" = FAILED ]; then
        grep -E "panicked|ERROR|SUMMARY|artifact" "$log" | head -20 | sed 's/^/    /'
    fi
    total_ops=$((total_ops + ops))
    total_inputs=$((total_inputs + inputs))
done
echo "total: ${total_ops} operations checked in ${total_inputs} inputs"
exit "$failed"
