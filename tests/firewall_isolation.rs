//! Isolation that does not depend on start order or on the firewall being left alone,
//! proven by traffic on both backends: four networks (`iso` isolated, `lab` and `lab2`
//! NAT, `rt` routed), each with a guest listening on tcp/8080, started in either order,
//! keep each other's guests apart; after other software flushes the firewall, the
//! rules come back within 2 s, and an isolated guest never reaches the outside
//! meanwhile (its bridge does not forward at all); isolated guests reach only the
//! host's DHCP, DNS and ICMP, NAT guests every service of the host.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::for_each_backend;

use std::time::{Duration, Instant};

use common::net::{Guest, Listener, Outside, keep_listening_in};
use common::sandbox::Sandbox;

const PORT: u16 = 8080;

/// (name, definition, the guest's address with prefix, gateway).
const NETWORKS: [(&str, &str, &str, &str); 4] = [
    (
        "iso",
        "<network><name>iso</name><bridge name='vniso'/>
           <dns><host ip='10.71.0.9'><hostname>printer</hostname></host></dns><ip address='10.71.0.1' prefix='24'/></network>",
        "10.71.0.50/24",
        "10.71.0.1",
    ),
    (
        "lab",
        "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/><ip address='10.72.0.1' prefix='24'/></network>",
        "10.72.0.50/24",
        "10.72.0.1",
    ),
    (
        "lab2",
        "<network><name>lab2</name><forward mode='nat'/><bridge name='vnlab2'/><ip address='10.73.0.1' prefix='24'/></network>",
        "10.73.0.50/24",
        "10.73.0.1",
    ),
    (
        "rt",
        "<network><name>rt</name><forward mode='route'/><bridge name='vnrt'/><ip address='10.74.0.1' prefix='24'/></network>",
        "10.74.0.50/24",
        "10.74.0.1",
    ),
];

struct Lab {
    sandbox: Sandbox,
    outside: Outside,
    guests: Vec<(&'static str, Guest, String)>,
    _listeners: Vec<Listener>,
}

impl Lab {
    /// The networks of `order` started one after another, each with a listening guest,
    /// and an outside host that has routes to all of them and listens too.
    async fn start(backend: &str, order: &[&'static str]) -> Lab {
        let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
        let outside = Outside::attach(&sandbox, "up0", 113);
        let conn = sandbox.connect().await;
        let mut guests = Vec::new();
        let mut listeners = vec![outside.ns.keep_listening(PORT)];
        for name in order {
            let (_, xml, address, gateway) = NETWORKS.iter().find(|(n, ..)| n == name).unwrap();
            sandbox.define_and_start(&conn, xml).await;
            let bridge = format!("vn{name}");
            let guest = Guest::plug(&sandbox, &bridge, None);
            guest.ns.configure("eth0", address, gateway);
            listeners.push(guest.ns.keep_listening(PORT));
            outside.route(&address.replace(".50/24", ".0/24"));
            let ip = address.split('/').next().unwrap().to_owned();
            guests.push((*name, guest, ip));
        }
        // A new bridge port forwards only after STP's listening and learning (2 s each).
        for (name, guest, _) in &guests {
            let gateway = NETWORKS.iter().find(|(n, ..)| n == name).unwrap().3;
            let began = Instant::now();
            while !guest.ns.ping(gateway) {
                assert!(began.elapsed() < Duration::from_secs(15), "{name}'s guest cannot reach {gateway}");
            }
        }
        Lab { sandbox, outside, guests, _listeners: listeners }
    }

    fn guest(&self, name: &str) -> &Guest {
        &self.guests.iter().find(|(n, ..)| *n == name).unwrap().1
    }

    fn ip(&self, name: &str) -> &str {
        &self.guests.iter().find(|(n, ..)| *n == name).unwrap().2
    }

    /// Whether a TCP connection from `from` (a network's guest, or "outside") to
    /// `to`'s guest (or "outside") is accepted.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let target = if to == "outside" { self.outside.ip.as_str() } else { self.ip(to) };
        let ns = if from == "outside" { &self.outside.ns } else { &self.guest(from).ns };
        ns.connect(target, PORT)
    }
}

/// The table: who may reach whom.
const EXPECTED: [(&str, &str, bool); 7] = [
    ("lab", "iso", false),
    ("rt", "iso", false),
    ("outside", "iso", false),
    ("lab", "lab2", false),
    ("lab2", "lab", false),
    ("lab", "rt", true),
    ("lab", "outside", true),
];

async fn isolation_in_either_start_order(backend: &str) {
    for order in [["iso", "lab", "lab2", "rt"], ["rt", "lab2", "lab", "iso"]] {
        let lab = Lab::start(backend, &order).await;
        let wrong: Vec<String> = EXPECTED
            .iter()
            .filter(|(from, to, expected)| lab.reaches(from, to) != *expected)
            .map(|(from, to, expected)| {
                format!("{from} -> {to}: expected {}", if *expected { "open" } else { "blocked" })
            })
            .collect();
        assert!(wrong.is_empty(), "{backend}, started in the order {order:?}:\n{}", wrong.join("\n"));

        // Stopped in the same order (and the sandbox's default network last), they
        // leave no chain or table of ours.
        let conn = lab.sandbox.connect().await;
        for name in order.iter().chain(&["default"]) {
            lab.sandbox.network(&conn, name).await.destroy().await.unwrap();
        }
        for tool in ["iptables-save", "ip6tables-save"] {
            let rules = String::from_utf8_lossy(&lab.sandbox.netns_exec(&[tool]).stdout).into_owned();
            assert!(!rules.contains("VN-"), "{tool} after every network stopped:\n{rules}");
        }
        let tables = String::from_utf8_lossy(&lab.sandbox.netns_exec(&["nft", "list", "tables"]).stdout).into_owned();
        assert!(!tables.contains("virtnet_"), "{tables}");
    }
}

/// What other software does to the firewall: the first line of most nftables.conf, or
/// iptables' flush of every chain.
fn flush(sandbox: &Sandbox, backend: &str) {
    let commands: &[&[&str]] = match backend {
        "nftables" => &[&["nft", "flush", "ruleset"]],
        _ => &[&["iptables", "-F"], &["iptables", "-X"]],
    };
    for command in commands {
        let out = sandbox.netns_exec(command);
        assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Whether the network on `bridge` has its rules (its table, or FORWARD's jumps to
/// the shared chains and its own chain's jump).
fn has_rules(sandbox: &Sandbox, backend: &str, bridge: &str) -> bool {
    match backend {
        "nftables" => {
            let out = sandbox.netns_exec(&["nft", "list", "tables"]);
            String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == format!("table inet virtnet_{bridge}"))
        }
        _ => {
            let out = sandbox.netns_exec(&["iptables", "-S"]);
            let rules = String::from_utf8_lossy(&out.stdout).into_owned();
            rules.contains("-A FORWARD -j VN-FWI") && rules.contains(&format!("-A VN-FWI -j VN-{bridge}-FWI"))
        }
    }
}

async fn rules_come_back_after_a_flush(backend: &str) {
    let lab = Lab::start(backend, &["iso", "lab"]).await;
    assert!(lab.reaches("lab", "outside"), "lab's guest cannot get out before the flush");
    assert!(!lab.reaches("iso", "outside"), "the isolated guest gets out before the flush");

    // The isolated guest keeps trying to get out, every 100 ms, through the flush.
    let probe = lab.guest("iso").ns.probe(&lab.outside.ip, PORT, Duration::from_secs(4), Duration::from_millis(100));
    std::thread::sleep(Duration::from_millis(500));
    flush(&lab.sandbox, backend);
    let flushed = Instant::now();
    for bridge in ["vniso", "vnlab"] {
        while !has_rules(&lab.sandbox, backend, bridge) {
            assert!(flushed.elapsed() < Duration::from_secs(2), "{bridge}'s rules are not back 2 s after the flush");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    eprintln!("figure: {backend} rules back {} ms after the flush", flushed.elapsed().as_millis());
    let (connected, attempts) = probe.result();
    assert!(attempts >= 20, "the probe made only {attempts} attempts");
    assert_eq!(connected, 0, "the isolated guest reached the outside {connected} times during the flush");

    // NAT works again: the outside sees the host's address.
    let watch = lab.outside.ns.listen(PORT + 1);
    assert!(lab.guest("lab").ns.connect(&lab.outside.ip, PORT + 1));
    assert_eq!(watch.peer(), lab.outside.host_ip);
    assert!(!lab.reaches("iso", "outside"));
    let forwarding = lab.sandbox.netns_exec(&["sysctl", "-n", "net.ipv4.conf.vniso.forwarding"]);
    assert_eq!(String::from_utf8_lossy(&forwarding.stdout).trim(), "0");
}

async fn isolated_guests_reach_only_the_hosts_services(backend: &str) {
    let lab = Lab::start(backend, &["iso", "lab"]).await;
    const SERVICE: u16 = 2222;
    let _service = keep_listening_in(lab.sandbox.netns(), SERVICE);
    let iso = &lab.guest("iso").ns;
    let nat = &lab.guest("lab").ns;
    let uplink = lab.outside.host_ip.as_str();
    assert!(!iso.connect("10.71.0.1", SERVICE), "an isolated guest reached a service on its bridge's address");
    assert!(!iso.connect(uplink, SERVICE), "an isolated guest reached a service on the host's uplink address");
    // What it does get: ICMP, DNS (DHCP: the datapath tests), and the host's own
    // connections to it keep working (their replies come in).
    assert!(iso.ping("10.71.0.1"));
    assert_eq!(lab.guest("iso").resolve("printer", "10.71.0.1").as_deref(), Some("10.71.0.9"));
    let from_host = lab.sandbox.netns_exec(&[
        "/usr/bin/python3",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/net/peer.py"),
        "connect",
        lab.ip("iso"),
        &PORT.to_string(),
    ]);
    assert!(from_host.status.success(), "the host cannot connect to an isolated guest");
    // NAT guests reach the host's services, as with libvirt.
    assert!(nat.connect("10.72.0.1", SERVICE));
    assert!(nat.connect(uplink, SERVICE));
}

/// `virtnet net-info NAME`'s lines as (label, value).
fn net_info(sandbox: &Sandbox, name: &str) -> Vec<(String, String)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-info", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn firewall_line(sandbox: &Sandbox, name: &str) -> Option<String> {
    net_info(sandbox, name).into_iter().find(|(k, _)| k == "Firewall").map(|(_, v)| v)
}

async fn a_foreign_drop_policy_is_named(backend: &str) {
    let lab = Lab::start(backend, &["lab"]).await;
    assert_eq!(firewall_line(&lab.sandbox, "lab"), None);
    // Docker's kind of table: ip filter FORWARD with policy drop (with the iptables
    // backend, iptables-nft's own chain, which holds our jumps, gets the policy).
    for command in [
        &["nft", "add", "table", "ip", "filter"][..],
        &["nft", "add", "chain", "ip", "filter", "FORWARD", "{ type filter hook forward priority 0; policy drop; }"],
    ] {
        let out = lab.sandbox.netns_exec(command);
        assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let added = Instant::now();
    if backend == "nftables" {
        let said = loop {
            if let Some(said) = firewall_line(&lab.sandbox, "lab") {
                break said;
            }
            assert!(
                added.elapsed() < Duration::from_secs(5),
                "net-info does not name the chain:\n{}",
                lab.sandbox.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(
            said.contains("Table ip filter, chain FORWARD (policy drop)") && said.contains("--firewall iptables"),
            "{said}"
        );
        // What it says is true: lab's guests no longer get out.
        assert!(!lab.reaches("lab", "outside"), "the drop policy did not drop");
    } else {
        // Our jumps come first in that very chain: nothing to report, and traffic flows.
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(firewall_line(&lab.sandbox, "lab"), None);
        assert!(lab.reaches("lab", "outside"));
    }
    assert!(lab.sandbox.netns_exec(&["nft", "delete", "table", "ip", "filter"]).status.success());
    let removed = Instant::now();
    while firewall_line(&lab.sandbox, "lab").is_some() {
        assert!(removed.elapsed() < Duration::from_secs(5), "net-info still names the chain");
        std::thread::sleep(Duration::from_millis(100));
    }
}

for_each_backend!(
    isolation_in_either_start_order,
    rules_come_back_after_a_flush,
    isolated_guests_reach_only_the_hosts_services,
    a_foreign_drop_policy_is_named
);
