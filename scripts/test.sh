#!/usr/bin/env bash
# Every test: Rust (library, simulator, C ABI, header drift), C and C++
# examples (warnings as errors, valgrind, sanitizers), Python binding, ARM
# under qemu, Windows x64 under Wine and x86 built, install with pkg-config
# and CMake, the x86_64 release files (scripts/dist.sh --only x86_64).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

echo "== Rust: cargo test --workspace (--locked: built from the committed Cargo.lock)"
# The C ABI tests link the cdylib, which a plain `cargo test` may not write.
cargo build --locked --workspace
cargo test --locked --workspace

echo "== lints: clippy on every target, warnings are errors (the house rules are Cargo.toml's [lints])"
cargo clippy --locked --workspace --all-targets -- -D warnings

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
echo "== minimum supported Rust: the library builds with Rust $msrv (Cargo.toml rust-version)"
cargo "+$msrv" check --locked -q -p gw --lib --target-dir "${CARGO_TARGET_DIR:-target}/msrv"

echo "== exported symbols: exactly the header's functions, each under the version node GW_<abi> (GW_0.2)"
scripts/check-elf-exports.sh "${CARGO_TARGET_DIR:-target}/debug/libgw.so"

echo "== C, C++ and Python: examples, wrapper, ctypes package (valgrind, ASan+UBSan, pytest)"
scripts/test-bindings.sh

echo "== docs: the guides' commands run as written, named documents exist"
scripts/check-docs.sh

echo "== ARM kiosk terminals: cross-built, the core and the C ABI tests run under qemu against gw-sim"
for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  cargo build --locked -p gw --target "$target"
  cargo test --locked -p gw --target "$target" --lib --test ffi --test field_rules
  file -E "${CARGO_TARGET_DIR:-target}/$target/debug/libgw.so" | sed 's/,.*BuildID.*//'
  scripts/check-elf-exports.sh "${CARGO_TARGET_DIR:-target}/$target/debug/libgw.so"
done

echo "== Windows x64 and x86: built, exports checked, x64 tested under Wine against gw-sim"
scripts/test-windows.sh

echo "== fuzz targets: every seed and saved reproducer once (cargo fuzz, nightly)"
# regress.sh must fail when a target does not build (a target that is not there).
if CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}/fuzz fuzz/regress.sh no_such_target >/dev/null 2>&1; then
  echo "fuzz/regress.sh passed although the target did not build"; exit 1
fi
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}/fuzz fuzz/regress.sh

echo "== Miri: the library's unit tests (NVP codec, field rules, masking, request, response) for undefined behaviour"
# About 2 minutes building the dependencies for Miri, then 2.5 minutes of tests (the exhaustive
# logic tests with no unsafe code are ignored under Miri: they run natively above).
cargo +nightly miri test --locked -p gw --lib

echo "== install: headers, versioned shared library, static library, pkg-config, gw-sim"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT  # also when a step below fails
scripts/install.sh "$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c99 -Wall -Wextra -Werror -pedantic examples-c/quickstart.c -o "$prefix/quickstart-shared" \
  $(pkg-config --cflags --libs gw) -Wl,-rpath,"$prefix/lib"
cc -std=c99 -Wall -Wextra -Werror -pedantic examples-c/quickstart.c -o "$prefix/quickstart-static" \
  $(pkg-config --cflags --libs gw-static)
# Without an rpath, as examples-c/README.md says: the loader needs LD_LIBRARY_PATH
# (or ldconfig) for a prefix outside its search path.
cc -std=c99 -Wall -Wextra -Werror -pedantic examples-c/quickstart.c -o "$prefix/quickstart-norpath" \
  $(pkg-config --cflags --libs gw)
. scripts/version.sh
readelf -d "$prefix/quickstart-shared" | grep NEEDED | grep -F "Shared library: [libgw.so.$abi]" >/dev/null || { echo "not linked against the soname libgw.so.$abi"; exit 1; }
err=$("$prefix/quickstart-norpath" 2>&1 >/dev/null || true)
grep -qF "libgw.so.$abi: cannot open shared object file" <<<"$err" || { echo "without rpath or LD_LIBRARY_PATH: $err"; exit 1; }
! readelf -d "$prefix/quickstart-static" | grep 'libgw' >/dev/null || { echo "static build needs libgw.so"; exit 1; }
for variant in shared norpath static; do
  run=("$prefix/quickstart-$variant")
  [ "$variant" = norpath ] && run=(env LD_LIBRARY_PATH="$prefix/lib" "${run[@]}")
  out=$(scripts/with-sim.sh --tls -- "${run[@]}")
  grep -q '^session.id=SESSION0002' <<<"$out" && grep -q '^token=9' <<<"$out" || { echo "$variant: $out"; exit 1; }
  echo "ok: installed $variant quick start over HTTPS: $(tr '\n' ' ' <<<"$out")"
done
[ "$(pkg-config --modversion gw)" = "$version" ] || { echo "gw.pc says $(pkg-config --modversion gw), not $version"; exit 1; }

echo "== CMake: a project finds the installed gw (find_package(gw ${version%.*}); gw::gw, gw::gw_static)"
cmake -S tests/cmake -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DGW_WANTED="${version%.*}" \
  -DCMAKE_C_FLAGS="-std=c99 -Wall -Wextra -Werror -pedantic" >"$prefix/cmake.log" || { cat "$prefix/cmake.log"; exit 1; }
cmake --build "$prefix/cmake-build" >>"$prefix/cmake.log" || { cat "$prefix/cmake.log"; exit 1; }
readelf -d "$prefix/cmake-build/quickstart-shared" | grep -F "[libgw.so.$abi]" >/dev/null || { echo "cmake: not linked against the soname"; exit 1; }
! readelf -d "$prefix/cmake-build/quickstart-static" | grep 'libgw' >/dev/null || { echo "cmake: static build needs libgw.so"; exit 1; }
for variant in shared static; do
  out=$(scripts/with-sim.sh --tls -- "$prefix/cmake-build/quickstart-$variant")
  grep -q '^session.id=SESSION0002' <<<"$out" && grep -q '^token=9' <<<"$out" || { echo "cmake $variant: $out"; exit 1; }
done
scripts/cmake-refusals.sh "$prefix"
echo "ok: CMake gw::gw and gw::gw_static built and ran over HTTPS; another ABI or architecture is refused"

for file in include/gw.hpp bin/gw-sim lib/pkgconfig/gw-static.pc; do
  [ -e "$prefix/$file" ] || { echo "install.sh did not install $file"; exit 1; }
done

echo "== release files, x86_64: tarball, .debs and wheel built (glibc 2.17) and installed end to end"
# The other platforms are built and checked by make dist alone (scripts/dist.sh).
scripts/dist.sh --only x86_64

echo "== benchmark harness, smoke form: make bench BENCH_QUICK=1 (1 round of 50 calls per case, figures not kept)"
# The full benchmark (make bench, BENCHMARKS.md) never runs here; this keeps its harness working.
make --no-print-directory bench BENCH_QUICK=1 >"$prefix/bench.log" 2>&1 || { cat "$prefix/bench.log"; exit 1; }
echo "ok: $(grep -c ' round ' "$prefix/bench.log") benchmark runs, strace, in-process bench and report"
