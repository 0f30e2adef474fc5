# Sourced by the build scripts: gw's version facts, all from Cargo.toml's
# version (the one source; tests/version.rs checks the rest agree).
#   version  e.g. 0.2.0
#   major, minor
#   abi      what a program linked against gw depends on: the major version
#            from 1.0 on, "0.MINOR" before (a 0.x minor version may break the
#            ABI: docs/release.md, "Versions and the soname"). It names the
#            soname libgw.so.$abi, the ELF version node GW_$abi and the Debian
#            runtime package libgw$abi; build.rs computes the same.
# Usage: . scripts/version.sh   (from the repository's root)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
if [ "$major" = 0 ]; then abi=0.$minor; else abi=$major; fi
