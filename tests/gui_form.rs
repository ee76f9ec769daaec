//! The details form end to end, as a user types: the real window under Xvfb against a
//! real helper in a sandbox with a real guest holding a lease, driven through the
//! accessibility tree and the keyboard (tests/gui/form_e2e.py). Retyping a field key by
//! key never loses a setting; a bad static host is refused at its row; stopping or
//! restarting a network with a guest on it asks first and names the guest; Enter in
//! the search opens the first match and a filtered-out network is not acted on.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::gui::{Binaries, run_driver};
use common::net::Guest;
use common::sandbox::Sandbox;

const LAB: &str = "<network>
  <name>lab</name>
  <forward mode='nat'/>
  <domain name='lab.example' localOnly='yes'/>
  <ip address='192.168.150.1' prefix='24'>
    <dhcp>
      <range start='192.168.150.2' end='192.168.150.254'/>
      <host mac='52:54:00:00:00:09' name='web' ip='192.168.150.9'/>
    </dhcp>
  </ip>
</network>
";

#[test]
fn retyping_fields_keeps_every_setting_and_guests_are_never_cut_off_silently() {
    let sandbox = Sandbox::start();
    let virtnet = |args: &[&str]| sandbox.virtnet(args);
    let definition = sandbox.path("lab.xml");
    std::fs::write(&definition, LAB).unwrap();
    virtnet(&["net-define", definition.to_str().unwrap()]);
    virtnet(&["net-start", "lab"]);
    let bridge = sandbox.bridge_of("lab");
    // A real guest with a lease: the window must name it before cutting it off.
    let guest = Guest::plug(&sandbox, &bridge, None);
    let lease = guest.dhcp("myvm");
    assert!(lease.ip.starts_with("192.168.150."), "{lease:?}");

    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    run_driver(&sandbox, "form_e2e.py", &binaries, &[]);
    drop(guest);
}
