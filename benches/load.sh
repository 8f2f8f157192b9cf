#!/usr/bin/env bash
# Load test of the tutorial server over loopback (wrk), on 1 and 2 worker threads.
#
#   bash benches/load.sh            # 10 s per row
#   DURATION=5s bash benches/load.sh
#
# Not part of CI (it takes minutes and measures the machine); figures go to BENCHMARKS.md.
# "fresh token" rows run the server with AXIOMS_TOKEN_CACHE_ENTRIES=0, so every request pays a
# full verification, which is what a new token per request costs.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --example tutorial -q
BIN=target/release/examples/tutorial

start_server() { # threads cache-entries
  local log
  log=$(mktemp)
  TOKIO_WORKER_THREADS=$1 AXIOMS_TOKEN_CACHE_ENTRIES=$2 RUST_LOG=warn BIND_ADDR=127.0.0.1:0 \
    "$BIN" >"$log" 2>/dev/null &
  SERVER=$!
  for _ in $(seq 1 100); do
    API=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
    [ -n "$API" ] && break
    sleep 0.1
  done
  [ -n "$API" ] || { echo "server did not start" >&2; exit 1; }
}

stop_server() { kill -TERM "$SERVER"; wait "$SERVER" || true; }

mint() {
  curl -s -X POST "$API/dev/token" -H 'content-type: application/json' \
    -d '{"sub":"load-user","scope":"openid profile","roles":["editor"],"permissions":["resource:write"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

run() { # label path [token]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $3" "$API$2")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$API$2")
  fi
  local rps p50 p99 non2xx
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$THREADS" "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "| workers | route | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for THREADS in 1 2; do
  start_server "$THREADS" 4096
  TOKEN=$(mint)
  run "GET /" /
  run "GET /health" /health
  run "GET /protected (one token)" /protected "$TOKEN"
  run "GET /api/strict (one token)" /api/strict "$TOKEN"
  stop_server
  start_server "$THREADS" 0
  TOKEN=$(mint)
  run "GET /protected (fresh token)" /protected "$TOKEN"
  run "GET /api/strict (fresh token)" /api/strict "$TOKEN"
  stop_server
done
