#!/usr/bin/env bash
# Installs what gw's build, demo and tests need on a fresh Debian 12 machine
# with Rust (rustup) installed. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v tinyproxy >/dev/null || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || need_apt+=(tinyproxy)
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need_apt+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
command -v qemu-aarch64 >/dev/null || need_apt+=(qemu-user)
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
command -v file >/dev/null || need_apt+=(file)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# --- Windows tests (scripts/test-windows.sh): MinGW-w64 cross compilers,
# Wine (64-bit; x86 is built and checked only), CMake (the CMake package test).
command -v x86_64-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64)
command -v i686-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-i686)
command -v wine64 >/dev/null || [ -x /usr/lib/wine/wine64 ] || need_apt+=(wine64)
command -v cmake >/dev/null || need_apt+=(cmake)
# --- end of the Windows tests' packages
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
# --- Windows tests: the MinGW Rust targets
for target in x86_64-pc-windows-gnu i686-pc-windows-gnu; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
# --- end of the Windows tests' targets

# The fuzz targets' regression run needs nightly Rust and cargo-fuzz.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import pytest, wheel' 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check pytest wheel
fi
