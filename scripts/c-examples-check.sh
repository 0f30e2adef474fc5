# The checks of the C examples' output, shared by scripts/test-bindings.sh
# (native: plain, valgrind, sanitizers) and scripts/test-windows.sh (the
# examples cross-built with MinGW, under Wine). Sourced, not run. The caller
# sets `work` (a scratch directory holding mastercard.env, a card of
# `gw-sim terminal` without IV), `secrets` (what must appear in no output),
# the GW_* environment of example_config.h (GW_P2PE_* the Visa card) and
# GW_CLOSED_URL (a loopback URL nothing listens on).
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect FILE REGEX...: every extended regex matches a line of FILE.
expect() {
  local file=$1; shift
  for pattern in "$@"; do
    grep -Eq -- "$pattern" "$file" || { echo "--- $file:"; cat "$file"; fail "no line matching /$pattern/ in $(basename "$file")"; }
  done
}

# no_secrets FILE...: neither the password nor card data in any output.
no_secrets() {
  for file in "$@"; do
    for secret in "${secrets[@]}"; do
      if grep -qF -- "$secret" "$file"; then fail "$(basename "$file") contains a secret (password or card data)"; fi
    done
  done
}

SESSION='session\.id=SESSION0002[0-9A-Z]{20}'
TOKEN='token=9[0-9]{15}'

# check_c_examples DIR LABEL [RUNNER...]: runs every C example of DIR (under RUNNER) and checks its output.
check_c_examples() {
  local dir=$1 label=$2; shift 2
  local out=$work/$label
  mkdir -p "$out"
  run() { local name=$1; shift; "$@" >"$out/$name.out" 2>"$out/$name.err" || { cat "$out/$name.err"; fail "$label: $name exited with $?"; }; }
  run quickstart "$@" "$dir/quickstart"
  expect "$out/quickstart.out" "^$SESSION$" "^$TOKEN$" '^card=VISA 476173xxxxxx0010$'
  run create_session "$@" "$dir/create_session"
  expect "$out/create_session.out" "^$SESSION$" '^session\.version=[0-9a-f]{10}$' 'session\.updateStatus=NO_UPDATE' '^HTTP 200 in [0-9]+ ms'
  run tokenize_args "$@" "$dir/tokenize_p2pe" "$GW_P2PE_KSN" "$GW_P2PE_PAYLOAD" "$GW_P2PE_IV" "$GW_P2PE_CARD_BIN"
  expect "$out/tokenize_args.out" "^$TOKEN$" '^status=VALID$' '^card=VISA 476173xxxxxx0010$' '^correlationId=till-1/sale-1$'
  CORRELATION_ID=till-9/sale-77 run tokenize_file "$@" "$dir/tokenize_p2pe" "$work/mastercard.env"
  expect "$out/tokenize_file.out" "^$TOKEN$" '^card=MASTERCARD 512345xxxxxx0008$' '^correlationId=till-9/sale-77$'
  run tokenize_stdin "$@" "$dir/tokenize_p2pe" - <"$work/mastercard.env"
  expect "$out/tokenize_stdin.out" "^$TOKEN$"
  if "$@" "$dir/tokenize_p2pe" 0123 "$GW_P2PE_PAYLOAD" >"$out/tokenize_bad.out" 2>"$out/tokenize_bad.err"; then
    fail "$label: tokenize_p2pe accepted a 4-digit KSN"
  fi
  expect "$out/tokenize_bad.err" 'GW_ERR_INVALID_FIELD \(3\)' 'field: sourceOfFunds\.provided\.card\.p2pe\.keySerialNumber'
  run token_lifecycle "$@" "$dir/token_lifecycle" "$GW_P2PE_KSN" "$GW_P2PE_PAYLOAD" "$GW_P2PE_IV" "$GW_P2PE_CARD_BIN"
  expect "$out/token_lifecycle.out" '^gateway=OPERATING ' "^$TOKEN$" '^retrieved status=VALID card=476173xxxxxx0010$' \
    '^deleted$' '^after delete: GW_ERR_GATEWAY error\.field=token$'
  # A card-present PAY (P2PE: API version 84 or later), its approval read, part of it refunded, the payment retrieved.
  GW_API_VERSION=100 run pay_p2pe "$@" "$dir/pay_p2pe" "$GW_P2PE_KSN" "$GW_P2PE_PAYLOAD" "$GW_P2PE_IV" "$GW_P2PE_CARD_BIN"
  expect "$out/pay_p2pe.out" '^gateway=OPERATING$' \
    '^approved: PAYMENT 12\.50 AUD authorizationCode=[0-9]{6} card=VISA 476173xxxxxx0010$' \
    '^order status=CAPTURED captured=12\.50$' '^refunded 2\.50: order status=PARTIALLY_REFUNDED refunded=2\.50$' \
    '^retrieved PAYMENT: APPROVED$' \
    '^lost answer resolved: PAYMENT APPROVED, order captured=12\.50$' \
    '^retrieved lost-answer sale: PAYMENT APPROVED captured=12\.50$'
  run threads "$@" "$dir/threads" 8 2
  expect "$out/threads.out" '^8 threads x 2 rounds: 0 failed$'
  [ "$(grep -Ec "^thread [0-7] round [01]: $SESSION token=9[0-9]{15}$" "$out/threads.out" || true)" = 16 ] \
    || { cat "$out/threads.out"; fail "$label: threads did not print 16 session+token lines"; }
  [ "$(grep -Eo "token=9[0-9]{15}" "$out/threads.out" | sort -u | wc -l)" -ge 2 ] || fail "$label: threads: one token for all"
  run errors "$@" "$dir/errors"
  expect "$out/errors.out" \
    '^invalid field +GW_ERR_INVALID_FIELD' 'field: sourceOfFunds\.provided\.card\.p2pe\.keySerialNumber' \
    '^config +GW_ERR_CONFIG' '^connect +GW_ERR_CONNECT' '^timeout +GW_ERR_TIMEOUT' \
    '^authentication +GW_ERR_AUTHENTICATION' 'HTTP 401 result=ERROR' \
    '^gateway error +GW_ERR_GATEWAY' 'error\.field=sourceOfFunds\.provided\.card\.p2pe\.cardBin' 'error\.validationType=INVALID' \
    '^declined +GW_DECLINED' 'HTTP 200 result=FAILURE' '^protocol +GW_ERR_PROTOCOL' 'HTTP 500, not an NVP answer$' \
    '^pending +GW_PENDING' 'HTTP 200 result=PENDING$' '^unknown result +GW_UNKNOWN_RESULT' 'HTTP 200 result=UNKNOWN$' \
    '^0 unexpected$'
  no_secrets "$out"/*
  echo "ok: $label: 7 examples, 10 runs, output checked, no secret in any output"
}
