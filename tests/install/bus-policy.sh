#!/usr/bin/env bash
# The installed system bus policy, loaded by a private dbus-daemon configured like the
# system bus (default deny): root may own io.github.virtnet.Helper1 (the installed
# virtnetd takes it), another user may not, and that user may call and introspect it.
# Runs as root: the sandbox puts virtnetd in a network namespace of its own.
# Usage: bus-policy.sh BUILD_DIR SOURCE_DIR BINDIR DATADIR
. "$(dirname "$0")/common.sh"
source_dir=$2 bindir=$3 datadir=$4
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespace, another user)"; exit 77; }
name=io.github.virtnet.Helper1
policy=$destdir$datadir/dbus-1/system.d/$name.conf

sandbox=$(mktemp -d /tmp/virtnet-bus-policy.XXXXXX)
cleanup_steps+=("rm -rf '$sandbox'" "'$source_dir/build-aux/virtnet-sandbox' stop '$sandbox'")
VIRTNETD=$destdir$bindir/virtnetd VIRTNET_MANAGER=unused SANDBOX_BUS_POLICY=$policy \
    "$source_dir/build-aux/virtnet-sandbox" start "$sandbox"
. "$sandbox/env"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
bus_call() { gdbus call --address "$VIRTNET_CONNECT" "$@"; }

# Root owns the name: the installed virtnetd (uid 0) took it under default-deny.
owner=$(bus_call --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.GetNameOwner "$name" | tr -d "()',")
uid=$(bus_call --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.GetConnectionUnixUser "$owner")
[ "$uid" = "(uint32 0,)" ] || { echo "owner of $name is $uid, not root"; exit 1; }
echo "root owns $name"

# Another user may not own it (nor queue for it).
if refusal=$(as_nobody gdbus call --address "$VIRTNET_CONNECT" --dest org.freedesktop.DBus \
    --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName "$name" 0 2>&1); then
    echo "uid 65534 was allowed to ask for $name: $refusal"
    exit 1
fi
echo "$refusal" | grep -q "AccessDenied" || { echo "unexpected refusal: $refusal"; exit 1; }
echo "uid 65534 may not own $name"

# ...but may call it and introspect it.
listed=$(as_nobody gdbus call --address "$VIRTNET_CONNECT" --dest "$name" \
    --object-path /io/github/virtnet/Helper1 --method io.github.virtnet.Helper1.Manager.ListNetworks 0)
echo "$listed" | grep -q "/io/github/virtnet/Helper1/network/" || { echo "ListNetworks: $listed"; exit 1; }
as_nobody gdbus introspect --address "$VIRTNET_CONNECT" --dest "$name" --object-path /io/github/virtnet/Helper1 \
    | grep -q "interface io.github.virtnet.Helper1.Manager"
echo "uid 65534 may call and introspect $name"

# Control: the same bus configuration without the installed file refuses root too, so
# the allowance above came from that file.
control=$sandbox/control
mkdir "$control"
echo '<busconfig/>' >"$control/empty.conf"
sed -e "s|@SOCKET@|$control/bus|" -e "s|@HELPER_POLICY@|$control/empty.conf|" \
    "$source_dir/build-aux/sandbox-bus.conf.in" >"$control/bus.conf"
ip netns exec "$SANDBOX_NETNS" dbus-daemon --config-file="$control/bus.conf" --fork \
    --print-address=1 --print-pid=3 3>"$control/pid" >"$control/address"
cleanup_steps+=("kill \$(cat '$control/pid')")
if refusal=$(gdbus call --address "$(head -n 1 "$control/address")" --dest org.freedesktop.DBus \
    --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName "$name" 0 2>&1); then
    echo "without the policy, root was allowed to own $name: $refusal"
    exit 1
fi
echo "$refusal" | grep -q "AccessDenied" || { echo "unexpected refusal: $refusal"; exit 1; }
echo "without the installed policy, root may not own $name either"
