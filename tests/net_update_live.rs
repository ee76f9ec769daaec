//! net-update on a running network, with real guests (namespaces the test creates): a
//! static host added live pins a new client to its address and a DNS host added live
//! resolves, both with dnsmasq's pid unchanged and the other guest's lease kept; a TXT
//! record restarts dnsmasq with every lease kept; libvirt's flag rules and the refused
//! sections, each with its sentence; the CLI's virsh syntax; a modified static host
//! moves its guest at renewal while another guest's TCP connection stays up; a forward
//! interface added live closes the other uplinks at once and keeps the open connection.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::net::{Guest, Outside};
use common::sandbox::Sandbox;
use virtnet::dbus::{ErrorKind, HelperError, update_flags};

const NAT: &str = "<network><name>upd</name><forward mode='nat'/><bridge name='vnupd' stp='off'/><domain name='lab'/>
  <ip address='10.130.0.1' prefix='24'><dhcp><range start='10.130.0.100' end='10.130.0.150'/></dhcp></ip></network>";

/// dnsmasq's pid for the network, from its pid file.
fn dnsmasq_pid(sandbox: &Sandbox) -> u32 {
    std::fs::read_to_string(sandbox.path("run/upd.pid")).unwrap().trim().parse().unwrap()
}

fn kind<T: std::fmt::Debug>(result: zbus::Result<T>) -> (ErrorKind, String) {
    let error = HelperError::from(result.expect_err("the call should fail"));
    (error.kind, error.message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_and_dns_hosts_added_live_work_without_restarting_dnsmasq() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let first = Guest::plug(&sandbox, "vnupd", None);
    let first_lease = first.dhcp("first");
    let pid = dnsmasq_pid(&sandbox);

    // A static host, added live (flags 0 on a running network: live only).
    let host = "<host mac='52:54:00:77:00:02' name='pinned' ip='10.130.0.77'/>";
    network.update(3, 4, -1, host, update_flags::CURRENT).await.unwrap();
    assert_eq!(dnsmasq_pid(&sandbox), pid, "a static host must not restart dnsmasq");
    let pinned = Guest::plug(&sandbox, "vnupd", Some("52:54:00:77:00:02"));
    assert_eq!(pinned.dhcp("whatever").ip, "10.130.0.77");
    assert!(network.get_xml_desc(0).await.unwrap().contains("10.130.0.77"), "the live definition has it");
    assert!(!network.get_xml_desc(1).await.unwrap().contains("10.130.0.77"), "the persistent one does not (live only)");

    // A DNS host, live: resolves at the bridge address at once (stall check: 5 s).
    network
        .update(4, 10, -1, "<host ip='10.130.0.53'><hostname>files</hostname></host>", update_flags::LIVE)
        .await
        .unwrap();
    let added = Instant::now();
    while first.resolve("files", "10.130.0.1").as_deref() != Some("10.130.0.53") {
        assert!(added.elapsed() < Duration::from_secs(5), "the DNS host added live does not resolve");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(dnsmasq_pid(&sandbox), pid, "a DNS host must not restart dnsmasq");
    // The first guest kept its lease and its way out.
    let leases = network.get_dhcp_leases("").await.unwrap();
    assert!(leases.iter().any(|l| l.address == first_lease.ip), "{leases:?}");
    assert!(first.ns.ping("10.130.0.1"));

    // Both, persistently too: the next start keeps them.
    network
        .update(
            3,
            4,
            -1,
            host.replace("77:00:02", "77:00:03")
                .replace("10.130.0.77", "10.130.0.78")
                .replace("pinned", "pinned2")
                .as_str(),
            update_flags::LIVE | update_flags::CONFIG,
        )
        .await
        .unwrap();
    assert!(network.get_xml_desc(1).await.unwrap().contains("10.130.0.78"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_txt_record_restarts_dnsmasq_with_every_lease_kept() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let guest = Guest::plug(&sandbox, "vnupd", None);
    let lease = guest.dhcp("keeper");
    // dnsmasq records a lease through its script, which may run after the guest has it
    // (slow under load): the restart keeps the leases recorded (stall check: 5 s).
    let recorded = Instant::now();
    while !network.get_dhcp_leases("").await.unwrap().iter().any(|l| l.address == lease.ip) {
        assert!(recorded.elapsed() < Duration::from_secs(5), "dnsmasq did not record the lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = dnsmasq_pid(&sandbox);
    network.update(4, 11, -1, "<txt name='version' value='42'/>", 0).await.unwrap();
    assert_ne!(dnsmasq_pid(&sandbox), pid, "TXT records are dnsmasq configuration: it restarts");
    let leases = network.get_dhcp_leases("").await.unwrap();
    assert!(leases.iter().any(|l| l.address == lease.ip && l.hostname == "keeper"), "{leases:?}");
    assert!(std::fs::read_to_string(sandbox.path("lib/dnsmasq/upd.conf")).unwrap().contains("version"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libvirts_flag_rules_and_refused_sections_have_their_sentences() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, NAT).await;
    let (error, message) = kind(network.update(3, 2, -1, "<domain name='x'/>", 0).await);
    assert_eq!(error, ErrorKind::InvalidDefinition);
    assert_eq!(message, "can't update 'domain' section of network 'upd'");
    let (error, message) = kind(network.update(3, 4, -1, "<host mac='52:54:00:77:00:09'/>", 0).await);
    assert_eq!(error, ErrorKind::InvalidDefinition);
    assert!(message.contains("needs ip="), "{message}");
    let (error, _) = kind(network.update(9, 4, -1, "<host/>", 0).await);
    assert_eq!(error, ErrorKind::InvalidArgs);

    network.destroy().await.unwrap();
    let (error, message) = kind(
        network.update(3, 10, -1, "<host ip='10.130.0.5'><hostname>a</hostname></host>", update_flags::LIVE).await,
    );
    assert_eq!(error, ErrorKind::NotActive);
    assert!(message.contains("is not running"), "{message}");
    // Inactive and flags 0: the persistent definition.
    network.update(3, 10, -1, "<host ip='10.130.0.5'><hostname>a</hostname></host>", 0).await.unwrap();
    assert!(network.get_xml_desc(0).await.unwrap().contains("10.130.0.5"));

    // A transient network has no persistent definition to change.
    let manager = sandbox.manager(&conn).await;
    let path = manager.create_xml(&NAT.replace("upd", "tra").replace("10.130.0", "10.131.0")).await.unwrap();
    let transient = virtnet::dbus::proxy::NetworkProxy::builder(&conn)
        .path(path)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .unwrap();
    let (error, message) = kind(
        transient.update(3, 10, -1, "<host ip='10.131.0.5'><hostname>a</hostname></host>", update_flags::CONFIG).await,
    );
    assert_eq!(error, ErrorKind::NotPersistent);
    assert!(message.contains("transient"), "{message}");
}

#[test]
fn the_cli_takes_virshs_syntax() {
    let sandbox = Sandbox::start();
    let virtnet = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_virtnet")).args(["-c", sandbox.address()]).args(args).output().unwrap()
    };
    let out = virtnet(&[
        "net-update",
        "default",
        "add",
        "ip-dhcp-host",
        "<host mac='52:54:00:00:00:31' name='cli' ip='192.168.122.31'/>",
        "--live",
        "--config",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Updated network default persistent config and live state");
    let dump = String::from_utf8_lossy(&virtnet(&["net-dumpxml", "default", "--inactive"]).stdout).into_owned();
    assert!(dump.contains("192.168.122.31"), "{dump}");
    let file = sandbox.path("host.xml");
    std::fs::write(&file, "<host mac='52:54:00:00:00:31' name='cli' ip='192.168.122.31'/>").unwrap();
    let out = virtnet(&["net-update", "default", "delete", "ip-dhcp-host", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Updated network default live state");
    let out = virtnet(&["net-update", "default", "add", "bridge", "<bridge name='x'/>"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: Failed to update network default") && stderr.contains("can't update 'bridge' section"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modified_host_moves_its_guest_at_renewal_while_other_connections_stay_up() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let outside = Outside::attach(&sandbox, "up0", 113);
    let _echo = outside.ns.echo(7000);
    let network = sandbox.define_and_start(&conn, NAT).await;
    // A guest with a TCP connection open through NAT to a host outside.
    let steady = Guest::plug(&sandbox, "vnupd", None);
    let steady_lease = steady.dhcp("steady");
    let mut open = steady.ns.hold(&outside.ip, 7000);
    assert!(open.still_up("before"));

    let host = "<host mac='52:54:00:77:00:10' name='mover' ip='10.130.0.80'/>";
    network.update(3, 4, -1, host, update_flags::LIVE | update_flags::CONFIG).await.unwrap();
    let mover = Guest::plug(&sandbox, "vnupd", Some("52:54:00:77:00:10"));
    assert_eq!(mover.dhcp("mover").ip, "10.130.0.80");
    let pid = dnsmasq_pid(&sandbox);

    // modify (1) finds the host by its MAC and gives it another address.
    let moved = host.replace("10.130.0.80", "10.130.0.81");
    network.update(1, 4, -1, &moved, update_flags::LIVE | update_flags::CONFIG).await.unwrap();
    assert_eq!(dnsmasq_pid(&sandbox), pid, "modifying a static host must not restart dnsmasq");
    for flags in [0, 1] {
        let xml = network.get_xml_desc(flags).await.unwrap();
        assert!(xml.contains("10.130.0.81") && !xml.contains("10.130.0.80"), "GetXMLDesc({flags}): {xml}");
    }
    // Renewing, the guest asks for the address it had: dnsmasq refuses it (a static
    // lease is available) and the guest gets its new one.
    assert_eq!(mover.renew("mover", "10.130.0.80").ip, "10.130.0.81");

    assert_eq!(dnsmasq_pid(&sandbox), pid);
    assert!(open.still_up("after"), "the other guest's connection broke");
    let leases = network.get_dhcp_leases("").await.unwrap();
    assert!(leases.iter().any(|l| l.address == steady_lease.ip && l.hostname == "steady"), "{leases:?}");
    assert!(leases.iter().any(|l| l.address == "10.130.0.81"), "{leases:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_interface_added_live_restricts_the_uplink_at_once() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let (lan, other) = (Outside::attach(&sandbox, "up0", 113), Outside::attach(&sandbox, "up1", 114));
    let (_lan_echo, _lan_listener) = (lan.ns.echo(7000), lan.ns.keep_listening(8080));
    let _other_listener = other.ns.keep_listening(8080);
    let network = sandbox.define_and_start(&conn, NAT).await;
    let guest = Guest::plug(&sandbox, "vnupd", None);
    let lease = guest.dhcp("guest");
    assert!(guest.ns.connect(&other.ip, 8080), "before the change every uplink is open");
    let mut open = guest.ns.hold(&lan.ip, 7000);
    let pid = dnsmasq_pid(&sandbox);

    network.update(3, 7, -1, "<interface dev='up0'/>", update_flags::LIVE).await.unwrap();
    assert!(network.get_xml_desc(0).await.unwrap().contains("<interface dev='up0'/>"));
    assert!(!guest.ns.connect(&other.ip, 8080), "traffic left through up1 after forward dev='up0'");
    assert!(guest.ns.connect(&lan.ip, 8080), "the uplink named is still open");
    assert!(open.still_up("after"), "the connection through up0 broke when the table was replaced");
    assert_eq!(dnsmasq_pid(&sandbox), pid, "a firewall change must not restart dnsmasq");
    let leases = network.get_dhcp_leases("").await.unwrap();
    assert!(leases.iter().any(|l| l.address == lease.ip), "{leases:?}");

    // Deleting it opens every uplink again.
    network.update(2, 7, -1, "<interface dev='up0'/>", update_flags::LIVE).await.unwrap();
    assert!(guest.ns.connect(&other.ip, 8080));
}
