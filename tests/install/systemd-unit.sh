#!/usr/bin/env bash
# The installed virtnetd.service passes `systemd-analyze verify`, and its D-Bus
# activation file names it; its sandboxing settings are there and systemd-analyze
# security rates its exposure at most 3.0. Skipped (exit 77) where systemd-analyze is
# missing.
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
# verify only warns about a misspelt setting: any message at all fails the test.
messages=$(systemd-analyze verify --man=no "$checked/virtnetd.service" 2>&1) \
    || { echo "$messages"; exit 1; }
[ -z "$messages" ] || { echo "systemd-analyze verify says:"; echo "$messages"; exit 1; }
# The sandboxing the unit promises (README), setting by setting.
for setting in Type=dbus BusName=io.github.virtnet.Helper1 KillMode=process ProtectSystem=strict \
    "ReadWritePaths=/etc/virtnet /run/virtnet /var/lib/virtnet" ProtectHome=yes PrivateTmp=yes \
    NoNewPrivileges=yes RuntimeDirectoryPreserve=yes; do
    grep -qx "$setting" "$unit" || { echo "virtnetd.service lacks $setting"; exit 1; }
done
grep -q "^CapabilityBoundingSet=CAP_NET_ADMIN " "$unit" || { echo "no CapabilityBoundingSet"; exit 1; }
activation=$destdir$datadir/dbus-1/system-services/io.github.virtnet.Helper1.service
grep -qx "SystemdService=virtnetd.service" "$activation"
grep -qx "Exec=$bindir/virtnetd" "$activation"
for setting in ProtectKernelTunables=yes ReadWritePaths=/proc/sys/net ProtectKernelModules=yes \
    SystemCallFilter=@system-service UMask=0077 NoExecPaths=/ ExecPaths=/usr; do
    grep -qx "$setting" "$unit" || { echo "virtnetd.service lacks $setting"; exit 1; }
done
# systemd's own measure of what a compromised helper could do: at most 3.0 (of 10).
summary=$(systemd-analyze security --offline=yes --no-pager "$checked/virtnetd.service" 2>&1 | tail -n 1)
exposure=$(echo "$summary" | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { echo "no exposure level in: $summary"; exit 1; }
awk -v e="$exposure" 'BEGIN { exit !(e <= 3.0) }' || { echo "exposure $exposure is above 3.0: $summary"; exit 1; }
echo "virtnetd.service verified; $summary"
