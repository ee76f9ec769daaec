//! virtnet-manager's window end to end: the real window under Xvfb against a real
//! helper in a sandbox, driven through the accessibility tree (tests/gui/window_e2e.py);
//! after each step the helper, asked with `virtnet`, must agree. Includes another
//! firewall's drop policy appearing in the sandbox, named on the network's page.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::gui::{Binaries, run_driver};
use common::sandbox::{Sandbox, script};

const LAB: &str = "<network>
  <name>lab</name>
  <forward mode='nat'/>
  <ip address='192.168.150.1' prefix='24'>
    <dhcp>
      <range start='192.168.150.2' end='192.168.150.254'/>
    </dhcp>
  </ip>
</network>
";

#[test]
fn the_window_starts_stops_edits_and_deletes_as_the_helper_confirms() {
    let sandbox = Sandbox::start();
    let definition = sandbox.path("lab.xml");
    std::fs::write(&definition, LAB).unwrap();
    let define = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-define", definition.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(define.status.success(), "{}", String::from_utf8_lossy(&define.stderr));
    // A name another user chose, which would be markup if the window took it as such.
    let marked = sandbox.path("marked.xml");
    std::fs::write(&marked, "<network><name>&lt;b&gt;bold&amp;co</name><bridge name='vnmarked'/></network>").unwrap();
    let define = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-define", marked.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(define.status.success(), "{}", String::from_utf8_lossy(&define.stderr));

    let dir = sandbox.dir.path().to_str().unwrap();
    let stop_helper = format!(
        ". {dir}/env && kill $SANDBOX_HELPER_PID && while kill -0 $SANDBOX_HELPER_PID 2>/dev/null; do sleep 0.05; done"
    );
    let start_helper = format!("{} helper {dir} >/dev/null", script().display());
    // Docker's kind of table: iptables-nft's filter FORWARD with policy drop.
    let netns = sandbox.netns();
    let foreign_drop = format!(
        "ip netns exec {netns} nft add table ip filter && ip netns exec {netns} nft add chain ip filter FORWARD '{{ type filter hook forward priority 0; policy drop; }}'"
    );
    let foreign_drop_remove = format!("ip netns exec {netns} nft delete table ip filter");
    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    run_driver(
        &sandbox,
        "window_e2e.py",
        &binaries,
        &[
            ("SANDBOX_HELPER_STOP", stop_helper),
            ("SANDBOX_HELPER_START", start_helper),
            ("SANDBOX_FOREIGN_DROP", foreign_drop),
            ("SANDBOX_FOREIGN_DROP_REMOVE", foreign_drop_remove),
        ],
    );
}
