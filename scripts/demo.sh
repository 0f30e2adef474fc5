#!/usr/bin/env bash
# The main job end to end, with no credentials and no network: builds gw and
# gw-sim, starts gw-sim on loopback, encrypts a test card as a P2PE terminal
# would, and runs the C quick start against it (session id, then token).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo
cargo build --locked -p gw -p gw-sim
make -s -C examples-c
scripts/with-sim.sh bash -c '
  echo "gw-sim at $GW_BASE_URL (merchant $GW_MERCHANT)"
  echo "terminal: KSN $GW_P2PE_KSN, payload of ${#GW_P2PE_PAYLOAD} hex digits, BIN ${GW_P2PE_CARD_BIN:-none}"
  examples-c/build/quickstart'
