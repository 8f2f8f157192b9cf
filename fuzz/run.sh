#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (not part of CI).
#
#   fuzz/run.sh                    # bearer, verify, jwks and differential, $FUZZ_SECONDS (60) each
#   FUZZ_SECONDS=600 fuzz/run.sh verify
#   FUZZ_SANITIZER=none fuzz/run.sh  # faster, without AddressSanitizer
#
# The committed seeds in corpus/<target> are read, never written: what the fuzzer finds goes
# to work/<target> (ignored by git). Crashes land in artifacts/<target>; replay one with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> artifacts/<target>/crash-…`, shrink it with
# `cargo fuzz tmin`, then add it to tests/it/fuzz_regressions.rs.
#
# cargo-fuzz needs nightly `-Z` flags; RUSTC_BOOTSTRAP=1 allows them on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bearer verify jwks differential)

if ! command -v cargo-fuzz >/dev/null; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1

status=0
for target in "${targets[@]}"; do
  case "$target" in
    bearer) extra=(-dict=dict/bearer.dict -max_len=4096) ;;
    verify) extra=(-dict=dict/jose.dict -max_len=12288) ;;
    jwks) extra=(-dict=dict/jose.dict -max_len=16384) ;;
    # Each byte is one choice of the case (see src/differential.rs): a few dozen suffice.
    differential) extra=(-max_len=64) ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  mkdir -p "work/$target" "corpus/$target"
  echo "== $target: ${seconds} s, sanitizer ${sanitizer}"
  log="work/$target.log"
  set +e
  cargo fuzz run --sanitizer "$sanitizer" "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  if [ "$rc" -ne 0 ]; then
    grep -E 'panicked|SUMMARY|Test unit written' "$log" >&2 || true
    echo "!! $target failed (exit $rc): see fuzz/$log and fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit "$status"
