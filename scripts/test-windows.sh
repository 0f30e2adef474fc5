#!/usr/bin/env bash
# Windows tills, tested on Linux (called by scripts/test.sh; runs alone after
# scripts/setup.sh):
#   1. x64 and x86 built and packaged as `make windows` does (debug profile
#      here, for speed): gw.dll linked by rust-lld with gw.pdb (checked by
#      scripts/check-pdb.sh, x86's unwind tables by scripts/check_eh_frame.py),
#      libgw.dll.a, gw.def, libgw.a, gw.h;
#   2. both DLLs export exactly the header's functions, undecorated, and
#      carry gw's version in their version resource;
#   3. x86: a C caller built with -mrtd (stdcall by default) links and still
#      calls gw as __cdecl (GW_CALL); 32-bit programs cannot run here;
#   4. x64 under Wine: the Rust unit, C-ABI, TLS, field-rule and secrets
#      tests (cargo test with Wine as the runner), and the C examples cross-built with MinGW against gw-sim on
#      the host's loopback, over HTTP and HTTPS (GW_CA_BUNDLE), with the error
#      matrix of examples-c/errors.c; the quick start linked statically
#      (GW_STATIC, libgw.a).
# With --sim-exe X64-DIR/gw-sim.exe TREE X86-DIR (scripts/dist.sh): the
# release gw.lib linked and the release gw-sim.exe under Wine instead, see below.
# Wine 8 lacks bcryptprimitives.dll (ProcessPrng, which Rust's standard library
# imports): tests/windows/bcryptprimitives.c, a test-only stand-in, is put next
# to each test executable. Never shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
export CARGO_TARGET_DIR=$target
sim_bin=$target/debug/gw-sim
# The libraries libgw.a needs on Windows, from
#   cargo rustc -p gw --lib --crate-type staticlib --target x86_64-pc-windows-gnu -- --print native-static-libs
# (also in docs/windows.md; the static link below fails when it goes stale).
WINDOWS_STATIC_LIBS="-lbcrypt -ladvapi32 -lkernel32 -lntdll -luserenv -lws2_32 -ldbghelp"

# fail, expect, check_c_examples (shared with scripts/test-bindings.sh).
. scripts/c-examples-check.sh

# Inner mode, run by scripts/with-sim.sh below: the C examples' checks
# against the gw-sim it started (GW_BASE_URL, GW_P2PE_*, GW_CA_BUNDLE with --tls).
if [ "${1:-}" = --check-examples ]; then
  work=$GW_WINDOWS_WORK
  export GW_P2PE_IV=${GW_P2PE_IV:-}  # with-sim.sh's card has none
  "$sim_bin" terminal --pan 5123450000000008 >"$work/mastercard.env"
  secrets=("$GW_API_PASSWORD" "$GW_P2PE_PAYLOAD" "$(sed -n 's/^GW_P2PE_PAYLOAD=//p' "$work/mastercard.env")" 4761739001010010 5123450000000008)
  # The Windows C runtime ends lines with CRLF; the checks expect LF.
  wine_lf() {
    local status=0
    scripts/wine-run.sh "$@" >"$work/wine.out" 2>"$work/wine.err" || status=$?
    tr -d '\r' <"$work/wine.out"
    tr -d '\r' <"$work/wine.err" >&2
    return $status
  }
  check_c_examples "$2" "$3" wine_lf
  exit 0
fi

# The test-only ProcessPrng stand-in (for scripts/wine-run.sh) and a Wine prefix.
wine_setup() {
  mkdir -p "$target/windows-test"
  export GW_WINE_STANDIN=$target/windows-test/bcryptprimitives.dll
  x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -O2 -shared -s tests/windows/bcryptprimitives.c \
    -o "$GW_WINE_STANDIN" -ladvapi32
  export WINEPREFIX=$target/windows-test/wine-prefix WINEDEBUG=-all
}

# gw.lib as MSVC users link it: tests/windows/msvc_link.c compiled for the
# MSVC ABI (zig's clang) and linked by lld-link (Rust's rust-lld) with no C
# runtime against gw.lib alone; x64 also runs under Wine and prints gw's version.
#   msvc_link_check DIR (the x64 files) DIR (the x86 files)
msvc_link_check() {
  local x64=$1 x86=$2 lld zig arch dir triple machine out
  lld=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld
  zig=("$root/.venv-dist/bin/python" -m ziglang cc)
  for arch in x64 x86; do
    case $arch in
      x64) dir=$x64 triple=x86_64-windows-msvc machine=x64 ;;
      x86) dir=$x86 triple=x86-windows-msvc machine=x86 ;;
    esac
    out=$work/msvc-$arch
    mkdir -p "$out"
    # kernel32's import library for the three Win32 calls (x86: __stdcall names).
    if [ $arch = x64 ]; then
      printf 'LIBRARY kernel32.dll\nEXPORTS\n GetStdHandle\n WriteFile\n ExitProcess\n' >"$out/kernel32.def"
      llvm-dlltool -m i386:x86-64 -d "$out/kernel32.def" -l "$out/kernel32.lib"
    else
      printf 'LIBRARY kernel32.dll\nEXPORTS\n GetStdHandle@4\n WriteFile@20\n ExitProcess@4\n' >"$out/kernel32.def"
      llvm-dlltool -m i386 -k -d "$out/kernel32.def" -l "$out/kernel32.lib"
    fi
    "${zig[@]}" -target "$triple" -c -I"$dir" -ffreestanding -fno-stack-protector -O1 tests/windows/msvc_link.c \
      -o "$out/msvc_link.obj"
    "$lld" -flavor link /nologo /machine:$machine /entry:start /subsystem:console /nodefaultlib /safeseh:no \
      /out:"$out/msvc_link.exe" "$out/msvc_link.obj" "$dir/gw.lib" "$out/kernel32.lib" \
      || fail "$arch: lld-link could not link against gw.lib"
    x86_64-w64-mingw32-objdump -p "$out/msvc_link.exe" | grep -q 'DLL Name: gw.dll' || fail "$arch: msvc_link.exe does not import gw.dll"
  done
  cp "$x64/gw.dll" "$work/msvc-x64/"
  [ "$(scripts/wine-run.sh "$work/msvc-x64/msvc_link.exe")" = "$version" ] \
    || fail "x64: msvc_link.exe (lld-link, gw.lib) did not print gw's version under Wine"
  echo "ok: gw.lib: x64 and x86 programs linked by lld-link (MSVC-compatible) with gw.lib; x64 ran under Wine: $version"
}

# Release mode, run by scripts/dist.sh: the shipped x64 gw-sim.exe serves
# under Wine (HTTP and HTTPS), and the Linux quick start, built against the
# release tarball's tree, tokenizes against it.
if [ "${1:-}" = --sim-exe ]; then
  sim_exe=$2 tree=$3
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  wine_setup
  msvc_link_check "$(dirname "$sim_exe")" "$4"
  # A copy: wine-run.sh puts the stand-in next to the program, never into the release tree.
  cp "$sim_exe" "$work/gw-sim.exe"
  # GW_SIM is split on spaces (scripts/with-sim.sh): a link from a path without one.
  ln -s "$root/scripts/wine-run.sh" "$work/wine-run.sh"
  cc -std=c99 -Wall -Wextra -Werror -pedantic examples-c/quickstart.c -o "$work/quickstart" \
    -I"$tree/include" -L"$tree/lib" -lgw -Wl,-rpath,"$tree/lib"
  # HTTPS: the CA is written where both sides read it (Wine maps / to drive Z:).
  for scheme in HTTP HTTPS; do
    serve=()
    [ $scheme = HTTP ] || serve=(--tls --ca-out "$work/ca.pem")
    out=$(GW_SIM="$work/wine-run.sh $work/gw-sim.exe" scripts/with-sim.sh ${serve[@]+"${serve[@]}"} -- \
      "$work/quickstart") || fail "gw-sim.exe over $scheme: $out"
    grep -q '^session.id=SESSION0002' <<<"$out" && grep -q '^token=9' <<<"$out" || fail "gw-sim.exe over $scheme: $out"
    echo "ok: gw-sim.exe under Wine over $scheme, the Linux quick start: $(tr '\n' ' ' <<<"$out")"
  done
  exit 0
fi

started=$(date +%s)
step() { echo "== windows: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
scripts/header-functions.sh >"$work/header.txt"

step "x64 and x86: scripts/build-windows.sh --debug (gw.dll, gw.pdb, libgw.dll.a, gw.def, libgw.a, gw.h)"
cargo build -q --locked -p gw-sim
scripts/build-windows.sh --debug "$work/dist"

for arch in x64 x86; do
  dll=$work/dist/$arch/gw.dll
  objdump -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/s/^\s*\[ *[0-9]*\] //p' | sort >"$work/exports-$arch.txt"
  diff "$work/header.txt" "$work/exports-$arch.txt" >"$work/exports-$arch.diff" \
    || { cat "$work/exports-$arch.diff"; fail "$arch: gw.dll exports differ from the header's functions (< header, > DLL)"; }
  sed -n '/^EXPORTS$/,$p' "$work/dist/$arch/gw.def" | tail -n +2 | tr -d ' ' | diff -q "$work/header.txt" - >/dev/null \
    || fail "$arch: gw.def does not list the header's functions"
  for key in FileVersion ProductVersion; do
    [ "$(strings -el "$dll" | grep -A1 -x "$key" | tail -n 1)" = "$version" ] || fail "$arch: $key of gw.dll is not $version"
  done
  echo "ok: $arch gw.dll exports the header's $(wc -l <"$work/header.txt") functions, undecorated; version resource $version"
done

step "x86: a -mrtd (stdcall by default) C caller links against libgw.dll.a and keeps __cdecl"
i686-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -mrtd -Iinclude tests/windows/x86_caller.c \
  -o "$work/x86_caller.exe" -L"$work/dist/x86" -lgw
i686-w64-mingw32-objdump -p "$work/x86_caller.exe" | grep 'DLL Name: gw.dll' >/dev/null || fail "x86 caller does not import gw.dll"
echo "ok: x86 caller built (not run: no 32-bit Wine here)"

step "x64 under Wine: the stand-in bcryptprimitives.dll, a Wine prefix"
wine_setup
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=$root/scripts/wine-run.sh

step "gw.lib with an MSVC-compatible linker (lld-link), x64 run under Wine"
msvc_link_check "$work/dist/x64" "$work/dist/x86"

step "x64 under Wine: cargo test --lib --test ffi --test transport_tls --test field_rules --test secrets (gw-sim in the test process)"
cargo test -q --locked -p gw --target x86_64-pc-windows-gnu --lib --test ffi --test transport_tls --test field_rules --test secrets

step "x64 under Wine: the C examples (MinGW, -Werror) against gw-sim on the host's loopback"
examples=$work/examples-x64
mkdir -p "$examples"
cp "$work/dist/x64/gw.dll" "$GW_WINE_STANDIN" "$examples/"
for example in quickstart create_session tokenize_p2pe token_lifecycle pay_p2pe threads errors; do
  x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -O1 -I"$work/dist/x64" "examples-c/$example.c" \
    -o "$examples/$example.exe" -L"$work/dist/x64" -lgw -pthread -static-libgcc -Wl,-Bstatic -lwinpthread -Wl,-Bdynamic
done
x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -O1 -DGW_STATIC -I"$work/dist/x64" examples-c/quickstart.c \
  -o "$examples/quickstart-static.exe" "$work/dist/x64/libgw.a" $WINDOWS_STATIC_LIBS -static-libgcc
! x86_64-w64-mingw32-objdump -p "$examples/quickstart-static.exe" | grep 'DLL Name: gw.dll' >/dev/null || fail "quickstart-static imports gw.dll"
export GW_WINDOWS_WORK=$work
GW_CLOSED_URL=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export GW_CLOSED_URL
scripts/with-sim.sh -- "$0" --check-examples "$examples" wine-http
scripts/with-sim.sh --tls -- "$0" --check-examples "$examples" wine-https

# Without the CA bundle the generated CA is refused (GW_ERR_TLS): the bundle is what made HTTPS work.
if scripts/with-sim.sh --tls -- env -u GW_CA_BUNDLE GW_RETRIES=0 scripts/wine-run.sh "$examples/create_session.exe" \
  >"$work/tls-bad.out" 2>"$work/tls-bad.err"; then
  fail "create_session.exe trusted gw-sim's certificate without GW_CA_BUNDLE"
fi
grep -q 'GW_ERR_TLS (7)' "$work/tls-bad.err" || { cat "$work/tls-bad.err"; fail "no GW_ERR_TLS without GW_CA_BUNDLE"; }
scripts/with-sim.sh --tls -- scripts/wine-run.sh "$examples/quickstart-static.exe" >"$work/static.out"
grep -Eq '^session\.id=SESSION0002' "$work/static.out" && grep -Eq '^token=9' "$work/static.out" \
  || { cat "$work/static.out"; fail "quickstart-static.exe over HTTPS"; }
echo "ok: HTTPS needs GW_CA_BUNDLE (GW_ERR_TLS without); quickstart-static.exe (GW_STATIC, libgw.a) over HTTPS"

step "x64 under Wine: GW_TRUST_SYSTEM uses the Windows certificate store (tests/windows/trust_system.c)"
x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -I"$work/dist/x64" tests/windows/trust_system.c \
  -o "$examples/trust_system.exe" -L"$work/dist/x64" -lgw -lcrypt32
scripts/with-sim.sh --tls -- scripts/wine-run.sh "$examples/trust_system.exe" | tr -d '\r' >"$work/trust.out" \
  || { cat "$work/trust.out"; fail "GW_TRUST_SYSTEM accepted gw-sim's CA before it was in the store"; }
# Under Wine 8 the store's answer is a revocation failure even for a trusted
# root (docs/windows.md); on Windows the second call succeeds.
sed -n 3p "$work/trust.out" | grep -Eq 'GW_TRUST_SYSTEM: (GW_OK|GW_ERR_TLS: .*OS Error -2146762482)' \
  || { cat "$work/trust.out"; fail "GW_TRUST_SYSTEM with the CA in the Root store: not what docs/windows.md says"; }
echo "ok: GW_TRUST_SYSTEM refuses an unknown CA through the Windows store; with it in Root: $(sed -n 3p "$work/trust.out" | cut -c1-60)"

echo "ok: windows tested in $(( $(date +%s) - started )) s"
