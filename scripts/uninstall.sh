#!/usr/bin/env bash
# Removes what `make install` installed: scripts/uninstall.sh BUILD PREFIX
# (DESTDIR from the environment, as for make install). The list of files is
# what the build would install now (a staging install), not a record of a
# past install, so it works in a fresh shell and for any PREFIX/DESTDIR.
# The options file in etc/default is kept if it was edited.
set -euo pipefail
build=${1:?usage: uninstall.sh BUILD PREFIX}
prefix=${2:?usage: uninstall.sh BUILD PREFIX}
root=${DESTDIR:-}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" --prefix "$prefix" >/dev/null

removed=0
while IFS= read -r -d '' f; do
    rel=${f#"$stage"}
    target=$root$rel
    [ -e "$target" ] || [ -L "$target" ] || continue
    if [[ $rel == */etc/default/* ]] && ! cmp -s "$f" "$target"; then
        echo "uninstall: keeping $target (edited)"
        continue
    fi
    rm -f "$target"
    removed=$((removed + 1))
done < <(find "$stage" \( -type f -o -type l \) -print0)

# Directories the project owns, if now empty; shared ones (bin, man1) stay.
for d in share/cosyvoice-c/proto share/cosyvoice-c share/doc/cosyvoice-c/examples \
         share/doc/cosyvoice-c; do
    rmdir "$root$prefix/$d" 2>/dev/null || true
done
echo "uninstall: removed $removed files from $root$prefix"
