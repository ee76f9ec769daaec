//! Ports over D-Bus, in a sandbox per test: OpenPort hands over a tap on the bridge that
//! goes with its last descriptor; CreatePort's persistent tap is plugged in again after
//! the network and the helper restart; interfaces other software plugs in show as
//! foreign ports; PortAdded / PortRemoved; the refusals, each with its sentence.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::sandbox::{Sandbox, isolated};
use futures_util::StreamExt;
use virtnet::dbus::proxy::{NetworkProxy, PortProxy};
use virtnet::dbus::{ErrorKind, HelperError};
use zbus::{OwnedObjectPath, Variant};

const WAIT: Duration = Duration::from_secs(10);

fn kind<T: std::fmt::Debug>(result: zbus::Result<T>) -> (ErrorKind, String) {
    let error = HelperError::from(result.expect_err("the call should fail"));
    (error.kind, error.message)
}

async fn port_at(conn: &zbus::Connection, path: &OwnedObjectPath) -> PortProxy<'static> {
    PortProxy::builder(conn)
        .path(path.clone())
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .unwrap()
}

/// The bridge `name` is plugged into, per the kernel.
fn master(sandbox: &Sandbox, name: &str) -> Option<String> {
    sandbox.link(name)?.get("master").and_then(|m| m.as_str()).map(str::to_owned)
}

/// Waits (stall check) until `condition` holds.
async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !condition().await {
        assert!(start.elapsed() < WAIT, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn interfaces(conn: &zbus::Connection, network: &NetworkProxy<'_>) -> Vec<(String, String)> {
    let mut list = Vec::new();
    for path in network.list_ports().await.unwrap() {
        let port = port_at(conn, &path).await;
        list.push((port.interface().await.unwrap(), port.kind().await.unwrap()));
    }
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opened_port_is_a_tap_on_the_bridge_that_goes_with_its_descriptor() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    let bridge = network.bridge_name().await.unwrap();
    let mut added = network.receive_port_added().await.unwrap();
    let mut removed = network.receive_port_removed().await.unwrap();

    let options = HashMap::from([("vnet_hdr", Variant::from(true)), ("mac", Variant::from("52:54:00:aa:bb:01"))]);
    let (fd, interface, path) = network.open_port(options).await.unwrap();
    assert!(interface.starts_with("vnet"), "{interface}");
    assert_eq!(master(&sandbox, &interface).as_deref(), Some(bridge.as_str()));
    let link = sandbox.link(&interface).unwrap();
    assert_eq!(link["linkinfo"]["info_kind"], "tun", "{link}");
    // libvirt's host-side MAC: the guest's with 0xfe first.
    assert_eq!(link["address"], "fe:54:00:aa:bb:01");
    let signal = tokio::time::timeout(WAIT, added.next()).await.expect("PortAdded").unwrap();
    assert_eq!(signal.args().unwrap().port().as_str(), path.as_str());
    let port = port_at(&conn, &path).await;
    assert_eq!(port.kind().await.unwrap(), "transient");
    assert_eq!(port.mac().await.unwrap(), "52:54:00:aa:bb:01");
    assert_eq!(port.owner().await.unwrap(), 0);
    assert!(port.plugged().await.unwrap());
    assert_eq!(port.network().await.unwrap().as_str(), network.inner().path().as_str());
    assert_eq!(network.list_ports().await.unwrap(), std::slice::from_ref(&path));

    // The network restarts under the VM: its tap is plugged into the new bridge.
    network.destroy().await.unwrap();
    assert_eq!(master(&sandbox, &interface), None);
    network.start().await.unwrap();
    assert_eq!(master(&sandbox, &interface).as_deref(), Some(bridge.as_str()), "{}", sandbox.log());
    assert_eq!(network.list_ports().await.unwrap(), std::slice::from_ref(&path), "the same port, plugged in again");

    // The VM ends: its descriptor closes, the tap and the port go.
    drop(fd);
    let signal = tokio::time::timeout(WAIT, removed.next()).await.expect("PortRemoved").unwrap();
    assert_eq!(signal.args().unwrap().port().as_str(), path.as_str());
    assert!(sandbox.link(&interface).is_none());
    assert!(network.list_ports().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_port_is_plugged_in_again_after_restarts_of_network_and_helper() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    let bridge = network.bridge_name().await.unwrap();
    let options = HashMap::from([("owner", Variant::from(1u32)), ("name", Variant::from("vm1-net0"))]);
    let path = network.create_port(options).await.unwrap();
    assert_eq!(master(&sandbox, "vm1-net0").as_deref(), Some(bridge.as_str()));
    let port = port_at(&conn, &path).await;
    assert_eq!(port.kind().await.unwrap(), "persistent");
    assert_eq!(port.owner().await.unwrap(), 1);
    // The owner (uid 1) may open it: the kernel's tun owner.
    let link = sandbox.link("vm1-net0").unwrap();
    assert_eq!(link["linkinfo"]["info_data"]["user"], "daemon", "{link}");

    network.destroy().await.unwrap();
    assert!(sandbox.link("vm1-net0").is_some(), "the tap outlives its network's run");
    eventually("unplugged", async || !port.plugged().await.unwrap()).await;
    network.start().await.unwrap();
    assert_eq!(master(&sandbox, "vm1-net0").as_deref(), Some(bridge.as_str()), "plugged in again at start");

    // The helper restarts; the bridge goes under it; the port comes back plugged in.
    sandbox.stop_helper();
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    assert_eq!(interfaces(&conn, &network).await, [("vm1-net0".to_owned(), "persistent".to_owned())]);
    network.destroy().await.unwrap();
    sandbox.stop_helper();
    sandbox.netns_exec(&["ip", "link", "delete", "vm1-net0"]);
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    network.start().await.unwrap();
    assert_eq!(
        master(&sandbox, "vm1-net0").as_deref(),
        Some(bridge.as_str()),
        "made again (as after a reboot) and plugged in:\n{}",
        sandbox.log()
    );

    let path = network.list_ports().await.unwrap().remove(0);
    port_at(&conn, &path).await.delete().await.unwrap();
    assert!(sandbox.link("vm1-net0").is_none());
    assert!(network.list_ports().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_others_plug_in_are_foreign_ports() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    let bridge = network.bridge_name().await.unwrap();
    sandbox.netns_exec(&["ip", "link", "add", "lv0", "type", "veth", "peer", "name", "lv0p"]);
    sandbox.netns_exec(&["ip", "link", "set", "lv0", "master", &bridge, "up"]);
    eventually("the foreign port", async || {
        interfaces(&conn, &network).await == [("lv0".to_owned(), "foreign".to_owned())]
    })
    .await;
    let path = network.list_ports().await.unwrap().remove(0);
    let (error, message) = kind(port_at(&conn, &path).await.delete().await);
    assert_eq!(error, ErrorKind::NotSupported, "{message}");
    assert!(message.contains("by other software"), "{message}");
    sandbox.netns_exec(&["ip", "link", "set", "lv0", "nomaster"]);
    eventually("the foreign port gone", async || network.list_ports().await.unwrap().is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_ports_are_isolated_on_the_bridge() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.define_and_start(&conn, &isolated("ports", 77)).await;
    let (_fd, interface, _) = network.open_port(HashMap::from([("isolated", Variant::from(true))])).await.unwrap();
    let link = sandbox.link(&interface).unwrap();
    assert_eq!(link["linkinfo"]["info_slave_data"]["isolated"], true, "{link}");
    let (_fd2, plain, _) = network.open_port(HashMap::new()).await.unwrap();
    assert_eq!(sandbox.link(&plain).unwrap()["linkinfo"]["info_slave_data"]["isolated"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_port_requests_are_refused_with_a_sentence_and_change_nothing() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let network = sandbox.network(&conn, "default").await;
    let before = sandbox.netns_exec(&["ip", "-o", "link"]).stdout;

    let (error, message) = kind(network.open_port(HashMap::from([("colour", Variant::from("red"))])).await);
    assert_eq!(error, ErrorKind::InvalidArgs);
    assert!(message.contains("unknown port option 'colour'"), "{message}");
    let (error, message) = kind(network.open_port(HashMap::from([("mac", Variant::from("01:00:5e:00:00:01"))])).await);
    assert_eq!(error, ErrorKind::InvalidArgs);
    assert!(message.contains("multicast"), "{message}");
    let (error, message) = kind(network.open_port(HashMap::from([("isolated", Variant::from("yes"))])).await);
    assert_eq!(error, ErrorKind::InvalidArgs);
    assert!(message.contains("'isolated' must be a boolean"), "{message}");
    let (error, message) = kind(network.create_port(HashMap::from([("name", Variant::from("lo"))])).await);
    assert_eq!(error, ErrorKind::BridgeInUse);
    assert!(message.contains("exists already"), "{message}");
    let (error, message) = kind(network.create_port(HashMap::from([("name", Variant::from("a/b"))])).await);
    assert_eq!(error, ErrorKind::InvalidArgs, "{message}");

    network.destroy().await.unwrap();
    let (error, message) = kind(network.open_port(HashMap::new()).await);
    assert_eq!(error, ErrorKind::NotActive);
    assert!(message.contains("network 'default' is not active: start it first"), "{message}");
    network.start().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sandbox.netns_exec(&["ip", "-o", "link"]).stdout).lines().count(),
        String::from_utf8_lossy(&before).lines().count()
    );
    assert!(network.list_ports().await.unwrap().is_empty());
}
