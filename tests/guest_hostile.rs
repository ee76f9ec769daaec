//! virtnetd against hostile guests, with real DHCP traffic: a host name made to forge a
//! lease line is never written back to dnsmasq, so after dnsmasq restarts the forged
//! name does not resolve, the forged lease does not exist, and dnsmasq keeps running.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::net::Guest;
use common::sandbox::{Sandbox, process_alive};

const LAB: &str = "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/><domain name='lab'/>
  <ip address='10.66.0.1' prefix='24'><dhcp><range start='10.66.0.100' end='10.66.0.150'/></dhcp></ip></network>";

/// What the guest calls itself: after a lease line's host name field, a second lease
/// line giving 10.66.0.9 the name `gateway`.
const FORGED: &str = "x *\n0 52:54:00:66:66:66 10.66.0.9 gateway";

/// Waits until the sandbox's dnsmasq processes are others than `old` (the helper
/// restarted it) and have settled (the first process of a start forks and exits).
fn wait_for_new_dnsmasq(sandbox: &Sandbox, old: &[u32]) -> Vec<u32> {
    let until = Instant::now() + Duration::from_secs(30);
    let mut last = Vec::new();
    loop {
        let now = sandbox.dnsmasq_processes();
        if !now.is_empty() && now.iter().all(|pid| !old.contains(pid)) && now == last {
            return now;
        }
        last = now;
        assert!(Instant::now() < until, "dnsmasq was not started again within 30 s:\n{}", sandbox.log());
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_host_name_never_becomes_a_lease_or_a_dns_name() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let lab = sandbox.define_and_start(&conn, LAB).await;

    let guest = Guest::plug(&sandbox, "vnlab", None);
    let lease = guest.dhcp_raw_hostname(FORGED.as_bytes());
    // dnsmasq runs the lease script after answering: the lease is recorded a moment
    // after the guest has its address.
    let began = Instant::now();
    let leases = loop {
        let leases = lab.get_dhcp_leases("").await.unwrap();
        if leases.iter().any(|l| l.address == lease.ip) || began.elapsed() > Duration::from_secs(10) {
            break leases;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let ours = leases.iter().find(|l| l.address == lease.ip).unwrap_or_else(|| panic!("no lease: {leases:?}"));
    assert_eq!(ours.hostname, "", "a host name that is no DNS label is kept: {ours:?}");

    // dnsmasq dies; the helper starts it again, and the new dnsmasq asks the lease
    // script for the leases it knew ("init").
    let old = sandbox.dnsmasq_processes();
    assert!(!old.is_empty());
    for pid in &old {
        // Ended by PID: these are this sandbox's own dnsmasq processes.
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    let new = wait_for_new_dnsmasq(&sandbox, &old);

    for name in ["gateway", "gateway.lab"] {
        assert_eq!(guest.resolve(name, "10.66.0.1"), None, "{name} resolves: the forged lease was read back");
    }
    let leases = lab.get_dhcp_leases("").await.unwrap();
    assert!(leases.iter().all(|l| l.address != "10.66.0.9"), "a forged lease exists: {leases:?}");
    assert!(leases.iter().any(|l| l.address == lease.ip), "the guest's real lease was lost: {leases:?}");

    // dnsmasq keeps running and serving: another guest gets an address.
    let other = Guest::plug(&sandbox, "vnlab", None);
    assert!(other.dhcp("other").ip.starts_with("10.66.0."));
    assert!(new.iter().all(|pid| process_alive(*pid)), "dnsmasq died after restarting:\n{}", sandbox.log());
    assert_eq!(sandbox.dnsmasq_processes(), new, "dnsmasq was restarted again:\n{}", sandbox.log());
    assert_eq!(other.resolve("other.lab", "10.66.0.1").as_deref(), Some(other.dhcp("other").ip.as_str()));
}

/// A guest's name as a terminal or a window would take it: markup, an escape sequence
/// that retitles the terminal, a bell.
const HOSTILE_NAME: &str = "<b>x</b>&\u{1b}]0;pwned\u{7}";

/// Whatever the lease file says (it is written here as if a guest had got this name
/// through), `virtnet net-dhcp-leases` prints no control byte, and the helper hands out
/// no name that is not a DNS label: the guest's real address is listed without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_lease_name_reaches_no_terminal() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let lab = sandbox.define_and_start(&conn, LAB).await;
    let lease = serde_json::json!([{
        "ip-address": "10.66.0.120", "mac-address": "52:54:00:66:00:01",
        "hostname": HOSTILE_NAME, "client-id": "01:52:54:00:66:00:01\u{1b}[2J", "expiry-time": 0
    }]);
    std::fs::write(sandbox.path("lib/dnsmasq/vnlab.status"), lease.to_string()).unwrap();

    let leases = lab.get_dhcp_leases("").await.unwrap();
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert_eq!((leases[0].hostname.as_str(), leases[0].client_id.as_str()), ("", ""), "{leases:?}");
    for json in [false, true] {
        let mut args = vec!["-c", sandbox.address(), "net-dhcp-leases", "lab"];
        if json {
            args.push("--json");
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_virtnet")).args(&args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.iter().any(|b| *b == 0x1b || *b == 0x07), "{:?}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("10.66.0.120"));
    }
}
