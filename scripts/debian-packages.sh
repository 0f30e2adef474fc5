#!/usr/bin/env bash
# Splits an install tree (scripts/install.sh with DESTDIR, prefix /usr and
# GW_LIBDIR=lib/MULTIARCH) into gw's Debian packages, built with dpkg-deb
# (scripts/dist.sh calls this, then lintian on all of them):
#   libgw<abi>    the runtime library (named after the soname libgw.so.<abi>:
#                 libgw0.2 for gw 0.2.x, scripts/version.sh)
#   libgw-dev     gw.h, gw.hpp, libgw.so, libgw.a, pkg-config and CMake files,
#                 the man pages gw(3) and gw_*(3), and in /usr/share/doc/libgw-dev
#                 the README, CHANGELOG, docs/, examples-c/ and the HTML reference
#   gw-sim        the local gateway and gw-sim(1)
# Every package's copyright file has gw's licences and the third-party
# crates' (THIRD-PARTY-LICENSES.md: they are compiled into the binaries).
# Usage: scripts/debian-packages.sh STAGE DEBARCH MULTIARCH OUTDIR
# Deterministic: every file dated SOURCE_DATE_EPOCH, owned by root.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$1 debarch=$2 multiarch=$3 out=$4
: "${SOURCE_DATE_EPOCH:?set SOURCE_DATE_EPOCH (scripts/dist.sh does)}"
. scripts/version.sh
# Debian requires a Maintainer field with an address: whoever made the
# release commit (its author, as git has it), or GW_MAINTAINER="Name <address>"
# when someone else answers for the packages. No address is made up here.
maintainer=${GW_MAINTAINER:-$(git log -1 --format='%an <%ae>')}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lib=usr/lib/$multiarch

# package FILES...: moves FILES (paths under STAGE) into the package's tree.
take() {
  local package=$1 path; shift
  for path in "$@"; do
    mkdir -p "$work/$package/$(dirname "$path")"
    mv "$stage/$path" "$work/$package/$path"
  done
}
take "libgw$abi" "$lib/libgw.so.$version" "$lib/libgw.so.$abi"
take libgw-dev usr/include/gw.h usr/include/gw.hpp "$lib/libgw.so" "$lib/libgw.a" "$lib/pkgconfig" "$lib/cmake" \
  usr/share/man/man3 usr/share/doc/libgw-dev
take gw-sim usr/bin/gw-sim usr/share/man/man1/gw-sim.1.gz
leftover=$(cd "$stage" && find . -type f -o -type l)
[ -z "$leftover" ] || { echo "debian-packages.sh: files in no package: $leftover" >&2; exit 1; }

# What libc6 provides is all the ELF files need (scripts/dist.sh checks their
# NEEDED entries and glibc versions: 2.17 at most).
libc="libc6 (>= 2.17)"
declare -A section=([libgw$abi]=libs [libgw-dev]=libdevel [gw-sim]=devel)
declare -A depends=([libgw$abi]="$libc" [libgw-dev]="libgw$abi (= $version)" [gw-sim]="$libc")
# General words (no list of operations, which grows with every release;
# scripts/check-docs.sh refuses one here).
declare -A summary=(
  [libgw$abi]="Mastercard Gateway NVP API client library for point-of-sale software"
  [libgw-dev]="Mastercard Gateway NVP API client library (development files)"
  [gw-sim]="local Mastercard Gateway NVP API simulator for testing till software")
declare -A detail=(
  [libgw$abi]=" gw is a small library with a C ABI through which point-of-sale and kiosk
 software talks to the Mastercard Gateway (MPGS) over its NVP API: sessions,
 P2PE tokens (cards encrypted by the terminal with TDES or AES DUKPT) and
 payments. Every field is validated locally before anything is sent."
  [libgw-dev]=" The C header gw.h, the C++17 wrapper gw.hpp, the static library, the
 pkg-config (gw, gw-static) and CMake (find_package(gw): gw::gw, gw::gw_static)
 files for building till programs with gw, the manual pages gw(3) and one per
 function, and in /usr/share/doc/libgw-dev the README, the guides, the C
 examples with their Makefile and an HTML rendering of the manual."
  [gw-sim]=" gw-sim answers like the Mastercard Gateway's NVP API on the local machine,
 decrypts DUKPT payloads and injects faults, so till software using gw can be
 tried and tested with no credentials and no network.")

# The copyright file: gw's, then every third-party crate compiled in, with
# its licence text (THIRD-PARTY-LICENSES.md), as Debian's format has it.
python3 scripts/debian_copyright.py >"$work/copyright"

for package in "libgw$abi" libgw-dev gw-sim; do
  root=$work/$package
  doc=$root/usr/share/doc/$package
  mkdir -p "$doc" "$root/DEBIAN"
  install -m 644 "$work/copyright" "$doc/copyright"
  { echo "gw ($version) unstable; urgency=medium"; echo; echo "  * Release $version (CHANGELOG.md in the source)."
    echo; echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"; } | gzip -9n >"$doc/changelog.gz"
  {
    echo "Package: $package"
    echo "Version: $version"
    echo "Architecture: $debarch"
    [ "$package" = gw-sim ] || echo "Multi-Arch: same"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)"
    echo "Depends: ${depends[$package]}"
    echo "Section: ${section[$package]}"
    echo "Priority: optional"
    echo "Description: ${summary[$package]}"
    echo "${detail[$package]}"
  } >"$root/DEBIAN/control"
  if [ "$package" = "libgw$abi" ]; then
    echo "libgw $abi libgw$abi (>= $version)" >"$root/DEBIAN/shlibs"
    echo "activate-noawait ldconfig" >"$root/DEBIAN/triggers"
  fi
  (cd "$root" && find usr -type f | sort | xargs md5sum >DEBIAN/md5sums)
  find "$root" -type d -exec chmod 755 {} +
  find "$root" -type f -path '*/DEBIAN/*' -exec chmod 644 {} +
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  deb=$out/${package}_${version}_$debarch.deb
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
  echo "built $(basename "$deb")"
done
