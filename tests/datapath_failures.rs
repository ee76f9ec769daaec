//! Failures during Start roll everything back, and Destroy removes everything: after
//! dnsmasq refuses its configuration or cannot bind, the firewall refuses the rules, or
//! a route fails, no bridge, rule, forwarding change of ours, process or file is left
//! (a stop leaves forwarding on, as libvirt does: something else may rely on it).
//! Also: a dead dnsmasq is restarted at once, rules flushed by someone else come back
//! with Reload and with a helper restart, and a subnet in use is refused by name.
//!
//! The firewall refusal is simulated by a failing `nft`/`ip6tables-restore` put first
//! on virtnetd's PATH (the real tools' success is proven by the traffic tests); every
//! other failure is a real one.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::for_each_backend;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::net::{Guest, Outside};
use common::sandbox::{Sandbox, process_alive};
use virtnet::dbus::proxy::NetworkProxy;
use virtnet::dbus::{ErrorKind, HelperError};

async fn define(sandbox: &Sandbox, conn: &zbus::Connection, xml: &str) -> NetworkProxy<'static> {
    let path = sandbox.manager(conn).await.define_xml(xml).await.unwrap();
    NetworkProxy::builder(conn).path(path).cache_properties(zbus::proxy::CacheProperties::No).build().await.unwrap()
}

fn sysctl(sandbox: &Sandbox, key: &str) -> String {
    String::from_utf8_lossy(&sandbox.netns_exec(&["sysctl", "-n", key]).stdout).trim().to_owned()
}

/// Stops the default network and turns forwarding off, as on a fresh host (virtnet
/// leaves it on when its last network stops, as libvirt does).
async fn without_default(sandbox: &Sandbox, conn: &zbus::Connection) {
    sandbox.network(conn, "default").await.destroy().await.unwrap();
    assert_eq!(sysctl(sandbox, "net.ipv4.ip_forward"), "1", "forwarding was turned off with the last network");
    let out = sandbox.netns_exec(&["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    assert!(out.status.success());
}

fn dnsmasq_processes(sandbox: &Sandbox) -> Vec<u32> {
    sandbox.dnsmasq_processes()
}

/// Nothing of network `name` on bridge `bridge` is left in the sandbox; IPv4
/// forwarding reads `forwarding` (a failed start takes back turning it on; a stop
/// leaves it on).
fn assert_no_trace_but_forwarding(sandbox: &Sandbox, name: &str, bridge: &str, forwarding: &str) {
    assert!(sandbox.link(bridge).is_none(), "bridge {bridge} left behind");
    let tables = String::from_utf8_lossy(&sandbox.netns_exec(&["nft", "list", "tables"]).stdout).into_owned();
    assert!(!tables.contains(&format!("virtnet_{bridge}")), "nftables table left: {tables}");
    for save in ["iptables-save", "ip6tables-save"] {
        let rules = String::from_utf8_lossy(&sandbox.netns_exec(&[save]).stdout).into_owned();
        assert!(!rules.contains(&format!("VN-{bridge}-")), "{save}: chains left:\n{rules}");
    }
    assert_eq!(sysctl(sandbox, "net.ipv4.ip_forward"), forwarding, "forwarding");
    assert!(dnsmasq_processes(sandbox).is_empty(), "dnsmasq left running");
    for dir in ["lib/dnsmasq", "run"] {
        let left: Vec<String> = std::fs::read_dir(sandbox.path(dir))
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect())
            .unwrap_or_default();
        assert!(
            !left.iter().any(|f| f.starts_with(&format!("{name}.")) || f.starts_with(&format!("{bridge}."))),
            "{dir}: {left:?}"
        );
    }
}

/// After a failed start: nothing left, forwarding off as before.
fn assert_no_trace(sandbox: &Sandbox, name: &str, bridge: &str) {
    assert_no_trace_but_forwarding(sandbox, name, bridge, "0");
}

fn kind(result: zbus::Result<()>) -> (ErrorKind, String) {
    let error = HelperError::from(result.expect_err("the start should fail"));
    (error.kind, error.message)
}

async fn dnsmasq_refusing_its_configuration(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    without_default(&sandbox, &conn).await;
    let bad = define(
        &sandbox,
        &conn,
        "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><name>bad</name><forward mode='nat'/>
           <bridge name='vnbad'/><ip address='10.100.0.1' prefix='24'/>
           <dnsmasq:options><dnsmasq:option value='no-such-option=1'/></dnsmasq:options></network>",
    )
    .await;
    let (k, message) = kind(bad.start().await);
    assert_eq!(k, ErrorKind::Dnsmasq, "{message}");
    assert!(message.contains("bad option"), "dnsmasq's own message should reach the caller: {message}");
    assert!(!bad.active().await.unwrap());
    assert_no_trace(&sandbox, "bad", "vnbad");
}

async fn dnsmasq_unable_to_bind(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    without_default(&sandbox, &conn).await;
    // Another program holds the DHCP port (without sharing it).
    let mut port = sandbox.netns_spawn(&[
        "/usr/bin/python3",
        "-c",
        "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 67)); print('bound', flush=True); time.sleep(60)",
    ]);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(port.stdout.take().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "bound");

    let busy = define(
        &sandbox,
        &conn,
        "<network><name>busy</name><forward mode='nat'/><bridge name='vnbusy'/>
           <ip address='10.101.0.1' prefix='24'><dhcp><range start='10.101.0.10' end='10.101.0.20'/></dhcp></ip></network>",
    )
    .await;
    let (k, message) = kind(busy.start().await);
    let _ = port.kill();
    let _ = port.wait();
    assert_eq!(k, ErrorKind::Dnsmasq, "{message}");
    assert!(message.contains("failed to bind DHCP server socket: Address already in use"), "{message}");
    assert_no_trace(&sandbox, "busy", "vnbusy");
}

/// Failing stand-ins for the firewall tools: they refuse the rules of bridge
/// `vnfail` (the iptables one only for IPv6, after IPv4's rules went in) and pass
/// everything else to the real tool.
fn failing_tools(dir: &Path) {
    let nft = "#!/bin/sh\ninput=$(cat)\ncase \"$input\" in *'table inet virtnet_vnfail {'*) echo 'Error: Could not process rule: simulated refusal' >&2; exit 1;; esac\nprintf '%s\\n' \"$input\" | exec /usr/sbin/nft \"$@\"\n";
    let ip6 = "#!/bin/sh\ninput=$(cat)\ncase \"$input\" in *'-A VN-vnfail-FWO'*) echo 'ip6tables-restore: line 9 failed (simulated)' >&2; exit 1;; esac\nprintf '%s\\n' \"$input\" | exec /usr/sbin/ip6tables-restore \"$@\"\n";
    for (tool, script) in [("nft", nft), ("ip6tables-restore", ip6)] {
        let path = dir.join(tool);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

async fn firewall_refusing_the_rules(backend: &str) {
    let tools = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tools.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    failing_tools(tools.path());
    let sandbox = Sandbox::start_with_path(&format!("--firewall {backend}"), tools.path());
    let conn = sandbox.connect().await;
    without_default(&sandbox, &conn).await;
    let fail = define(
        &sandbox,
        &conn,
        "<network><name>fail</name><forward mode='nat'/><bridge name='vnfail'/>
           <ip address='10.102.0.1' prefix='24'><dhcp><range start='10.102.0.10' end='10.102.0.20'/></dhcp></ip></network>",
    )
    .await;
    let (k, message) = kind(fail.start().await);
    assert_eq!(k, ErrorKind::Firewall, "{message}");
    assert!(message.contains("simulated"), "the tool's own message should reach the caller: {message}");
    assert_no_trace(&sandbox, "fail", "vnfail");
}

async fn a_route_failing_half_way(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    without_default(&sandbox, &conn).await;
    // The second, identical route is refused by the kernel after everything before it.
    let half = define(
        &sandbox,
        &conn,
        "<network><name>half</name><forward mode='nat'/><bridge name='vnhalf'/>
           <ip address='10.103.0.1' prefix='24'/>
           <route address='10.104.0.0' prefix='16' gateway='10.103.0.9' metric='1'/>
           <route address='10.104.0.0' prefix='16' gateway='10.103.0.9' metric='1'/></network>",
    )
    .await;
    let (k, message) = kind(half.start().await);
    assert_eq!(k, ErrorKind::Netlink, "{message}");
    assert!(message.contains("File exists"), "{message}");
    assert_no_trace(&sandbox, "half", "vnhalf");
}

async fn destroy_after_pieces_vanished(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    without_default(&sandbox, &conn).await;
    let gone = define(
        &sandbox,
        &conn,
        "<network><name>gone</name><forward mode='nat'/><bridge name='vngone'/>
           <ip address='10.105.0.1' prefix='24'><dhcp><range start='10.105.0.10' end='10.105.0.20'/></dhcp></ip></network>",
    )
    .await;
    gone.start().await.unwrap();
    assert_eq!(sysctl(&sandbox, "net.ipv4.ip_forward"), "1");
    // Something else (Docker, podman) comes to rely on forwarding meanwhile.
    assert!(sandbox.netns_exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]).status.success());
    // Someone deletes the bridge and flushes the rules behind virtnet's back.
    sandbox.netns_exec(&["ip", "link", "del", "vngone"]);
    sandbox.netns_exec(&["nft", "delete", "table", "inet", "virtnet_vngone"]);
    gone.destroy().await.unwrap();
    // Everything of the network goes, forwarding stays on (as libvirt leaves it).
    assert_no_trace_but_forwarding(&sandbox, "gone", "vngone", "1");
}

async fn dnsmasq_restarted_when_it_dies(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    let lab = define(
        &sandbox,
        &conn,
        "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/>
           <ip address='10.106.0.1' prefix='24'><dhcp><range start='10.106.0.10' end='10.106.0.20'/></dhcp></ip></network>",
    )
    .await;
    lab.start().await.unwrap();
    let pidfile = sandbox.path("run/lab.pid");
    let first: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(process_alive(first));
    assert!(std::process::Command::new("kill").args(["-KILL", &first.to_string()]).status().unwrap().success());
    let killed = Instant::now();
    let second = loop {
        let pid: Option<u32> = std::fs::read_to_string(&pidfile).ok().and_then(|p| p.trim().parse().ok());
        if let Some(pid) = pid.filter(|p| *p != first && process_alive(*p)) {
            break pid;
        }
        assert!(killed.elapsed() < Duration::from_secs(5), "dnsmasq was not restarted:\n{}", sandbox.log());
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(1), "the restart took {took:?}");
    assert_eq!(dnsmasq_processes(&sandbox).iter().filter(|p| **p == second).count(), 1);
    // ... and it serves.
    let guest = Guest::plug(&sandbox, "vnlab", None);
    assert!(guest.dhcp("g1").ip.starts_with("10.106.0."));
    // Destroy stops it for good (no restart).
    lab.destroy().await.unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!process_alive(second));
    assert!(!pidfile.exists());
}

async fn rules_come_back(backend: &str) {
    let mut sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let conn = sandbox.connect().await;
    // Emptied rather than deleted: the helper's own watch brings back deleted tables
    // and chains by itself (tests/firewall_isolation.rs); emptied ones come back with
    // Reload and a restart.
    let rules_present = |sandbox: &Sandbox| {
        if backend == "nftables" {
            let out = sandbox.netns_exec(&["nft", "list", "table", "inet", "virtnet_virbr0"]);
            String::from_utf8_lossy(&out.stdout).contains("masquerade")
        } else {
            String::from_utf8_lossy(&sandbox.netns_exec(&["iptables-save"]).stdout).contains("-A VN-virbr0-FWO")
        }
    };
    let flush = |sandbox: &Sandbox| {
        if backend == "nftables" {
            sandbox.netns_exec(&["nft", "flush", "table", "inet", "virtnet_virbr0"]);
        } else {
            sandbox.netns_exec(&["iptables", "-F", "VN-virbr0-FWO"]);
        }
        assert!(!rules_present(sandbox));
    };
    assert!(rules_present(&sandbox));
    flush(&sandbox);
    sandbox.manager(&conn).await.reload().await.unwrap();
    assert!(rules_present(&sandbox), "Reload did not restore the rules");
    // Reloading twice leaves one copy of each rule.
    sandbox.manager(&conn).await.reload().await.unwrap();
    if backend == "iptables" {
        let saved = String::from_utf8_lossy(&sandbox.netns_exec(&["iptables-save"]).stdout).into_owned();
        for rule in
            ["-A FORWARD -j VN-FWX", "-A VN-FWX -j VN-virbr0-FWX", "-A VN-virbr0-FWX -i virbr0 -o virbr0 -j ACCEPT"]
        {
            assert_eq!(saved.matches(rule).count(), 1, "{rule}:\n{saved}");
        }
    }
    // A helper restarted after a crash applies them again too.
    flush(&sandbox);
    sandbox.kill_helper_hard();
    sandbox.restart_helper();
    assert!(rules_present(&sandbox), "a restarted helper did not restore the rules");
}

async fn subnets_in_use_are_refused_by_name(backend: &str) {
    let sandbox = Sandbox::start_with_args(&format!("--firewall {backend}"));
    let _outside = Outside::attach(&sandbox, "up0", 113);
    let conn = sandbox.connect().await;
    let lan =
        define(&sandbox, &conn, "<network><name>lan</name><ip address='203.0.113.129' prefix='25'/></network>").await;
    let (k, message) = kind(lan.start().await);
    assert_eq!(k, ErrorKind::SubnetInUse);
    assert_eq!(
        message,
        "cannot start network 'lan': its subnet 203.0.113.128/25 overlaps the address 203.0.113.1/24 on up0; 192.168.123.0/24 is free"
    );
    let twin =
        define(&sandbox, &conn, "<network><name>twin</name><ip address='192.168.122.200' prefix='24'/></network>")
            .await;
    let (k, message) = kind(twin.start().await);
    assert_eq!(k, ErrorKind::SubnetInUse);
    assert!(message.contains("overlaps 192.168.122.0/24 of network 'default'"), "{message}");
    let v6 = define(
        &sandbox,
        &conn,
        "<network><name>v6</name><ip family='ipv6' address='fd00:7::1' prefix='64'/></network>",
    )
    .await;
    v6.start().await.unwrap();
    let v6b = define(
        &sandbox,
        &conn,
        "<network><name>v6b</name><ip family='ipv6' address='fd00:7::8001' prefix='65'/></network>",
    )
    .await;
    let (k, message) = kind(v6b.start().await);
    assert_eq!(k, ErrorKind::SubnetInUse, "{message}");
    assert!(message.contains("fd00:7::/64 of network 'v6'"), "{message}");
}

for_each_backend!(
    dnsmasq_refusing_its_configuration,
    dnsmasq_unable_to_bind,
    firewall_refusing_the_rules,
    a_route_failing_half_way,
    destroy_after_pieces_vanished,
    dnsmasq_restarted_when_it_dies,
    rules_come_back,
    subnets_in_use_are_refused_by_name
);

/// An uplink whose IPv6 default route came from router advertisements, with
/// accept_ra=1 (the kernel would stop taking advertisements once forwarding is on).
fn uplink_with_ra_route(sandbox: &Sandbox) -> Outside {
    let outside = Outside::attach(sandbox, "up0", 113);
    for command in [
        &["sysctl", "-qw", "net.ipv6.conf.up0.accept_ra=1"][..],
        &["ip", "-6", "route", "add", "default", "via", "fe80::1", "dev", "up0", "proto", "ra"],
    ] {
        let out = sandbox.netns_exec(command);
        assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    outside
}

fn ra_route(sandbox: &Sandbox) -> String {
    String::from_utf8_lossy(&sandbox.netns_exec(&["ip", "-6", "route", "show", "default"]).stdout).trim().to_owned()
}

const V6_NAT: &str = "<network><name>v6</name><forward mode='nat'/><bridge name='vnv6'/>
  <ip address='10.107.0.1' prefix='24'/><ip family='ipv6' address='fd00:107::1' prefix='64'/></network>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_forwarding_that_would_lose_ra_routes_is_refused() {
    let sandbox = Sandbox::start();
    let _outside = uplink_with_ra_route(&sandbox);
    let before = ra_route(&sandbox);
    assert!(before.contains("proto ra"), "{before}");
    let conn = sandbox.connect().await;
    let v6 = define(&sandbox, &conn, V6_NAT).await;
    let (kind, message) = kind(v6.start().await);
    assert_eq!(kind, ErrorKind::Sysctl, "{message}");
    assert!(
        message.contains("up0")
            && message.contains("net.ipv6.conf.up0.accept_ra")
            && message.contains("--keep-ra-routes"),
        "{message}"
    );
    assert_eq!(sysctl(&sandbox, "net.ipv6.conf.all.forwarding"), "0");
    assert_eq!(sysctl(&sandbox, "net.ipv6.conf.up0.accept_ra"), "1");
    assert_eq!(ra_route(&sandbox), before, "the route changed");
    assert!(sandbox.link("vnv6").is_none(), "a bridge was left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_ra_routes_sets_accept_ra_before_forwarding() {
    let sandbox = Sandbox::start_with_args("--keep-ra-routes");
    let _outside = uplink_with_ra_route(&sandbox);
    let before = ra_route(&sandbox);
    let conn = sandbox.connect().await;
    define(&sandbox, &conn, V6_NAT).await.start().await.unwrap();
    assert_eq!(sysctl(&sandbox, "net.ipv6.conf.up0.accept_ra"), "2");
    assert_eq!(sysctl(&sandbox, "net.ipv6.conf.all.forwarding"), "1");
    assert_eq!(ra_route(&sandbox), before);
}
