//! Port forwards with real traffic, on both firewall backends (namespaces the test
//! creates): an outside host reaches a guest's port 22 at the uplink's port 2222 and the
//! guest sees the outside address; another guest, the guest itself and the host reach it
//! at the same address (hairpin); 127.0.0.1 only with `localhost`; a UDP forward echoes;
//! a forward removed live refuses new connections while dnsmasq's pid, the leases and a
//! connection through another forward stay; the rules come back after a flush. Bad
//! forwards are refused with their sentence and change nothing.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::net::{Guest, Outside, connect_in};
use common::sandbox::Sandbox;
use virtnet::dbus::update_flags;

const GUEST_A_MAC: &str = "52:54:00:50:00:10";

/// A NAT network whose guest A always gets .10 (a static host, as the window offers).
const NAT: &str = "<network><name>pf</name><forward mode='nat'/><bridge name='vnpf' stp='off'/>
  <ip address='10.140.0.1' prefix='24'><dhcp><range start='10.140.0.100' end='10.140.0.150'/>
  <host mac='52:54:00:50:00:10' name='web' ip='10.140.0.10'/></dhcp></ip></network>";

/// The hairpin mode of each port of the bridge, from `bridge -d link`.
fn hairpin_modes(sandbox: &Sandbox, bridge: &str) -> Vec<bool> {
    let out = sandbox.netns_exec(&["bridge", "-j", "-d", "link", "show"]);
    let ports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    ports
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["master"] == bridge)
        .map(|p| p["hairpin"].as_bool().unwrap())
        .collect()
}

fn dnsmasq_pid(sandbox: &Sandbox) -> u32 {
    std::fs::read_to_string(sandbox.path("run/pf.pid")).unwrap().trim().parse().unwrap()
}

/// Runs the CLI; (success, stdout, stderr).
fn virtnet(sandbox: &Sandbox, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_virtnet")).args(["-c", sandbox.address()]).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits (stall check: 5 s) until `check` holds.
fn eventually(what: &str, check: impl Fn() -> bool) {
    let began = Instant::now();
    while !check() {
        assert!(began.elapsed() < Duration::from_secs(5), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn forwards_carry_real_traffic(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    let outside = Outside::attach(&sandbox, "up0", 113);
    let uplink = outside.host_ip.clone();
    let network = sandbox.define_and_start(&conn, NAT).await;
    let a = Guest::plug(&sandbox, "vnpf", Some(GUEST_A_MAC));
    assert_eq!(a.dhcp("web").ip, "10.140.0.10");
    let b = Guest::plug(&sandbox, "vnpf", None);
    let b_lease = b.dhcp("other");

    // Added with the CLI: live and persistent.
    let (ok, said, err) = virtnet(&sandbox, &["net-forward-add", "pf", "tcp", "2222", "10.140.0.10:22"]);
    assert!(ok, "{err}");
    assert_eq!(said.trim(), "Port 2222/tcp of network pf now reaches 10.140.0.10:22");
    for flags in [0, 1] {
        let xml = network.get_xml_desc(flags).await.unwrap();
        assert!(xml.contains("<virtnet:portForward proto='tcp' guest='10.140.0.10'>"), "GetXMLDesc({flags}): {xml}");
    }
    let listed = network.port_forwards().await.unwrap();
    assert_eq!(
        listed,
        [virtnet::dbus::PortForwardInfo {
            protocol: "tcp".into(),
            host_address: String::new(),
            host_start: 2222,
            host_end: 2222,
            guest: "10.140.0.10".into(),
            guest_port: 22,
            localhost: false,
        }]
    );
    let (ok, list, _) = virtnet(&sandbox, &["net-forward-list", "pf"]);
    assert!(ok);
    assert!(
        list.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["tcp", "all", "2222", "10.140.0.10:22"]),
        "{list}"
    );

    // From outside: the guest's listener sees the outside host's own address.
    let watch = a.ns.listen(22);
    assert!(outside.ns.connect(&uplink, 2222), "the outside does not reach the forward");
    assert_eq!(watch.peer(), outside.ip, "the guest must see the real client address");

    // Hairpin: the other guest, the guest itself, the host; not 127.0.0.1.
    let _ssh = a.ns.keep_listening(22);
    assert!(b.ns.connect(&uplink, 2222), "another guest does not reach the forward at the uplink address");
    assert!(a.ns.connect(&uplink, 2222), "the guest does not reach its own forward");
    assert!(connect_in(sandbox.netns(), &uplink, 2222), "the host does not reach the forward");
    assert!(!connect_in(sandbox.netns(), "127.0.0.1", 2222), "127.0.0.1 reached the forward without localhost");
    // The network's own address is not forwarded.
    assert!(!b.ns.connect("10.140.0.1", 2222), "the bridge address must not be forwarded");

    // localhost='yes', by modify (the same protocol and host port): 127.0.0.1 works.
    let local =
        "<portForward proto='tcp' guest='10.140.0.10' localhost='yes'><range start='2222' to='22'/></portForward>";
    network.update(1, 100, -1, local, update_flags::LIVE).await.unwrap();
    assert!(connect_in(sandbox.netns(), "127.0.0.1", 2222), "127.0.0.1 does not reach the forward with localhost");
    assert!(outside.ns.connect(&uplink, 2222));

    // UDP: a datagram echo through the forward, answered to the outside's address.
    let _udp = a.ns.udp_echo(5300);
    let (ok, _, err) = virtnet(&sandbox, &["net-forward-add", "pf", "udp", "5353", "10.140.0.10:5300"]);
    assert!(ok, "{err}");
    assert_eq!(
        outside.ns.udp_ask(&uplink, 5353, "ping").as_deref(),
        Some(format!("ping from {}", outside.ip).as_str())
    );

    // A second TCP forward to guest B, with a connection held open through it.
    let _b_echo = b.ns.echo(7000);
    let guest_b = format!("{}:7000", b_lease.ip);
    let (ok, _, err) = virtnet(&sandbox, &["net-forward-add", "pf", "tcp", "7070", &guest_b]);
    assert!(ok, "{err}");
    let mut held = outside.ns.hold(&uplink, 7070);
    assert!(held.still_up("before"));

    // Removing the first forward: new connections fail at once; nothing else moves.
    let pid = dnsmasq_pid(&sandbox);
    let leases_before = network.get_dhcp_leases("").await.unwrap();
    let (ok, said, err) = virtnet(&sandbox, &["net-forward-delete", "pf", "tcp", "2222"]);
    assert!(ok, "{err}");
    assert_eq!(said.trim(), "Port forward 2222/tcp of network pf deleted");
    assert!(!outside.ns.connect(&uplink, 2222), "the deleted forward still lets connections in");
    assert!(held.still_up("after"), "the other forward's connection broke when the table was replaced");
    assert_eq!(dnsmasq_pid(&sandbox), pid, "a forward change must not restart dnsmasq");
    let leases_after = network.get_dhcp_leases("").await.unwrap();
    assert_eq!(
        leases_after.iter().map(|l| &l.address).collect::<Vec<_>>(),
        leases_before.iter().map(|l| &l.address).collect::<Vec<_>>()
    );
    assert!(!network.get_xml_desc(1).await.unwrap().contains("start='2222'"), "still in the persistent definition");

    // Another firewall flushes everything: the forwards come back by themselves.
    let flush: &[&str] =
        if backend == "nftables" { &["nft", "flush", "ruleset"] } else { &["iptables", "-t", "nat", "-F"] };
    assert!(sandbox.netns_exec(flush).status.success());
    eventually("the forward did not come back after a flush", || {
        outside.ns.udp_ask(&uplink, 5353, "again").is_some_and(|a| a.starts_with("again from"))
    });
    assert!(outside.ns.connect(&uplink, 7070));

    // The ports reflect frames (a guest reaching its own forward) while the network has
    // forwards; once the last goes, no longer.
    assert_eq!(hairpin_modes(&sandbox, "vnpf"), [true, true]);
    for (proto, port) in [("udp", "5353"), ("tcp", "7070")] {
        let (ok, _, err) = virtnet(&sandbox, &["net-forward-delete", "pf", proto, port]);
        assert!(ok, "{err}");
    }
    assert_eq!(hairpin_modes(&sandbox, "vnpf"), [false, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_carry_real_traffic_with_nftables() {
    forwards_carry_real_traffic("nftables").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_carry_real_traffic_with_iptables() {
    forwards_carry_real_traffic("iptables").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_forwards_are_refused_with_their_sentence_and_change_nothing() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let (ok, _, err) = virtnet(&sandbox, &["net-forward-add", "pf", "tcp", "2222", "10.140.0.10:22"]);
    assert!(ok, "{err}");
    let live = network.get_xml_desc(0).await.unwrap();
    let persistent = network.get_xml_desc(1).await.unwrap();
    let table = sandbox.netns_exec(&["nft", "list", "table", "inet", "virtnet_vnpf"]).stdout;

    let refused = |args: &[&str], sentence: &str| {
        let (ok, _, err) = virtnet(&sandbox, args);
        assert!(!ok, "{args:?} was accepted");
        assert!(err.contains(sentence), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    refused(
        &["net-forward-add", "pf", "tcp", "2200", "10.99.0.5:22"],
        "guest address 10.99.0.5 is not inside the network's subnet 10.140.0.0/24",
    );
    refused(
        &["net-forward-add", "pf", "tcp", "2222", "10.140.0.11:22"],
        "there is already a port forward of host port 2222/tcp in network 'pf'",
    );
    refused(
        &["net-forward-add", "pf", "both", "2222", "10.140.0.11:22"],
        "host port 2222/both is already forwarded to 10.140.0.10:22 by portForward[0]",
    );
    refused(
        &["net-forward-add", "pf", "tcp", "2000-2300", "10.140.0.11:22"],
        "host port 2000-2300/tcp is already forwarded to 10.140.0.10:22 by portForward[0]",
    );
    refused(&["net-forward-add", "pf", "tcp", "2300", "10.140.0.1:22"], "is the host's own address");
    refused(&["net-forward-add", "pf", "tcp", "8000-8010", "10.140.0.10:80-85"], "give ranges of the same length");
    refused(&["net-forward-delete", "pf", "udp", "2222"], "couldn't find a port forward of host port 2222/udp");
    assert_eq!(network.get_xml_desc(0).await.unwrap(), live, "a refused forward changed the live definition");
    assert_eq!(network.get_xml_desc(1).await.unwrap(), persistent, "a refused forward changed the persistent one");
    assert_eq!(sandbox.netns_exec(&["nft", "list", "table", "inet", "virtnet_vnpf"]).stdout, table);

    // Only NAT networks: an isolated network refuses one, in a definition or an update.
    let isolated = common::sandbox::isolated("iso", 141);
    sandbox.manager(&conn).await.define_xml(&isolated).await.unwrap();
    refused(
        &["net-forward-add", "iso", "tcp", "2222", "10.141.0.10:22"],
        "port forwards need a NAT network (<forward mode='nat'/>); this one is isolated",
    );
    let with_forward = isolated.replace(
        "</network>",
        "<metadata><v:network xmlns:v='https://github.com/virtnet/virtnet/xmlns/network/1'><v:portForward proto='tcp' guest='10.141.0.10'><v:range start='22'/></v:portForward></v:network></metadata></network>",
    );
    let error = sandbox.manager(&conn).await.define_xml(&with_forward).await.unwrap_err().to_string();
    assert!(error.contains("metadata/portForward[0]: port forwards need a NAT network"), "{error}");
}
