#!/usr/bin/env bash
# po/virtnet.pot is up to date with the sources (the same strings xgettext finds now),
# and every language in po/LINGUAS translates all of them (none missing or fuzzy) and
# compiles with msgfmt --check.
# Usage: check-translations.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
fresh=$(mktemp /tmp/virtnet-pot.XXXXXX)
trap 'rm -f "$fresh"' EXIT
# As meson's virtnet-pot target runs it (po/meson.build, preset glib); .rs files are
# read as C, which gives the same strings for gettext("...") calls.
(cd "$source_dir/po" && xgettext --package-name=virtnet -f POTFILES.in -D "$source_dir" -k_ \
    --from-code=UTF-8 --add-comments -o "$fresh" 2>/dev/null)
if ! msgcmp --use-untranslated "$source_dir/po/virtnet.pot" "$fresh" 2>/dev/null \
    || ! msgcmp --use-untranslated "$fresh" "$source_dir/po/virtnet.pot" 2>/dev/null; then
    echo "po/virtnet.pot is out of date; run: meson compile -C BUILD virtnet-pot virtnet-update-po"
    msgcmp --use-untranslated "$source_dir/po/virtnet.pot" "$fresh" || true
    msgcmp --use-untranslated "$fresh" "$source_dir/po/virtnet.pot" || true
    exit 1
fi
echo "po/virtnet.pot: $(grep -c '^msgid ' "$fresh") strings, up to date"
status=0
for lang in $(sed -e 's/#.*//' "$source_dir/po/LINGUAS"); do
    po=$source_dir/po/$lang.po
    if ! msgcmp "$po" "$fresh"; then
        echo "$lang.po: strings above are untranslated or fuzzy"
        status=1
    fi
    echo "$lang.po: $(msgfmt --check --statistics -o /dev/null "$po" 2>&1)"
done
exit "$status"
