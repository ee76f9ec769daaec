//! The new-network wizard end to end: the real window under Xvfb against a real helper
//! in a sandbox, driven through the accessibility tree (tests/gui/wizard_e2e.py). One
//! network per mode is created and the helper, asked with `virtnet`, must have what was
//! chosen, running; a subnet in use is flagged as typed, and one taken meanwhile is
//! refused at Create, leaving nothing defined.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::gui::{Binaries, run_driver};
use common::sandbox::Sandbox;

#[test]
fn the_wizard_creates_each_kind_of_network_and_cleans_up_a_refused_one() {
    let sandbox = Sandbox::start();
    // An uplink to forward to, with the LAN's subnet the last step collides with.
    for args in [
        &["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"][..],
        &["ip", "addr", "add", "192.168.1.20/24", "dev", "eth0"],
        &["ip", "link", "set", "eth0", "up"],
        &["ip", "link", "set", "eth0-peer", "up"],
    ] {
        let out = sandbox.netns_exec(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    let tmp = sandbox.dir.path().to_str().unwrap().to_owned();
    run_driver(&sandbox, "wizard_e2e.py", &binaries, &[("E2E_TMP", tmp)]);
}
