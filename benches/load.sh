#!/usr/bin/env bash
# Load test of the tutorial server over loopback (wrk), on 1 and 2 worker threads.
#
#   bash benches/load.sh            # 10 s per row
#   DURATION=5s bash benches/load.sh
#
# Not part of CI (it takes minutes and measures the machine); figures go to BENCHMARKS.md.
# Each row's "÷ GET /" is its throughput as a fraction of the same server's unauthenticated
# static route in the same run; the last table is the process's RSS before and after 4,096
# distinct tokens fill the token cache.
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

BASE_RPS=""

run() { # label path [token]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $3" "$API$2")
  else
    out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$API$2")
  fi
  local rps p50 p99 non2xx ratio
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  if [ "$2" = / ]; then BASE_RPS=$rps; fi
  ratio=$(python3 -c "print(f'{$rps / $BASE_RPS:.2f}')")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$THREADS" "$1" "$rps" "$ratio" "$p50" "$p99" "${non2xx:-0}"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }

echo "| workers | route | req/s | ÷ GET / | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
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
  run "GET /" /
  run "GET /protected (fresh token)" /protected "$TOKEN"
  run "GET /api/strict (fresh token)" /api/strict "$TOKEN"
  stop_server
done

# Memory of a full token cache: RSS before and after 4,096 distinct tokens, each minted by the
# development issuer and sent once to /protected (one keep-alive connection).
THREADS=1
start_server 1 4096
run "GET /" / >/dev/null
BEFORE=$(rss_kib)
python3 - "$API" <<'PY'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(url.hostname, url.port)
for i in range(4096):
    body = json.dumps({"sub": f"user-{i}", "scope": "openid profile", "roles": ["editor"],
                       "permissions": ["resource:write"]})
    conn.request("POST", "/dev/token", body, {"content-type": "application/json"})
    token = json.loads(conn.getresponse().read())["access_token"]
    conn.request("GET", "/protected", headers={"authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
PY
AFTER=$(rss_kib)
stop_server
echo
echo "| RSS before | after 4,096 tokens | per token |"
echo "|---|---|---|"
printf '| %s KiB | %s KiB | %s bytes |\n' "$BEFORE" "$AFTER" "$(( (AFTER - BEFORE) * 1024 / 4096 ))"
