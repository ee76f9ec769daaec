//! virtnetd with only what its systemd unit leaves it, on a machine without systemd:
//! the unit's capability bounding set, no new privileges, /proc/sys read-only but for
//! /proc/sys/net (build-aux/confine-like-unit reads the capabilities from the unit).
//! The datapath still works end to end: a guest's lease and NAT, dnsmasq adopted after
//! a helper restart (dnsmasq runs as its own user, whose /proc/PID/exe the confined
//! helper may not read), rules back after a flush, and a clean stop.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::net::{Guest, Outside};
use common::sandbox::Sandbox;

/// The capability bits of a process's bounding set.
fn bounding_set(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hex = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).unwrap().trim();
    u64::from_str_radix(hex, 16).unwrap()
}

const CAP_SYS_PTRACE: u64 = 1 << 19;
const CAP_SYS_ADMIN: u64 = 1 << 21;
const CAP_NET_ADMIN: u64 = 1 << 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_datapath_works_with_only_what_the_unit_allows() {
    let mut sandbox = Sandbox::start_confined();
    let caps = bounding_set(sandbox.helper_pid());
    assert!(caps & CAP_NET_ADMIN != 0 && caps & (CAP_SYS_ADMIN | CAP_SYS_PTRACE) == 0, "not confined: {caps:#x}");

    let outside = Outside::attach(&sandbox, "up0", 113);
    let conn = sandbox.connect().await;
    sandbox
        .define_and_start(
            &conn,
            "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/>
               <ip address='10.120.0.1' prefix='24'><dhcp><range start='10.120.0.10' end='10.120.0.20'/>
                 <host mac='52:54:00:12:00:05' name='fixed' ip='10.120.0.5'/></dhcp></ip></network>",
        )
        .await;
    // dnsmasq reads its static hosts as its own user: the helper's files are readable.
    let guest = Guest::plug(&sandbox, "vnlab", Some("52:54:00:12:00:05"));
    assert_eq!(guest.dhcp("g1").ip, "10.120.0.5");
    let watch = outside.ns.listen(8080);
    assert!(guest.ns.connect(&outside.ip, 8080));
    assert_eq!(watch.peer(), outside.host_ip);

    // A restarted helper adopts the running dnsmasq instead of starting another.
    let dnsmasq = sandbox.dnsmasq_processes();
    let lab_dnsmasq: u32 = std::fs::read_to_string(sandbox.path("run/lab.pid")).unwrap().trim().parse().unwrap();
    drop(conn);
    sandbox.kill_helper_hard();
    sandbox.restart_helper();
    assert_eq!(bounding_set(sandbox.helper_pid()) & CAP_SYS_PTRACE, 0);
    assert_eq!(sandbox.dnsmasq_processes(), dnsmasq, "dnsmasq was not adopted:\n{}", sandbox.log());
    let conn = sandbox.connect().await;
    let lab = sandbox.network(&conn, "lab").await;
    assert!(lab.active().await.unwrap());
    assert_eq!(lab.get_dhcp_leases("").await.unwrap().len(), 1);

    // Taps for VMs: the tun driver with the unit's capabilities, plugged in, and a
    // persistent one given to another uid.
    let (fd, tap, _) = lab.open_port(std::collections::HashMap::new()).await.unwrap();
    assert_eq!(sandbox.link(&tap).unwrap()["master"], "vnlab");
    let options = std::collections::HashMap::from([("owner", zbus::Variant::from(1u32))]);
    let persistent = lab.create_port(options).await.unwrap();
    assert_eq!(lab.list_ports().await.unwrap().len(), 3, "the guest's veth, the VM's tap and the persistent tap");
    drop(fd);
    let _ = persistent;

    // Rules come back after a flush.
    assert!(sandbox.netns_exec(&["nft", "flush", "ruleset"]).status.success());
    let flushed = Instant::now();
    while !sandbox.netns_exec(&["nft", "list", "table", "inet", "virtnet_vnlab"]).status.success() {
        assert!(flushed.elapsed() < Duration::from_secs(2), "rules not back:\n{}", sandbox.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    lab.destroy().await.unwrap();
    assert!(sandbox.link("vnlab").is_none());
    assert!(!sandbox.dnsmasq_processes().contains(&lab_dnsmasq), "lab's dnsmasq left running");
    assert!(sandbox.log().lines().all(|l| !l.contains("Read-only file system")), "{}", sandbox.log());
}
