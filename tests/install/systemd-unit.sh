#!/usr/bin/env bash
# The installed virtnetd.service passes `systemd-analyze verify`, and its D-Bus
# activation file names it. Skipped (exit 77) where systemd-analyze is missing.
# Usage: systemd-unit.sh BUILD_DIR BINDIR DATADIR UNITDIR
. "$(dirname "$0")/common.sh"
bindir=$2 datadir=$3 unitdir=$4
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is missing"; exit 77; }
unit=$destdir$unitdir/virtnetd.service
# verify checks that ExecStart exists: point it at the installed copy.
checked=$(mktemp -d /tmp/virtnet-unit.XXXXXX)
cleanup_steps+=("rm -rf '$checked'")
sed "s|^ExecStart=$bindir/|ExecStart=$destdir$bindir/|" "$unit" >"$checked/virtnetd.service"
grep -q "^ExecStart=$destdir$bindir/virtnetd$" "$checked/virtnetd.service"
systemd-analyze verify --man=no "$checked/virtnetd.service"
grep -qx "Type=dbus" "$unit"
grep -qx "BusName=io.github.virtnet.Helper1" "$unit"
activation=$destdir$datadir/dbus-1/system-services/io.github.virtnet.Helper1.service
grep -qx "SystemdService=virtnetd.service" "$activation"
grep -qx "Exec=$bindir/virtnetd" "$activation"
echo "virtnetd.service verified; exposure:"
systemd-analyze security --offline=yes --no-pager "$checked/virtnetd.service" 2>/dev/null | tail -n 1 || true
