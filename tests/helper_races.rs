//! virtnetd under racing calls: renames racing Undefine and SetAutostart leave the files
//! on disk exactly as the helper says (one definition per network, autostart links only
//! for autostarting networks, no temp file), and a restarted helper reads back the same
//! networks; concurrent starts of two NAT networks never trip over each other's files.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::sandbox::Sandbox;
use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};

const ROUNDS: usize = 200;

fn definition(name: &str, uuid: &str) -> String {
    format!(
        "<network><name>{name}</name><uuid>{uuid}</uuid><bridge name='vnrace'/>
           <ip address='10.77.0.1' prefix='24'/></network>"
    )
}

/// A UUID of its own for each network made again.
fn fresh_uuid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

async fn network_at(conn: &zbus::Connection, path: zbus::OwnedObjectPath) -> NetworkProxy<'static> {
    NetworkProxy::builder(conn).path(path).cache_properties(zbus::proxy::CacheProperties::No).build().await.unwrap()
}

/// Every network the helper knows, by name: (persistent, autostart).
async fn networks(conn: &zbus::Connection, manager: &ManagerProxy<'_>) -> BTreeMap<String, (bool, bool)> {
    let mut all = BTreeMap::new();
    for path in manager.list_networks(0).await.unwrap() {
        let network = network_at(conn, path).await;
        all.insert(
            network.name().await.unwrap(),
            (network.persistent().await.unwrap(), network.autostart().await.unwrap()),
        );
    }
    all
}

/// The paths of this test's networks (the sandbox has `default` too).
async fn race_networks(conn: &zbus::Connection, manager: &ManagerProxy<'_>) -> Vec<zbus::OwnedObjectPath> {
    let mut paths = Vec::new();
    for path in manager.list_networks(0).await.unwrap() {
        if network_at(conn, path.clone()).await.name().await.unwrap().starts_with("race") {
            paths.push(path);
        }
    }
    paths
}

/// The names of the `.xml` files in a folder, and whether any other file is there.
fn xml_files(dir: &std::path::Path) -> (Vec<String>, Vec<String>) {
    let mut xml = Vec::new();
    let mut other = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        match name.strip_suffix(".xml") {
            Some(stem) if !name.starts_with('.') => xml.push(stem.to_owned()),
            _ if name == "autostart" || name == ".virtnet-initialised" => {}
            _ => other.push(name),
        }
    }
    xml.sort();
    (xml, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_racing_undefine_and_autostart_leave_disk_and_helper_agreeing() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let mut uuid = fresh_uuid(0);
    let mut path = manager.define_xml(&definition("race0", &uuid)).await.unwrap();
    let (mut renames, mut undefines, mut autostarts) = (0, 0, 0);
    for round in 1..=ROUNDS {
        let network = network_at(&conn, path.clone()).await;
        let renamed_xml = definition(&format!("race{round}"), &uuid);
        let rename = manager.define_xml(&renamed_xml);
        let autostart = network.set_autostart(round % 3 != 0);
        if round % 10 == 0 {
            let (renamed, autostarted, undefined) = tokio::join!(rename, autostart, network.undefine());
            renames += usize::from(renamed.is_ok());
            autostarts += usize::from(autostarted.is_ok());
            if undefined.is_ok() {
                undefines += 1;
                // Gone for good unless the rename came after it: then it is a new network.
                if race_networks(&conn, &manager).await.is_empty() {
                    uuid = fresh_uuid(round);
                    path = manager.define_xml(&definition(&format!("race{round}b"), &uuid)).await.unwrap();
                    continue;
                }
            }
            path = race_networks(&conn, &manager).await.remove(0);
            uuid = network_at(&conn, path.clone()).await.uuid().await.unwrap();
        } else {
            let (renamed, autostarted) = tokio::join!(rename, autostart);
            renames += usize::from(renamed.is_ok());
            autostarts += usize::from(autostarted.is_ok());
            if let Ok(renamed) = renamed {
                path = renamed;
            }
        }
    }
    eprintln!("{renames} renames, {autostarts} autostart changes and {undefines} undefines succeeded");
    assert!(renames > ROUNDS / 2 && autostarts > ROUNDS / 2 && undefines > 0);

    // The sandbox's default network is there too; only ours is counted.
    let helper_says = networks(&conn, &manager).await;
    let ours: BTreeMap<_, _> = helper_says.iter().filter(|(n, _)| n.starts_with("race")).collect();
    assert_eq!(ours.len(), 1, "one network, whatever its name: {helper_says:?}");

    // The disk says the same: one definition per persistent network, a link per
    // autostarting one, pointing at its definition, and no temp file anywhere.
    let config = sandbox.path("etc");
    let (definitions, stray) = xml_files(&config);
    let persistent: Vec<String> = helper_says.iter().filter(|(_, (p, _))| *p).map(|(n, _)| n.clone()).collect();
    assert_eq!(definitions, persistent, "definitions on disk");
    assert!(stray.is_empty(), "stray files in {}: {stray:?}", config.display());
    let (links, stray) = xml_files(&config.join("autostart"));
    let autostarting: Vec<String> = helper_says.iter().filter(|(_, (_, a))| *a).map(|(n, _)| n.clone()).collect();
    assert_eq!(links, autostarting, "autostart links on disk");
    assert!(stray.is_empty(), "stray files in the autostart folder: {stray:?}");
    for link in &links {
        let target = std::fs::read_link(config.join("autostart").join(format!("{link}.xml"))).unwrap();
        assert_eq!(target, config.join(format!("{link}.xml")));
    }

    // A restarted helper reads back exactly that.
    drop(manager);
    drop(conn);
    sandbox.stop_helper();
    sandbox.restart_helper();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    assert_eq!(networks(&conn, &manager).await, helper_says);
}

fn nat(name: &str, third_octet: u8) -> String {
    format!(
        "<network><name>{name}</name><forward mode='nat'/><bridge name='vn{name}'/>
           <ip address='10.78.{third_octet}.1' prefix='24'><dhcp>
             <range start='10.78.{third_octet}.10' end='10.78.{third_octet}.20'/></dhcp></ip></network>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_of_two_nat_networks_never_collide() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let one = network_at(&conn, manager.define_xml(&nat("one", 1)).await.unwrap()).await;
    let two = network_at(&conn, manager.define_xml(&nat("two", 2)).await.unwrap()).await;
    // The sandbox's default network runs its own.
    let before = sandbox.dnsmasq_processes();
    for round in 0..50 {
        let (a, b) = tokio::join!(one.start(), two.start());
        assert!(a.is_ok() && b.is_ok(), "round {round}: {a:?} {b:?}\n{}", sandbox.log());
        let (a, b) = tokio::join!(one.destroy(), two.destroy());
        assert!(a.is_ok() && b.is_ok(), "round {round}: {a:?} {b:?}\n{}", sandbox.log());
    }
    assert_eq!(sandbox.dnsmasq_processes(), before, "dnsmasq processes left behind");
}
