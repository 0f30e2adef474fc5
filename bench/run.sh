#!/usr/bin/env bash
# `make bench`: gw against hand-written libcurl, a raw socket and requests,
# on one neutral loopback server, in one run. See BENCHMARKS.md.
#
#   make bench                  the full run (~10 min): writes bench/results/
#                               and the figures section of BENCHMARKS.md
#   make bench BENCH_QUICK=1    smoke form: 1 round of 50 calls per case, the
#                               debug build, results in a temporary directory
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_CALLS (20000 warm calls per
# run), BENCH_COLD_CALLS (300), BENCH_PY_CALLS (2000), BENCH_WAN_CALLS (40),
# BENCH_WAN_DELAY_MS (one way, 10), BENCH_PORT (first of the ports used,
# 18480), BENCH_OUT (results directory), BENCH_CALLGRIND=1 (also profile
# the warm HTTP call of gw and libcurl with callgrind into BENCH_OUT/profile).
#
# What runs: nginx-light (Debian) answers every POST with a fixed TOKENIZE
# answer: plain HTTP and HTTPS keep-alive, and two servers that close each
# connection (TLS 1.2 only with tickets, TLS 1.3 only), with a CA and a leaf
# made here by openssl. gw-sim (release) answers real TOKENIZE calls (DUKPT
# decrypt) and real P2PE PAY calls (decrypt, the ledger; gw only). Clients, alternating within each round (the order rotates every
# round): gw from C (bench/clients/gw_client.c), libcurl from C
# (curl_client.c), a raw socket (raw_client.c, the floor), gw from Python and
# requests.Session (py_client.py). A WAN-like link: nginx in a network
# namespace made here with `tc qdisc netem delay` on its loopback, or, where
# the kernel has no netem, bench/delay_relay.py between client and nginx.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=${BENCH_QUICK:-0}
[ "$quick" = 0 ] || quick=1
if [ "$quick" = 1 ]; then
  rounds=1 calls=50 cold_calls=50 py_calls=50 wan_calls=5 rss_calls=200 strace_calls=(20 70) profile=debug
  out=${BENCH_OUT:-}
else
  rounds=${BENCH_ROUNDS:-5} calls=${BENCH_CALLS:-20000} cold_calls=${BENCH_COLD_CALLS:-300}
  py_calls=${BENCH_PY_CALLS:-2000} wan_calls=${BENCH_WAN_CALLS:-40} rss_calls=100000
  strace_calls=(200 1200) profile=release
  out=${BENCH_OUT:-$root/bench/results}
fi
delay_ms=${BENCH_WAN_DELAY_MS:-10}
port=${BENCH_PORT:-18480}
p_http=$port p_https=$((port + 1)) p_cold12=$((port + 2)) p_cold13=$((port + 3)) p_sim=$((port + 4))
p_relay=$((port + 10))
payloads=(32 128 512 1024)
thread_counts=(1 2 4 8 16)

scripts/setup.sh bench
py=$root/.venv-bench/bin/python

echo "== build ($profile): libgw, gw-sim, the C clients"
if [ "$profile" = release ]; then
  cargo build --locked --release -p gw -p gw-sim
else
  cargo build --locked -p gw -p gw-sim
fi
target=${CARGO_TARGET_DIR:-$root/target}/$profile
lib=$target/libgw.so
work=$(mktemp -d)
[ -n "$out" ] || out=$work/results # the smoke form keeps nothing
mkdir -p "$out"
pids=()
netns=
cleanup() {
  local status=$?
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  [ -z "$netns" ] || ip netns del "$netns" 2>/dev/null || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT INT TERM

cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root/include")
# cargo writes only libgw.so; the program needs the soname's file (libgw.so.0).
link_gw() { # library-file output
  mkdir -p "$work/lib-$2"
  cp "$1" "$work/lib-$2/libgw.so"
  ln -sf libgw.so "$work/lib-$2/$(readelf -d "$1" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')"
  cc "${cflags[@]}" bench/clients/gw_client.c -o "$work/$2" -L"$work/lib-$2" -lgw -Wl,-rpath,"$work/lib-$2" -lpthread
}
link_gw "$lib" gw_client
cc "${cflags[@]}" bench/clients/curl_client.c -o "$work/curl_client" -lcurl -lpthread
cc "${cflags[@]}" bench/clients/raw_client.c -o "$work/raw_client" -lpthread

echo "== certificates: a CA and a leaf for 127.0.0.1 (webpki refuses a self-signed server certificate)"
pki=$work/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gw bench CA" -keyout "$pki/ca.key" -out "$pki/ca.pem" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$pki/leaf.key" -out "$pki/leaf.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$pki/leaf.ext"
openssl x509 -req -in "$pki/leaf.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
  -extfile "$pki/leaf.ext" -out "$pki/leaf.pem" 2>/dev/null
ca=$pki/ca.pem

# A gateway's TOKENIZE answer (as gw-sim gives it), fixed.
body='merchant=BENCH01&repositoryId=GWSIMREPO&response.gatewayCode=NO_VERIFICATION_PERFORMED&result=SUCCESS&sourceOfFunds.provided.card.brand=VISA&sourceOfFunds.provided.card.fundingMethod=CREDIT&sourceOfFunds.provided.card.number=476173xxxxxx0010&sourceOfFunds.provided.card.scheme=VISA&sourceOfFunds.type=CARD&status=VALID&token=9333969728379665&usage.lastUpdated=2026-11-30T04%3A31%3A09.679Z&usage.lastUpdatedBy=BENCH01&usage.lastUsed=2026-11-30T04%3A31%3A09.679Z&verificationStrategy=NONE'

wait_port() { # host port
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on $1:$2" >&2
  return 1
}

start_nginx() { # dir [command prefix...]
  local dir=$1
  shift
  mkdir -p "$dir"
  cp "$pki/leaf.pem" "$pki/leaf.key" "$dir/"
  sed -e "s|@WORK@|$dir|g" -e "s|@HOST@|127.0.0.1|g" -e "s|@WORKERS@|$(nproc)|" \
    -e "s|@PORT_HTTP@|$p_http|" -e "s|@PORT_HTTPS@|$p_https|" -e "s|@PORT_COLD12@|$p_cold12|" \
    -e "s|@PORT_COLD13@|$p_cold13|" -e "s|@BODY@|${body//&/\\&}|g" bench/nginx.conf.in >"$dir/nginx.conf"
  : >"$dir/cold.log"
  "$@" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" &
  pids+=($!)
}

for p in $p_http $p_https $p_cold12 $p_cold13 $p_sim $p_relay $((p_relay + 1)) $((p_relay + 2)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "bench: 127.0.0.1:$p is in use; choose other ports with BENCH_PORT (now $port)" >&2
    exit 1
  fi
done
echo "== servers: nginx on 127.0.0.1:$p_http (http) :$p_https (https) :$p_cold12 (cold TLS 1.2) :$p_cold13 (cold TLS 1.3), gw-sim on :$p_sim"
start_nginx "$work/nginx"
for p in $p_http $p_https $p_cold12 $p_cold13; do wait_port 127.0.0.1 "$p"; done
"$target/gw-sim" serve --quiet --merchant BENCH01 --password bench-password --listen "127.0.0.1:$p_sim" >"$work/sim.out" &
pids+=($!)
wait_port 127.0.0.1 "$p_sim"
eval "$("$target/gw-sim" terminal --pan 4761739001010010 --expiry 1229)"
sim_card=(--ksn "$GW_P2PE_KSN" --payload "$GW_P2PE_PAYLOAD" --bin "$GW_P2PE_CARD_BIN")

echo "== WAN link: ${delay_ms} ms each way"
wan_prefix=()
wan_log=$work/nginx-wan/cold.log
if ip netns add "gwbench$$" 2>/dev/null; then
  netns=gwbench$$
  ip netns exec "$netns" ip link set lo up
  if ip netns exec "$netns" tc qdisc add dev lo root netem delay "${delay_ms}ms" 2>/dev/null; then
    wan_how="tc netem delay ${delay_ms}ms on the loopback of network namespace $netns (nginx and clients inside)"
    wan_prefix=(ip netns exec "$netns")
    start_nginx "$work/nginx-wan" "${wan_prefix[@]}"
    for p in $p_https $p_cold12 $p_cold13; do "${wan_prefix[@]}" bash -c "$(declare -f wait_port); wait_port 127.0.0.1 $p"; done
    wan_port() { echo "$1"; }
  else
    ip netns del "$netns"
    netns=
  fi
fi
if [ ${#wan_prefix[@]} = 0 ]; then
  wan_how="no netem in this kernel: bench/delay_relay.py delays every chunk and close ${delay_ms} ms each way"
  wan_log=$work/nginx/cold.log
  for i in 0 1 2; do
    target_port=$((port + 1 + i))
    "$py" bench/delay_relay.py $((p_relay + i)) "$target_port" "$delay_ms" >"$work/relay$i.out" &
    pids+=($!)
    wait_port 127.0.0.1 $((p_relay + i))
  done
  wan_port() { echo $((p_relay + $1 - p_https)); }
fi
echo "   $wan_how"

results=$out/results.jsonl
: >"$results"
export GW_LIBRARY=$lib PYTHONPATH=$root/bindings/python/src

# run CASE CLIENT ROUND [--log FILE] -- COMMAND...: one measured run, its JSON
# line tagged with the case, client and round, and for cold TLS the number of
# handshakes after the first and how many of them nginx saw resumed.
run() {
  local case=$1 client=$2 round=$3 log=
  shift 3
  if [ "$1" = --log ]; then log=$2; shift 2; fi
  shift # --
  local before=0 json extra=
  [ -z "$log" ] || before=$(wc -l <"$log")
  if ! json=$("$@" 2>"$work/stderr" | tail -n 1) || [ "${json:0:1}" != "{" ]; then
    echo "bench: $case $client failed: $(head -c 600 "$work/stderr")" >&2
    return 1
  fi
  if [ -n "$log" ]; then
    sleep 0.2 # nginx writes the log line after closing the connection
    extra=$(tail -n +$((before + 1)) "$log" | awk '{n++; if (n > 1) {h++; if ($3 == "r") r++}} END {printf "\"handshakes_after_first\": %d, \"resumed\": %d, \"tls\": \"%s\", ", h, r, $2}')
  fi
  echo "{\"case\": \"$case\", \"client\": \"$client\", \"round\": $round, $extra${json#\{}" >>"$results"
  printf '   %-14s %-9s round %s  %s\n' "$case" "$client" "$round" "$(cut -c1-150 <<<"${json#\{}")"
}

# The command of a client, by name.
client_cmd() { # name
  case $1 in
    gw) echo "$work/gw_client" ;;
    libcurl) echo "$work/curl_client" ;;
    raw) echo "$work/raw_client" ;;
    gw-python) echo "$py bench/clients/py_client.py gw" ;;
    requests) echo "$py bench/clients/py_client.py requests" ;;
  esac
}
alternate() { # CASE ROUND [--log FILE] -- [PREFIX...] -- CLIENT...
  local case=$1 round=$2 log=() prefix=() names=()
  shift 2
  if [ "$1" = --log ]; then log=(--log "$2"); shift 2; fi
  shift
  while [ "$1" != -- ]; do prefix+=("$1"); shift; done
  shift
  names=("$@")
  local n=${#names[@]}
  for ((i = 0; i < n; i++)); do
    local name=${names[$(((i + round) % n))]}
    # shellcheck disable=SC2046
    run "$case" "$name" "$round" ${log[@]+"${log[@]}"} -- ${prefix[@]+"${prefix[@]}"} $(client_cmd "$name") "${opts[@]}"
  done
}

http=http://127.0.0.1:$p_http
https=https://127.0.0.1:$p_https
echo "== $rounds round(s)"
for ((round = 1; round <= rounds; round++)); do
  opts=(--url "$http" --calls "$calls" --warmup 200)
  alternate http-warm "$round" -- -- gw libcurl raw
  opts=(--url "$https" --ca "$ca" --calls "$calls" --warmup 200)
  alternate https-warm "$round" -- -- gw libcurl
  opts=(--url "$http" --calls "$py_calls" --warmup 50)
  alternate python-http "$round" -- -- gw-python requests
  opts=(--url "$https" --ca "$ca" --calls "$py_calls" --warmup 50)
  alternate python-https "$round" -- -- gw-python requests
  for t in "${thread_counts[@]}"; do
    opts=(--url "$http" --calls $((calls * 2)) --warmup 100 --threads "$t")
    alternate "threads-$t" "$round" -- -- gw
  done
  for size in "${payloads[@]}"; do
    payload=$(head -c $((size / 2)) /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
    opts=(--url "$http" --calls "$calls" --warmup 200 --payload "$payload")
    alternate "payload-$size" "$round" -- -- gw libcurl raw
  done
  opts=(--url "http://127.0.0.1:$p_sim" --calls $((calls / 5 + 1)) --warmup 20 "${sim_card[@]}")
  alternate gw-sim-http "$round" -- -- gw libcurl
  # A warm card-present sale beside TOKENIZE: a P2PE PAY (API version 100) of a new order each call, on gw-sim's ledger.
  opts=(--url "http://127.0.0.1:$p_sim" --calls $((calls / 5 + 1)) --warmup 20 "${sim_card[@]}" --op pay)
  alternate gw-sim-pay "$round" -- -- gw
  for v in 12 13; do
    p=$([ $v = 12 ] && echo "$p_cold12" || echo "$p_cold13")
    opts=(--url "https://127.0.0.1:$p" --ca "$ca" --calls "$cold_calls" --warmup 1)
    alternate "cold-tls$v" "$round" --log "$work/nginx/cold.log" -- -- gw libcurl
    opts=(--url "https://127.0.0.1:$(wan_port "$p")" --ca "$ca" --calls "$wan_calls" --warmup 1)
    alternate "wan-cold-tls$v" "$round" --log "$wan_log" -- "${wan_prefix[@]}" -- gw libcurl
  done
  opts=(--url "https://127.0.0.1:$(wan_port "$p_https")" --ca "$ca" --calls "$wan_calls" --warmup 5)
  alternate wan-https-warm "$round" -- "${wan_prefix[@]}" -- gw libcurl
done

echo "== RSS over $rss_calls calls (gw, keep-alive HTTP)"
opts=(--url "$http" --calls "$rss_calls" --warmup 1000)
alternate rss "$rss_calls" -- -- gw

echo "== system calls per call: strace -c -f, ${strace_calls[1]} calls minus ${strace_calls[0]} (start-up cancels out)"
mkdir -p "$out/strace"
rm -f "$out/strace/"*.txt
trace() { # case client options...
  local case=$1 name=$2
  shift 2
  for n in "${strace_calls[@]}"; do
    # shellcheck disable=SC2046
    strace -f -c -o "$out/strace/$case.$name.$n.txt" $(client_cmd "$name") "$@" --calls "$n" --warmup 20 >/dev/null
  done
}
for name in gw libcurl raw; do trace http-warm $name --url "$http"; done
for name in gw libcurl; do trace https-warm $name --url "$https" --ca "$ca"; done
for name in gw-python requests; do trace python-http $name --url "$http"; done
for v in 12 13; do
  p=$([ $v = 12 ] && echo "$p_cold12" || echo "$p_cold13")
  for name in gw libcurl; do trace "cold-tls$v" $name --url "https://127.0.0.1:$p" --ca "$ca"; done
done

echo "== heap allocations per call: valgrind's heap summary, the same two run lengths"
: >"$out/heap.jsonl"
for name in gw libcurl raw; do
  for n in "${strace_calls[@]}"; do
    # shellcheck disable=SC2046
    summary=$(valgrind $(client_cmd "$name") --url "$http" --calls "$n" --warmup 20 2>&1 >/dev/null |
      grep 'total heap usage' | tr -d ,)
    allocs=$(awk '{for (i = 2; i <= NF; i++) if ($i == "allocs") print $(i - 1)}' <<<"$summary")
    bytes=$(awk '{for (i = 2; i <= NF; i++) if ($i == "bytes") print $(i - 1)}' <<<"$summary")
    echo "{\"client\": \"$name\", \"calls\": $n, \"allocs\": $allocs, \"bytes\": $bytes}" >>"$out/heap.jsonl"
  done
done

echo "== in-process: validate + encode + decode (cargo bench --bench throughput, no network)"
: >"$out/inprocess.jsonl" # the bench appends
if [ "$quick" = 1 ]; then
  GW_BENCH_QUICK=1 GW_BENCH_JSON="$out/inprocess.jsonl" cargo bench --locked --bench throughput --profile dev
else
  GW_BENCH_JSON="$out/inprocess.jsonl" cargo bench --locked --bench throughput
fi

if [ "${BENCH_CALLGRIND:-0}" = 1 ]; then
  echo "== callgrind: the warm HTTP call of gw and libcurl (symbols from an unstripped release build)"
  mkdir -p "$out/profile"
  CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    cargo build --locked --release -p gw --target-dir "$root/target/profile"
  link_gw "$root/target/profile/release/libgw.so" gw_client_sym
  for name in gw_client_sym curl_client; do
    # Only inside client_call: the calls, not start-up (2,020 of them).
    valgrind --tool=callgrind --toggle-collect=client_call --callgrind-out-file="$work/$name.cg" "$work/$name" \
      --url "$http" --calls 2000 --warmup 20 >/dev/null 2>&1
  done
  echo "   and the in-process path (benches/throughput.rs, GW_BENCH_QUICK=1)"
  CARGO_PROFILE_BENCH_STRIP=none CARGO_PROFILE_BENCH_DEBUG=line-tables-only \
    cargo bench --locked --no-run --bench throughput --target-dir "$root/target/profile" 2>"$work/bench-build.log"
  exe=$(sed -n 's/.*Executable .*(\(.*\))$/\1/p' "$work/bench-build.log")
  # Only inside the in-process call (benches/throughput.rs `in_process`, all payloads), not gw-sim's start-up.
  GW_BENCH_QUICK=1 valgrind --tool=callgrind --toggle-collect='throughput::in_process' \
    --callgrind-out-file="$work/inprocess.cg" "$exe" >/dev/null 2>&1
  # Paths shortened: the crate sources' directory is named after the
  # registry's host, which nothing in this repository may carry.
  shorten() { sed -e "s|[^ ]*/registry/src/[^/]*/|<crates>/|g" -e "s|$root/||g" -e "s|$work/||g" -e "s|/rustc/[0-9a-f]*/|<rust>/|g"; }
  for name in gw_client_sym curl_client inprocess; do
    for inclusive in no yes; do
      # The first 150 lines: the totals and every function down to about
      # 0.15% of the call (the whole listing runs to 1,700 lines).
      callgrind_annotate --auto=no --threshold=100 --inclusive=$inclusive "$work/$name.cg" 2>/dev/null |
        shorten | sed -n 1,150p >"$out/profile/$name.inclusive-$inclusive.txt"
    done
  done
  # Where gw's instructions go, by part of the call: from the whole caller
  # tree (every function, who calls it and what that cost), summed here.
  callgrind_annotate --auto=no --threshold=100 --inclusive=no --tree=caller "$work/gw_client_sym.cg" 2>/dev/null |
    shorten >"$work/gw_client_sym.tree"
  "$py" bench/report.py --parts "$work/gw_client_sym.tree" 2020 "$out/profile/gw_client_sym.parts.json"
fi

so_bytes=$(stat -c %s "$lib")
cp "$lib" "$work/libgw.stripped.so"
strip --strip-all "$work/libgw.stripped.so"
cat >"$out/machine.json" <<EOF
{"profile": "$profile", "quick": $quick, "rounds": $rounds, "calls": $calls, "cold_calls": $cold_calls,
 "py_calls": $py_calls, "wan_calls": $wan_calls, "wan_delay_ms": $delay_ms, "wan_how": "$wan_how",
 "so_bytes": $so_bytes, "so_stripped_all_bytes": $(stat -c %s "$work/libgw.stripped.so"),
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)", "cores": $(nproc),
 "kernel": "$(uname -r)", "os": "$(. /etc/os-release && echo "$PRETTY_NAME")",
 "nginx": "$(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2)", "curl": "$(curl-config --version 2>/dev/null || echo ?)",
 "rustc": "$(rustc --version)", "cc": "$(cc --version | head -n 1)", "python": "$($py --version)",
 "requests": "$($py -c 'import requests; print(requests.__version__)')",
 "date": "$(date -u +%Y-%m-%dT%H:%MZ)", "uptime": "$(uptime | sed 's/^ *//')",
 "commit": "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo +changes)"}
EOF

echo "== report"
# Only the default full run rewrites BENCHMARKS.md's figures.
if [ "$quick" = 0 ] && [ "$out" = "$root/bench/results" ]; then
  "$py" bench/report.py "$out" "$root/BENCHMARKS.md"
else
  "$py" bench/report.py "$out" "$out/BENCHMARKS.md"
fi
