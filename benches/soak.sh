#!/usr/bin/env bash
# A soak under faults (benches/benches/soak.rs): mixed traffic over 127.0.0.1 for
# $SOAK_SECONDS (180) while the key endpoint, the introspection endpoint and redis-server stop
# and restart; prints the report and fails if anything panicked or a valid cached token got a
# 5xx. Not part of CI (it takes minutes); figures go to the issue note and BENCHMARKS.md.
#
#   bash benches/soak.sh
#   SOAK_SECONDS=600 SOAK_CONNECTIONS=32 bash benches/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi
cargo bench -p axioms-benches --bench soak
