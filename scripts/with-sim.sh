#!/usr/bin/env bash
# Runs a command against a fresh gw-sim on loopback:
#   scripts/with-sim.sh [gw-sim serve options --] COMMAND [ARGS...]
# Starts `gw-sim serve` (built in the debug profile), exports GW_BASE_URL,
# GW_MERCHANT, GW_API_PASSWORD (and GW_CA_BUNDLE with --tls) and a test card
# encrypted by `gw-sim terminal` (GW_P2PE_KSN, GW_P2PE_PAYLOAD,
# GW_P2PE_CARD_BIN), runs COMMAND, and stops the simulator whatever happens.
# GW_SIM names another gw-sim command: a packaged one (scripts/test-dist.sh),
# or "scripts/wine-run.sh gw-sim.exe" (scripts/test-windows.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${GW_SIM:-}" ]; then
  read -r -a sim_bin <<<"$GW_SIM"
else
  sim_bin=("${CARGO_TARGET_DIR:-$root/target}/debug/gw-sim")
  [ -x "${sim_bin[0]}" ] || cargo build --quiet --locked --manifest-path "$root/Cargo.toml" -p gw-sim
fi

serve_args=()
if [[ " $* " == *" -- "* ]]; then
  while [ "$1" != "--" ]; do serve_args+=("$1"); shift; done
  shift
fi

export GW_MERCHANT=${GW_MERCHANT:-TESTGWDEMO} GW_API_PASSWORD=${GW_API_PASSWORD:-demo-password}
work=$(mktemp -d)
"${sim_bin[@]}" serve --quiet --merchant "$GW_MERCHANT" --password "$GW_API_PASSWORD" ${serve_args[@]+"${serve_args[@]}"} >"$work/sim.out" &
sim=$!
trap 'status=$?; kill $sim 2>/dev/null; wait $sim 2>/dev/null || true; rm -rf "$work"; exit $status' EXIT
want='^http'
[[ " ${serve_args[*]:-} " == *" --tls "* || " ${serve_args[*]:-} " == *" --client-ca "* ]] && want='^ca='
for _ in $(seq 200); do grep -q "$want" "$work/sim.out" 2>/dev/null && break; sleep 0.05; done
# (A Windows gw-sim under Wine ends its lines with CRLF.)
GW_BASE_URL=$(head -n 1 "$work/sim.out" | tr -d '\r')
export GW_BASE_URL
ca=$(sed -n 's/^ca=//p' "$work/sim.out" | tr -d '\r')
[ -n "$ca" ] && export GW_CA_BUNDLE=$ca
# A Visa test card, encrypted under the public ANSI test BDK.
eval "$("${sim_bin[@]}" terminal --pan 4761739001010010 --expiry 1229 | tr -d '\r' | sed 's/^/export /')"
"$@"
