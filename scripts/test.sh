#!/usr/bin/env bash
# Every test: Rust (library, simulator, C ABI, header drift), C and C++
# examples (warnings as errors, valgrind, sanitizers), Python binding.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== Rust: cargo test --workspace"
# The C ABI tests link the cdylib, which a plain `cargo test` may not write.
cargo build --workspace --locked
cargo test --workspace --locked

echo "== exported symbols: only gw_*"
lib=${CARGO_TARGET_DIR:-target}/debug/libgw.so
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^gw_' || true)
if [ -n "$bad" ]; then echo "non-gw symbols exported:"; echo "$bad"; exit 1; fi
echo "ok: $(nm -D --defined-only "$lib" | grep -c ' T gw_') gw_ functions exported"

echo "== ARM kiosk terminals: cross-built, the core and the C ABI tests run under qemu against gw-sim"
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  cargo test --locked -p gw --target "$target" --lib --test ffi --test field_rules
  file "${CARGO_TARGET_DIR:-target}/$target/debug/libgw.so" | sed 's/,.*BuildID.*//'
done
