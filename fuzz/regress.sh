#!/usr/bin/env bash
# Runs every fuzz target once over its seeds and saved reproducers
# (libFuzzer -runs=0: each input executed once, no fuzzing). A quick check
# for CI; exits non-zero when a target does not build or any input
# crashes a target.
#
#   fuzz/regress.sh            # all targets
#   fuzz/regress.sh nvp_decode # some targets
#
# Needs nightly Rust and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# Build output goes to $CARGO_TARGET_DIR (default: fuzz/target).
set -euo pipefail
cd "$(dirname "$0")"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-+nightly}"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(nvp_decode response_from_http rules_check sim_request dukpt_decrypt)
fi
# A target that does not build fails the run: "0 inputs crashed" would
# otherwise be reported for a harness that never ran.
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
for t in "${targets[@]}"; do
    if ! cargo "$TOOLCHAIN" fuzz build "$t" >"$build_log" 2>&1; then
        grep -E '^error' -A12 "$build_log" || tail -n 40 "$build_log"
        echo "regress: $t: BUILD FAILED"
        exit 1
    fi
    grep -E '^warning: unused' "$build_log" || true
done
failed=()
for t in "${targets[@]}"; do
    dirs=()
    for d in "seeds/$t" "regressions/$t"; do
        if [[ -d "$d" ]] && [[ -n "$(ls -A "$d")" ]]; then dirs+=("$d"); fi
    done
    if [[ ${#dirs[@]} -eq 0 ]]; then
        echo "regress: $t: no inputs"
        continue
    fi
    n=$(find "${dirs[@]}" -type f | wc -l)
    # -runs=0 on directories: every file is executed once, nothing is written.
    if cargo "$TOOLCHAIN" fuzz run "$t" "${dirs[@]}" -- -runs=0 >"/tmp/regress-$t.log" 2>&1; then
        echo "regress: $t: ok ($n inputs)"
    else
        echo "regress: $t: FAILED ($n inputs), see /tmp/regress-$t.log"
        failed+=("$t")
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "regress: failing targets: ${failed[*]}"
    exit 1
fi
