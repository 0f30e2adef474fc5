#!/usr/bin/env bash
# Installs what gw needs on a fresh Debian 12 machine with Rust (rustup)
# installed. Idempotent: installs only what is missing.
#
#   scripts/setup.sh demo   what `make demo` needs: Rust and a C compiler
#   scripts/setup.sh test   what `make test` runs (the default): the demo's
#                           needs plus valgrind, tinyproxy, g++, the ARM cross
#                           compilers and qemu, nightly Rust and cargo-fuzz,
#                           the minimum supported Rust (Cargo.toml's
#                           rust-version) and the Python test venv
#   scripts/setup.sh dist   what `make dist` needs (scripts/dist.sh): the demo's
#                           needs plus the Rust targets of every release platform,
#                           cargo-zigbuild and a venv (.venv-dist) with ziglang
#                           (zig links the Linux builds against glibc 2.17) and
#                           auditwheel, MinGW-w64, llvm (llvm-dlltool makes gw.lib),
#                           lintian, the ARM binutils, Wine, pkg-config and cmake;
#                           `test` includes it (make test builds the x86_64 artifacts)
#   scripts/setup.sh bench  what `make bench` needs (not `make test`): the demo's
#                           needs plus nginx-light, libcurl4-openssl-dev, strace,
#                           openssl, iproute2, valgrind and a bench venv
#                           (.venv-bench) with requests
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-test}
case $part in demo|test|dist|bench) ;; *) echo "usage: scripts/setup.sh [demo|test|dist|bench]" >&2; exit 2 ;; esac

command -v cargo >/dev/null || {
  echo "setup: Rust is not installed: install rustup (see the Rust website), then run this again" >&2
  exit 1
}

need_apt=()
command -v cc >/dev/null || need_apt+=(gcc libc6-dev)
command -v make >/dev/null || need_apt+=(make)
if [ "$part" = test ]; then
  command -v valgrind >/dev/null || need_apt+=(valgrind)
  command -v tinyproxy >/dev/null || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || need_apt+=(tinyproxy)
  command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
  command -v arm-linux-gnueabihf-gcc >/dev/null || need_apt+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
  command -v qemu-aarch64 >/dev/null || need_apt+=(qemu-user)
  command -v g++ >/dev/null || need_apt+=(g++)
  # TLS session resumption against a standard server (tests/transport_phases.rs);
  # openssl s_server is also the hostile matrix's renegotiating TLS 1.2 server.
  [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
  command -v openssl >/dev/null || need_apt+=(openssl)
  # gw-sim's request inspector page is tested in headless chromium (sim/tests/inspector.rs).
  command -v chromium >/dev/null || need_apt+=(chromium)
fi
# Windows (scripts/test-windows.sh, the zips): MinGW-w64, Wine (64-bit; x86 is
# built and checked only); CMake and pkg-config (the install and package tests).
if [ "$part" = test ] || [ "$part" = dist ]; then
  command -v x86_64-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64)
  command -v i686-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-i686)
  command -v wine64 >/dev/null || [ -x /usr/lib/wine/wine64 ] || need_apt+=(wine64)
  command -v cmake >/dev/null || need_apt+=(cmake)
  command -v pkg-config >/dev/null || need_apt+=(pkg-config)
  command -v file >/dev/null || need_apt+=(file)
  command -v llvm-dlltool >/dev/null || need_apt+=(llvm)
  command -v lintian >/dev/null || need_apt+=(lintian)
  command -v aarch64-linux-gnu-strip >/dev/null || need_apt+=(binutils-aarch64-linux-gnu)
  command -v arm-linux-gnueabihf-strip >/dev/null || need_apt+=(binutils-arm-linux-gnueabihf)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
fi
if [ "$part" = bench ]; then
  [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
  [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || need_apt+=(libcurl4-openssl-dev)
  command -v strace >/dev/null || need_apt+=(strace)
  command -v openssl >/dev/null || need_apt+=(openssl)
  command -v ip >/dev/null || [ -x /usr/sbin/ip ] || need_apt+=(iproute2)
  command -v valgrind >/dev/null || need_apt+=(valgrind)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
[ "$part" = demo ] && exit 0

if [ "$part" = bench ]; then
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  .venv-bench/bin/python -c 'import requests' 2>/dev/null ||
    .venv-bench/bin/pip install -q --disable-pip-version-check requests
  exit 0
fi

for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf x86_64-pc-windows-gnu i686-pc-windows-gnu; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done

# Release builds (scripts/dist.sh): zig links the Linux libraries and
# programs against glibc 2.17 (the manylinux2014 baseline). Versions pinned:
# the artifacts are reproducible only with the same tools.
command -v cargo-zigbuild >/dev/null || cargo install cargo-zigbuild --version 0.24.1 --locked --quiet
[ -x .venv-dist/bin/python ] || python3 -m venv .venv-dist
.venv-dist/bin/python -c 'import ziglang, auditwheel' 2>/dev/null ||
  .venv-dist/bin/pip install -q --disable-pip-version-check ziglang==0.17.1 auditwheel==6.8.2
[ "$part" = dist ] && exit 0

# The fuzz targets' regression run needs nightly Rust and cargo-fuzz.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
# Miri (the library's unit tests for undefined behaviour) runs on nightly too.
rustup +nightly component list --installed | grep -q '^miri' || rustup +nightly component add miri rust-src

# The library is checked with the oldest Rust it claims to support.
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import pytest, wheel' 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check pytest wheel
fi
