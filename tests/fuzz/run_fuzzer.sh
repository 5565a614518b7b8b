#!/bin/sh
# Builds one fuzz target and runs it over its seed corpus for a fixed number
# of runs with a fixed seed (the ctest smoke run). New inputs go to a scratch
# directory, never into the committed corpus.
# Usage: run_fuzzer.sh OUTDIR TARGET RUNS [extra libFuzzer flags...]
set -eu
out=${1:?usage: run_fuzzer.sh OUTDIR TARGET RUNS}
target=${2:?target}
runs=${3:?runs}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
"$here/build_fuzzers.sh" "$out" "$target"
case $target in
*) corpus=$target ;;
esac
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$out"
"./fuzz_$target" -runs="$runs" -seed=1 -max_len=16384 -rss_limit_mb=2048 -timeout=20 \
    "$@" "$scratch" "$here/corpus/$corpus"
