//! A real guest operating system on virtnet networks (qemu under TCG, Debian's cloud
//! kernel, a busybox initramfs; see tests/common/vm.rs): plugged in as an unprivileged
//! user through virtnet-bridge-helper on a NAT network (lease, DNS record, gateway, a
//! page from outside through NAT, the port in net-port-list and gone with qemu);
//! through a persistent port on an isolated network (reaches a second guest, not the
//! outside, and is connected again after the network restarts, without doing
//! anything); and refused, with the sentence qemu prints.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/vm.rs"]
mod vm;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::net::{Guest, Outside};
use common::sandbox::Sandbox;
use vm::{Nic, Vm};
use zbus::Variant;

const STEP: Duration = Duration::from_secs(60);

/// A polkit sandbox whose one rule lets the user `daemon` plug VMs in.
fn sandbox_attach_for_daemon() -> Sandbox {
    Sandbox::start_granting_daemon("io.github.virtnet.attach")
}

/// Waits (stall check) until `condition` holds.
fn eventually(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const NAT: &str = "<network><name>vmnat</name><forward mode='nat'/><bridge name='vnvm0'/><domain name='lab'/>
  <dns><host ip='10.81.0.53'><hostname>files.lab</hostname></host></dns>
  <ip address='10.81.0.1' prefix='24'><dhcp><range start='10.81.0.100' end='10.81.0.150'/></dhcp></ip></network>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprivileged_users_vm_gets_a_lease_dns_and_nat_through_the_bridge_helper() {
    let sandbox = sandbox_attach_for_daemon();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let outside = Outside::attach(&sandbox, "up0", 117);
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("token.txt"), "through-nat-4711\n").unwrap();
    let mut server = outside.ns.spawn(&[
        "/usr/bin/python3",
        "-m",
        "http.server",
        "8080",
        "--bind",
        &outside.ip,
        "--directory",
        site.path().to_str().unwrap(),
    ]);

    let mut vm = Vm::boot(
        Nic::Bridge { bridge: "vnvm0", bus: sandbox.address() },
        "52:54:00:81:00:07",
        "daemon",
        sandbox.netns(),
    );
    vm.wait_until_ready();
    let lease = vm.ok("dhcp vm-nat", STEP);
    assert!(lease.contains("leased 10.81.0."), "{lease}");
    // nslookup fails as a whole when the AAAA question finds nothing: read its answer.
    let (resolved, _) = vm.run("nslookup files.lab 10.81.0.1", STEP);
    assert!(resolved.contains("10.81.0.53"), "the network's DNS host record:\n{resolved}");
    vm.ok("ping -c 1 -W 3 10.81.0.1", STEP);
    let page = vm.ok(&format!("timeout 20 wget -q -O - http://{}:8080/token.txt", outside.ip), STEP);
    assert!(page.contains("through-nat-4711"), "{page}");

    // The port: the VM's MAC and address (joined when the lease script has written the
    // lease, a moment after the guest has it), its owner the user who ran qemu.
    eventually("the port with the VM's MAC, address and owner", Duration::from_secs(20), || {
        sandbox.virtnet(&["net-port-list", "vmnat"]).lines().any(|row| {
            row.contains("52:54:00:81:00:07")
                && row.contains("transient")
                && row.contains("10.81.0.1")
                && row.contains("daemon")
        })
    });

    vm.power_off();
    eventually("the port gone with qemu", Duration::from_secs(10), || {
        !sandbox.virtnet(&["net-port-list", "vmnat"]).contains("52:54:00:81:00:07")
    });
    assert!(network.list_ports().await.unwrap().is_empty());
    let _ = server.kill();
    let _ = server.wait();
    let mut log = String::new();
    std::io::Read::read_to_string(server.stderr.as_mut().unwrap(), &mut log).unwrap();
    // NAT: the outside saw the host's uplink address, not the guest's.
    assert!(log.contains(&outside.host_ip) && !log.contains("10.81.0."), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_on_a_persistent_port_of_an_isolated_network_survives_a_network_restart() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox
        .define_and_start(
            &conn,
            "<network><name>vmiso</name><bridge name='vnvm1'/><ip address='10.82.0.1' prefix='24'><dhcp><range start='10.82.0.100' end='10.82.0.150'/></dhcp></ip></network>",
        )
        .await;
    let outside = Outside::attach(&sandbox, "up0", 118);
    let options = HashMap::from([("owner", Variant::from(1u32)), ("name", Variant::from("vmtap0"))]);
    network.create_port(options).await.unwrap();
    let guest_b = Guest::plug(&sandbox, "vnvm1", None);
    let b = guest_b.dhcp("guest-b");

    let mut vm = Vm::boot(Nic::Tap { ifname: "vmtap0" }, "52:54:00:82:00:07", "daemon", sandbox.netns());
    vm.wait_until_ready();
    vm.ok("dhcp vm-iso", STEP);
    vm.ok(&format!("ping -c 1 -W 3 {}", b.ip), STEP);
    let (_, code) = vm.run(&format!("ping -c 1 -W 2 {}", outside.ip), STEP);
    assert_ne!(code, 0, "an isolated network's guest reached the outside");
    let (_, code) = vm.run(&format!("ping -c 1 -W 2 {}", outside.host_ip), STEP);
    assert_ne!(code, 0, "an isolated network's guest reached the host's uplink address");

    // The network restarts under the running VM: the VM does nothing, and its port is
    // plugged into the new bridge (within STP's forward delay).
    network.destroy().await.unwrap();
    network.start().await.unwrap();
    vm.ok(
        "for i in $(seq 1 20); do ping -c 1 -W 1 10.82.0.1 >/dev/null && exit_ok=1 && break; done; [ -n \"$exit_ok\" ]",
        STEP,
    );
    vm.power_off();
    // A persistent port stays when its VM goes.
    assert_eq!(network.list_ports().await.unwrap().len(), 1, "{}", sandbox.virtnet(&["net-port-list", "vmiso"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_one_sentence_that_qemu_prints() {
    let sandbox = sandbox_attach_for_daemon();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let refused = |user: &str, bridge: &str| {
        let mut vm =
            Vm::boot(Nic::Bridge { bridge, bus: sandbox.address() }, "52:54:00:81:00:09", user, sandbox.netns());
        let status = vm.wait_exit(Duration::from_secs(30)).expect("qemu should end at once");
        assert!(!status.success());
        vm.stderr()
    };

    let stderr = refused("nobody", "vnvm0");
    assert!(stderr.contains("virtnet-bridge-helper: not authorized to attach a VM to network 'vmnat'"), "{stderr}");
    assert!(stderr.contains("io.github.virtnet.attach"), "{stderr}");

    network.destroy().await.unwrap();
    let stderr = refused("daemon", "vnvm0");
    assert!(
        stderr.contains("virtnet-bridge-helper: network 'vmnat' (bridge vnvm0) is not running: start it with 'virtnet net-start vmnat'"),
        "{stderr}"
    );
    let stderr = refused("daemon", "nosuchbr");
    assert!(stderr.contains("no virtnet network has the bridge nosuchbr"), "{stderr}");

    // A network whose own rule lets only root plug in refuses daemon, whom polkit allows.
    let restricted = NAT.replace(
        "<domain name='lab'/>",
        &format!(
            "<domain name='lab'/><metadata><v:network xmlns:v='{}'><v:attach><v:allow user='root'/></v:attach></v:network></metadata>",
            virtnet::model::attach::NAMESPACE
        ),
    );
    network.undefine().await.unwrap();
    sandbox.define_and_start(&conn, &restricted).await;
    let stderr = refused("daemon", "vnvm0");
    assert!(
        stderr.contains("network 'vmnat' lets only the user root plug in, and the caller is daemon (uid 1)"),
        "{stderr}"
    );
}
