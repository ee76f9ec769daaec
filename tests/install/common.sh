# Shared by the install tests (sourced): installs the meson build folder $1 into a
# temporary DESTDIR, removed when the test ends. Sets $destdir. Steps added to
# cleanup_steps run at exit, last first.
set -euo pipefail
build_dir=$1
destdir=$(mktemp -d /tmp/virtnet-install.XXXXXX)
cleanup_steps=("rm -rf '$destdir'")
cleanup() {
    for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do
        eval "${cleanup_steps[i]}" || true
    done
}
trap cleanup EXIT
# `meson install` records what it installed in the build folder, for `ninja uninstall`;
# a test's DESTDIR install must not replace the record of a real installation.
install_log=$build_dir/meson-logs/install-log.txt
if [ -f "$install_log" ]; then
    cp -p "$install_log" "$destdir.install-log"
    cleanup_steps+=("mv -f '$destdir.install-log' '$install_log'")
else
    cleanup_steps+=("rm -f '$install_log'")
fi
meson install -C "$build_dir" --destdir "$destdir" --no-rebuild --quiet >/dev/null
