#!/usr/bin/env bash
# The main job end to end, with no credentials and no network: builds gw and
# gw-sim, starts gw-sim on loopback, encrypts a test card as a P2PE terminal
# would, and runs the C quick start against it (session id, then token).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build -p gw -p gw-sim
make -s -C examples-c

target=${CARGO_TARGET_DIR:-target}/debug
work=$(mktemp -d)
"$target/gw-sim" serve --merchant TESTGWDEMO --password demo-password >"$work/sim.out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/sim.out" ] && break; sleep 0.05; done
export GW_BASE_URL=$(head -n 1 "$work/sim.out")
export GW_MERCHANT=TESTGWDEMO GW_API_PASSWORD=demo-password
echo "gw-sim at $GW_BASE_URL"

# A Visa test card, encrypted under the public ANSI test BDK.
eval "$("$target/gw-sim" terminal --pan 4761739001010010 --expiry 1229 | sed 's/^/export /')"
echo "terminal: KSN=$GW_P2PE_KSN, payload of ${#GW_P2PE_PAYLOAD} hex digits, BIN ${GW_P2PE_CARD_BIN:-none}"
examples-c/build/quickstart
