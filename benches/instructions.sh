#!/usr/bin/env bash
# Instruction counts under callgrind: where a difference is smaller than the wall-clock noise
# of a shared machine (a cache hit, what axioms adds to a signature check), the count per
# operation is exact and repeatable.
#
#   bash benches/instructions.sh            # every table of BENCHMARKS.md's "instructions" rows
#
# Builds the harnesses in benches/benches/*_instructions.rs (release), runs each mode under
# `valgrind --tool=callgrind --toggle-collect='*measured*'` (only the measured loop counts,
# setup excluded) and prints instructions per operation. Installs valgrind if missing. Not part
# of CI (a few minutes); figures go to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

# The newest binary of a bench target (cargo prints its path when it builds it).
binary() {
  cargo bench -p axioms-benches --bench "$1" --no-run "${@:2}" 2>&1 \
    | sed -n "s/.*Executable benches\/$1.rs (\(.*\))/\1/p" | tail -n1
}

# Instructions per operation: the measured loop's count over its iterations.
per_op() { # n command...
  local n=$1
  shift
  "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\)/\1/p' | awk -v n="$n" '{ printf "%.0f", $1 / n }'
}

callgrind() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*measured*' "$@"
}

echo "## Full verification (token cache off), instructions per token"
echo
echo "| Algorithm | floor (jsonwebtoken) | floor (key parsed once) | axioms | ÷ jsonwebtoken floor | ÷ parsed floor |"
echo "|---|---|---|---|---|---|"
VERIFY=$(binary verify_instructions)
for alg in RS256 PS256 ES256 EdDSA; do
  row=()
  for mode in floor parsed_floor axioms; do
    row+=("$(VERIFY_ALG=$alg VERIFY_MODE=$mode VERIFY_N=200 per_op 200 callgrind "$VERIFY")")
  done
  awk -v a="$alg" -v f="${row[0]}" -v p="${row[1]}" -v x="${row[2]}" \
    'BEGIN { printf "| %s | %d | %d | %d | %.3f | %.3f |\n", a, f, p, x, x / f, x / p }'
done
echo

echo "## One request through a Router (oneshot), instructions per request"
echo
echo "| Request | instructions | ÷ unprotected | above unprotected |"
echo "|---|---|---|---|"
REQUEST=$(binary request_instructions)
base=$(REQUEST_MODE=unprotected REQUEST_N=2000 per_op 2000 callgrind "$REQUEST")
for mode in unprotected protected scopes_10 scopes_1000; do
  n=2000
  [ "$mode" = scopes_1000 ] && n=500
  count=$(REQUEST_MODE=$mode REQUEST_N=$n per_op $n callgrind "$REQUEST")
  awk -v m="$mode" -v c="$count" -v b="$base" \
    'BEGIN { printf "| %s | %d | %.2f | %+d |\n", m, c, c / b, c - b }'
done
METRICS=$(binary request_instructions --features metrics)
for recorder in none prometheus; do
  count=$(RECORDER=$recorder REQUEST_MODE=protected REQUEST_N=2000 per_op 2000 callgrind "$METRICS")
  awk -v m="protected, feature metrics, recorder $recorder" -v c="$count" -v b="$base" \
    'BEGIN { printf "| %s | %d | %.2f | %+d |\n", m, c, c / b, c - b }'
done
echo

echo "## Several issuers (ES256, token cache off), instructions per token"
echo
ISSUERS=$(binary issuers_instructions)
for n in 1 10; do
  echo "- $n trusted: $(ISSUERS=$n ISSUERS_N=200 per_op 200 callgrind "$ISSUERS")"
done
echo

echo "## DPoP, instructions per request"
echo
DPOP=$(binary dpop_instructions)
for mode in floor bearer dpop; do
  echo "- $mode: $(DPOP_MODE=$mode DPOP_N=200 per_op 200 callgrind "$DPOP")"
done
