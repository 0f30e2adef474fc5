#!/usr/bin/env bash
# Splits an install tree (scripts/install.sh with DESTDIR, prefix /usr and
# GW_LIBDIR=lib/MULTIARCH) into gw's Debian packages, built with dpkg-deb
# (scripts/dist.sh calls this, then lintian on all of them):
#   libgw<major>  the runtime library (the package is named after the soname)
#   libgw-dev     gw.h, gw.hpp, libgw.so, libgw.a, pkg-config and CMake files
#   gw-sim        the local gateway
# Usage: scripts/debian-packages.sh STAGE DEBARCH MULTIARCH OUTDIR
# Deterministic: every file dated SOURCE_DATE_EPOCH, owned by root.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$1 debarch=$2 multiarch=$3 out=$4
: "${SOURCE_DATE_EPOCH:?set SOURCE_DATE_EPOCH (scripts/dist.sh does)}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
maintainer="gw maintainers <maintainers@users.noreply.r-seed-e6a416d6.example>"
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
take "libgw$major" "$lib/libgw.so.$version" "$lib/libgw.so.$major"
take libgw-dev usr/include/gw.h usr/include/gw.hpp "$lib/libgw.so" "$lib/libgw.a" "$lib/pkgconfig" "$lib/cmake"
take gw-sim usr/bin/gw-sim
leftover=$(cd "$stage" && find . -type f -o -type l)
[ -z "$leftover" ] || { echo "debian-packages.sh: files in no package: $leftover" >&2; exit 1; }

# What libc6 provides is all the ELF files need (scripts/dist.sh checks their
# NEEDED entries and glibc versions: 2.17 at most).
libc="libc6 (>= 2.17)"
declare -A section=([libgw$major]=libs [libgw-dev]=libdevel [gw-sim]=devel)
declare -A depends=([libgw$major]="$libc" [libgw-dev]="libgw$major (= $version)" [gw-sim]="$libc")
declare -A summary=(
  [libgw$major]="Mastercard Gateway NVP client library for point-of-sale software"
  [libgw-dev]="Mastercard Gateway NVP client library (development files)"
  [gw-sim]="local Mastercard Gateway NVP simulator for testing point-of-sale software")
declare -A detail=(
  [libgw$major]=" gw is a small library with a C ABI through which point-of-sale and kiosk
 software talks to the Mastercard Gateway (MPGS) over its NVP API: payment
 sessions (CREATE_SESSION) and tokenization of cards encrypted by a P2PE
 terminal (TOKENIZE with TDES or AES DUKPT). Every field is validated locally
 before anything is sent."
  [libgw-dev]=" The C header gw.h, the C++17 wrapper gw.hpp, the static library, and the
 pkg-config (gw, gw-static) and CMake (find_package(gw): gw::gw, gw::gw_static)
 files for building till programs with gw."
  [gw-sim]=" gw-sim answers like the Mastercard Gateway's NVP API on the local machine,
 decrypts DUKPT payloads and injects faults, so till software using gw can be
 tried and tested with no credentials and no network.")

for package in "libgw$major" libgw-dev gw-sim; do
  root=$work/$package
  doc=$root/usr/share/doc/$package
  mkdir -p "$doc" "$root/DEBIAN"
  install -m 644 packaging/debian/copyright "$doc/copyright"
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
  if [ "$package" = "libgw$major" ]; then
    echo "libgw $major libgw$major (>= $version)" >"$root/DEBIAN/shlibs"
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
