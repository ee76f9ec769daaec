//! The datapath proven by traffic, in namespaces the tests create: guests get DHCP
//! leases (range and static host) and resolve names through the network's dnsmasq;
//! NAT hides guests behind the host's address and admits no new connection from
//! outside; a routed network shows guests' own addresses both ways; an isolated network
//! keeps guests to each other and the host; `forward dev` confines traffic to one
//! uplink; an open network has no rules of ours; IPv6 guests configure themselves from
//! router advertisements. Each with the nftables and the iptables backend.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::for_each_backend;

use std::time::Duration;

use futures_util::StreamExt;

use common::net::{Guest, Outside};
use common::sandbox::Sandbox;

fn in_range(ip: &str, prefix: &str, low: u8, high: u8) -> bool {
    ip.strip_prefix(prefix).and_then(|last| last.parse::<u8>().ok()).is_some_and(|n| (low..=high).contains(&n))
}

/// Whether a TCP connection from the sandbox host itself reaches `ip:port` (to show that
/// a listener refused to others was really listening).
fn host_connects(sandbox: &Sandbox, ip: &str, port: u16) -> bool {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/net/peer.py");
    sandbox.netns_exec(&["/usr/bin/python3", script, "connect", ip, &port.to_string()]).status.success()
}

async fn nat_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let outside = Outside::attach(&sandbox, "up0", 113);
    let conn = sandbox.connect().await;
    let lab = sandbox
        .define_and_start(
            &conn,
            "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/><domain name='lab'/>
           <dns><host ip='10.50.0.99'><hostname>www</hostname></host></dns>
           <ip address='10.50.0.1' prefix='24'><dhcp><range start='10.50.0.100' end='10.50.0.150'/>
             <host mac='52:54:00:50:00:10' name='fixed' ip='10.50.0.10'/></dhcp></ip></network>",
        )
        .await;

    // DHCP: one guest from the range, one at its static address.
    let g1 = Guest::plug(&sandbox, "vnlab", None);
    let g2 = Guest::plug(&sandbox, "vnlab", Some("52:54:00:50:00:10"));
    let l1 = g1.dhcp("g1");
    assert!(in_range(&l1.ip, "10.50.0.", 100, 150), "{l1:?}");
    assert_eq!((l1.router.as_str(), l1.dns.as_str(), l1.domain.as_str()), ("10.50.0.1", "10.50.0.1", "lab"));
    let l2 = g2.dhcp("g2");
    assert_eq!(l2.ip, "10.50.0.10");

    // Names: a static host, a DNS host record, a guest's own name in the domain.
    assert_eq!(g1.resolve("fixed.lab", "10.50.0.1").as_deref(), Some("10.50.0.10"));
    assert_eq!(g1.resolve("www", "10.50.0.1").as_deref(), Some("10.50.0.99"));
    assert_eq!(g2.resolve("g1.lab", "10.50.0.1").as_deref(), Some(l1.ip.as_str()));

    // Guests reach each other.
    assert!(g1.ns.ping(&l2.ip));

    // NAT: the outside sees the host's uplink address...
    let watch = outside.ns.listen(8080);
    assert!(g1.ns.connect(&outside.ip, 8080));
    assert_eq!(watch.peer(), outside.host_ip);
    // ... and cannot open a connection to a guest, even with a route to it.
    outside.route("10.50.0.0/24");
    let watch = g1.ns.listen(8081);
    assert!(!outside.ns.connect(&l1.ip, 8081), "the outside reached a guest behind NAT");
    assert!(host_connects(&sandbox, &l1.ip, 8081));
    assert_eq!(watch.peer(), "10.50.0.1");

    // The leases, from the helper.
    let leases = lab.get_dhcp_leases("").await.unwrap();
    let mut seen: Vec<(String, String, String)> =
        leases.iter().map(|l| (l.mac.clone(), l.address.clone(), l.hostname.clone())).collect();
    seen.sort();
    let mut expected =
        vec![(g1.mac.clone(), l1.ip.clone(), "g1".to_owned()), (g2.mac.clone(), l2.ip.clone(), "fixed".to_owned())];
    expected.sort();
    assert_eq!(seen, expected, "{leases:?}");
    assert!(leases.iter().all(|l| l.interface == "vnlab" && l.prefix == 24 && l.kind == 0 && l.expiry > 0));
    let one = lab.get_dhcp_leases(&g1.mac.to_uppercase()).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].address, l1.ip);

    assert_eq!(sandbox.netns_exec(&["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout, b"1\n");
}

async fn routed_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let outside = Outside::attach(&sandbox, "up0", 113);
    outside.route("10.60.0.0/24");
    let conn = sandbox.connect().await;
    let routed = sandbox.define_and_start(&conn,
        "<network><name>routed</name><forward mode='route'/><bridge name='vnrt'/>
           <ip address='10.60.0.1' prefix='24'><dhcp><range start='10.60.0.100' end='10.60.0.150'/></dhcp></ip></network>",
    )
    .await;
    let mut lease_changes = routed.receive_dhcp_leases_changed().await.unwrap();
    let guest = Guest::plug(&sandbox, "vnrt", None);
    let lease = guest.dhcp("g1");
    // Clients learn of the new lease from a signal, without polling.
    tokio::time::timeout(Duration::from_secs(5), lease_changes.next())
        .await
        .expect("no DHCPLeasesChanged after a guest got a lease");
    assert_eq!(routed.get_dhcp_leases("").await.unwrap()[0].address, lease.ip);
    // The outside sees the guest's own address...
    let watch = outside.ns.listen(8080);
    assert!(guest.ns.connect(&outside.ip, 8080));
    assert_eq!(watch.peer(), lease.ip);
    // ... and, given a route, reaches the guest.
    let watch = guest.ns.listen(8081);
    assert!(outside.ns.connect(&lease.ip, 8081));
    assert_eq!(watch.peer(), outside.ip);
}

async fn isolated_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let outside = Outside::attach(&sandbox, "up0", 113);
    outside.route("10.70.0.0/24");
    let conn = sandbox.connect().await;
    sandbox.define_and_start(&conn,
        "<network><name>iso</name><bridge name='vniso'/>
           <ip address='10.70.0.1' prefix='24'><dhcp><range start='10.70.0.100' end='10.70.0.150'/></dhcp></ip></network>",
    )
    .await;
    let g1 = Guest::plug(&sandbox, "vniso", None);
    let g2 = Guest::plug(&sandbox, "vniso", None);
    let l1 = g1.dhcp("g1");
    let l2 = g2.dhcp("g2");
    assert_eq!(l1.router, "", "an isolated network offers no default route");
    assert!(g1.ns.ping(&l2.ip), "guests reach each other");
    assert!(g1.ns.ping("10.70.0.1"), "guests reach the host");
    // Even with a route through the host, nothing gets out; nothing gets in.
    g1.ns.ok(&["ip", "route", "add", "default", "via", "10.70.0.1"]);
    let watch = outside.ns.listen(8080);
    assert!(!g1.ns.connect(&outside.ip, 8080), "a guest of an isolated network reached the outside");
    assert!(!g1.ns.ping(&outside.ip));
    drop(watch);
    let watch = g1.ns.listen(8081);
    assert!(!outside.ns.connect(&l1.ip, 8081), "the outside reached an isolated guest");
    assert!(host_connects(&sandbox, &l1.ip, 8081));
    assert_eq!(watch.peer(), "10.70.0.1");
}

async fn forward_dev_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let allowed = Outside::attach(&sandbox, "up0", 113);
    let other = Outside::attach(&sandbox, "up1", 114);
    let conn = sandbox.connect().await;
    sandbox.define_and_start(&conn,
        "<network><name>dev</name><forward mode='nat' dev='up0'/><bridge name='vndev'/>
           <ip address='10.75.0.1' prefix='24'><dhcp><range start='10.75.0.100' end='10.75.0.150'/></dhcp></ip></network>",
    )
    .await;
    let guest = Guest::plug(&sandbox, "vndev", None);
    guest.dhcp("g1");
    let watch = allowed.ns.listen(8080);
    assert!(guest.ns.connect(&allowed.ip, 8080), "traffic through the chosen uplink");
    assert_eq!(watch.peer(), allowed.host_ip);
    let watch = other.ns.listen(8080);
    assert!(!guest.ns.connect(&other.ip, 8080), "traffic left through another uplink");
    drop(watch);
}

async fn open_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let outside = Outside::attach(&sandbox, "up0", 113);
    outside.route("10.80.0.0/24");
    let conn = sandbox.connect().await;
    sandbox.define_and_start(&conn,
        "<network><name>open</name><forward mode='open'/><bridge name='vnopen'/>
           <ip address='10.80.0.1' prefix='24'><dhcp><range start='10.80.0.100' end='10.80.0.150'/></dhcp></ip></network>",
    )
    .await;
    let tables = String::from_utf8_lossy(&sandbox.netns_exec(&["nft", "list", "tables"]).stdout).into_owned();
    assert!(!tables.contains("virtnet_vnopen"), "{tables}");
    let saved = String::from_utf8_lossy(&sandbox.netns_exec(&["iptables-save"]).stdout).into_owned();
    assert!(!saved.contains("VN-vnopen"), "{saved}");
    // Forwarding is on and nothing of ours filters: the guest is routed.
    let guest = Guest::plug(&sandbox, "vnopen", None);
    let lease = guest.dhcp("g1");
    let watch = outside.ns.listen(8080);
    assert!(guest.ns.connect(&outside.ip, 8080));
    assert_eq!(watch.peer(), lease.ip);
}

async fn dual_stack_network(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    sandbox
        .define_and_start(
            &conn,
            "<network><name>dual</name><forward mode='nat'/><bridge name='vndual'/>
           <ip address='10.90.0.1' prefix='24'><dhcp><range start='10.90.0.100' end='10.90.0.150'/></dhcp></ip>
           <ip family='ipv6' address='fd00:90::1' prefix='64'/></network>",
        )
        .await;
    let guest = Guest::plug(&sandbox, "vndual", None);
    let lease = guest.dhcp("g1");
    assert!(in_range(&lease.ip, "10.90.0.", 100, 150));
    let v6 = guest.wait_for_ipv6("fd00:90:", Duration::from_secs(20)).expect("no address from router advertisements");
    assert!(
        guest.ns.exec(&["busybox", "ping6", "-c", "1", "-W", "2", "fd00:90::1"]).status.success(),
        "{v6} cannot reach the host"
    );
    let sysctl =
        |key: &str| String::from_utf8_lossy(&sandbox.netns_exec(&["sysctl", "-n", key]).stdout).trim().to_owned();
    assert_eq!(sysctl("net.ipv6.conf.vndual.accept_ra"), "0");
    assert_eq!(sysctl("net.ipv6.conf.all.forwarding"), "1");
}

for_each_backend!(nat_network, routed_network, isolated_network, forward_dev_network, open_network, dual_stack_network);
