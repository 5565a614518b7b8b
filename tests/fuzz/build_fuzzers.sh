#!/bin/sh
# Builds the libFuzzer targets of the model loaders with clang
# (-fsanitize=fuzzer,address,undefined), compiling only the sources each
# one needs. Usage: build_fuzzers.sh OUTDIR [TARGET...]
# Targets: pt_load pt_pickle yaml_config npy (default: all).
set -eu
out=${1:?usage: build_fuzzers.sh OUTDIR [TARGET...]}
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CLANG:-clang}
command -v "$CC" >/dev/null 2>&1 || { echo "build_fuzzers.sh: clang not found (install the clang package)" >&2; exit 1; }
[ $# -gt 0 ] || set -- pt_load pt_pickle yaml_config npy
mkdir -p "$out"
flags="-std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$src/src"
pt="$src/src/model/pt_load.c $src/src/model/pt_pickle.c $src/src/model/pt_zip.c $src/src/model/pt_weight_norm.c"
for t in "$@"; do
    case $t in
    pt_load | pt_pickle) files="$pt"; libs="$(pkg-config --libs libzip) -lm" ;;
    yaml_config) files="$src/src/model/yaml_config.c"; libs="$(pkg-config --libs yaml-0.1)" ;;
    npy) files="$src/src/model/npy.c"; libs="" ;;
    *) echo "build_fuzzers.sh: unknown target $t" >&2; exit 1 ;;
    esac
    # shellcheck disable=SC2086
    $CC $flags -o "$out/fuzz_$t" "$src/tests/fuzz/fuzz_$t.c" $files "$src/src/common/status.c" $libs
done
