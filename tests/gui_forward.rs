//! Port forwarding from the window, end to end: on the sandbox's running `default`
//! network, the window's "Port Forwarding" section (tests/gui/forward_e2e.py) refuses a
//! guest outside the subnet as it is typed, then adds and applies a forward of port 2222
//! to the guest's port 22. Real traffic proves it: an outside host reaches the guest's
//! listener through the uplink's port 2222, and dnsmasq never restarted.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::gui::{Binaries, run_driver};
use common::net::{Guest, Outside};
use common::sandbox::Sandbox;

#[test]
fn a_forward_added_in_the_window_reaches_the_guest_at_once() {
    let sandbox = Sandbox::start();
    let virtnet = |args: &[&str]| sandbox.virtnet(args);
    if !virtnet(&["net-info", "default"]).lines().any(|l| l.starts_with("Active:") && l.ends_with("yes")) {
        virtnet(&["net-start", "default"]);
    }
    let outside = Outside::attach(&sandbox, "up0", 113);
    let bridge = sandbox.bridge_of("default");
    let guest = Guest::plug(&sandbox, &bridge, None);
    let lease = guest.dhcp("vm-a");
    let _ssh = guest.ns.keep_listening(22);
    let dnsmasq_pid = || std::fs::read_to_string(sandbox.path("run/default.pid")).unwrap().trim().to_owned();
    let pid = dnsmasq_pid();
    assert!(!outside.ns.connect(&outside.host_ip, 2222), "port 2222 is open before the forward");

    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    let mut env = vec![("GUEST_IP", lease.ip.clone())];
    for name in ["FORWARD_SCREENSHOT", "DIAGRAM_SCREENSHOT"] {
        if let Some(shot) = std::env::var_os(name) {
            env.push((name, shot.to_string_lossy().into_owned()));
        }
    }
    run_driver(&sandbox, "forward_e2e.py", &binaries, &env);

    assert!(outside.ns.connect(&outside.host_ip, 2222), "the forward added in the window lets nobody in");
    assert_eq!(dnsmasq_pid(), pid, "a forward added in the window must not restart dnsmasq");
    let list = virtnet(&["net-forward-list", "default"]);
    assert!(list.contains(&format!("{}:22", lease.ip)), "{list}");
}
