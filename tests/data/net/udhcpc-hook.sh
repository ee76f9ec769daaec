#!/bin/sh
# busybox udhcpc hook for test guests: configures the interface and records the lease
# in $VIRTNET_LEASE_FILE. Unlike the stock hooks it never touches /etc/resolv.conf.
case "$1" in
    deconfig)
        ip addr flush dev "$interface"
        ip link set "$interface" up
        ;;
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/$mask" dev "$interface"
        if [ -n "$router" ]; then
            ip route replace default via "${router%% *}" dev "$interface"
        fi
        echo "ip=$ip mask=$mask router=$router dns=$dns domain=$domain" >"$VIRTNET_LEASE_FILE"
        ;;
esac
exit 0
