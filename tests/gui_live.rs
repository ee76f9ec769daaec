//! Live edits from the window, end to end: against a real helper in a sandbox whose
//! `default` network runs with a guest holding a lease, the window (tests/gui/live_e2e.py)
//! reserves the guest's address from its lease row and adds a static host in the form;
//! neither shows the restart notice. Then real DHCP proves both: a guest with the new
//! host's MAC gets its address, the reserved guest keeps its own, and dnsmasq never
//! restarted (same pid).

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::gui::{Binaries, run_driver};
use common::net::Guest;
use common::sandbox::Sandbox;

/// The static host the driver adds in the form.
const PINNED_MAC: &str = "52:54:00:00:00:42";
const PINNED_IP: &str = "192.168.122.42";

#[test]
fn static_hosts_added_in_the_window_apply_to_the_running_network_at_once() {
    let sandbox = Sandbox::start();
    let virtnet = |args: &[&str]| sandbox.virtnet(args);
    if !virtnet(&["net-info", "default"]).lines().any(|l| l.starts_with("Active:") && l.ends_with("yes")) {
        virtnet(&["net-start", "default"]);
    }
    let bridge = sandbox.bridge_of("default");
    let guest = Guest::plug(&sandbox, &bridge, None);
    let lease = guest.dhcp("vm-a");
    assert!(lease.ip.starts_with("192.168.122."), "{lease:?}");
    let dnsmasq_pid = || std::fs::read_to_string(sandbox.path("run/default.pid")).unwrap().trim().to_owned();
    let pid = dnsmasq_pid();

    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    run_driver(
        &sandbox,
        "live_e2e.py",
        &binaries,
        &[
            ("GUEST_MAC", guest.mac.clone()),
            ("GUEST_IP", lease.ip.clone()),
            ("PINNED_MAC", PINNED_MAC.to_owned()),
            ("PINNED_IP", PINNED_IP.to_owned()),
        ],
    );

    assert_eq!(dnsmasq_pid(), pid, "live edits must not restart dnsmasq");
    let pinned = Guest::plug(&sandbox, &bridge, Some(PINNED_MAC));
    assert_eq!(pinned.dhcp("vm-b").ip, PINNED_IP, "the static host added in the form pins its guest");
    assert_eq!(guest.dhcp("vm-a").ip, lease.ip, "the reserved guest keeps its address");
    let leases = virtnet(&["net-dhcp-leases", "default"]);
    assert!(leases.contains(&lease.ip) && leases.contains(PINNED_IP), "{leases}");
    assert_eq!(dnsmasq_pid(), pid);
}
