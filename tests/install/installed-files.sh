#!/usr/bin/env bash
# `meson install --destdir` installs exactly the files listed in
# tests/data/install/files.txt (placeholders are the build's folders and app id).
# Usage: installed-files.sh BUILD_DIR LIST PREFIX BINDIR DATADIR MANDIR LOCALEDIR UNITDIR APP_ID
. "$(dirname "$0")/common.sh"
list=$2 prefix=$3 bindir=$4 datadir=$5 mandir=$6 localedir=$7 unitdir=$8 app_id=$9
expected=$(sed -e '/^#/d' -e '/^$/d' \
    -e "s|{bindir}|$bindir|" -e "s|{datadir}|$datadir|" -e "s|{mandir}|$mandir|" \
    -e "s|{localedir}|$localedir|" -e "s|{unitdir}|$unitdir|" -e "s|{app_id}|$app_id|" \
    -e "s|{prefix}|$prefix|" "$list" | sort)
actual=$(cd "$destdir" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort)
if [ "$expected" != "$actual" ]; then
    echo "installed files differ from $list (< expected, > installed):"
    diff <(echo "$expected") <(echo "$actual") || true
    exit 1
fi
echo "$(echo "$actual" | wc -l) files installed, as listed"
# Each program runs from where it was installed.
for program in virtnet virtnetd virtnet-manager; do
    "$destdir$bindir/$program" --version
done
"$destdir$prefix/libexec/virtnet-bridge-helper" --version

# `ninja uninstall` removes exactly what was installed.
DESTDIR=$destdir ninja -C "$build_dir" uninstall >/dev/null
left=$(cd "$destdir" && find . \( -type f -o -type l \))
[ -z "$left" ] || { echo "left after ninja uninstall:"; echo "$left"; exit 1; }
echo "ninja uninstall removed every file"
