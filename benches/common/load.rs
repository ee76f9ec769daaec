//! A load on a running virtnetd, shared by its test (tests/helper_load.rs: nothing
//! fails, nothing stalls, nothing leaks, every event arrives) and its bench (benches/
//! helper.rs `load`: p50 / p99 of ListNetworks and Start under it): READERS clients,
//! each on a connection of its own, call ListNetworks, GetXMLDesc, GetDHCPLeases and
//! GetManagedObjects in a loop, while NETWORKS NAT networks with DHCP start and stop,
//! all at once, for the given time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use zbus::fdo::ObjectManagerProxy;
use zbus::proxy::CacheProperties;

use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};

pub const READERS: usize = 50;
pub const NETWORKS: usize = 20;

/// The definitions of the networks that start and stop (bridges `vnload0`..).
pub fn definition(i: usize) -> String {
    format!(
        "<network><name>load{i}</name><forward mode='nat'/><bridge name='vnload{i}'/>
           <ip address='10.90.{i}.1' prefix='24'><dhcp><range start='10.90.{i}.10' end='10.90.{i}.50'/></dhcp></ip></network>"
    )
}

/// What happened: every call's time by kind, and what went wrong.
#[derive(Debug, Default)]
pub struct Outcome {
    pub list_networks: Vec<Duration>,
    pub reads: Vec<Duration>,
    pub starts: Vec<Duration>,
    pub stops: Vec<Duration>,
    pub errors: Vec<String>,
    /// Started / stopped events seen, against the starts and stops that succeeded.
    pub events_seen: (usize, usize),
}

/// The `q`-quantile of `samples` (0.5: median, 0.99: p99).
#[allow(dead_code)] // the bench prints them; the test checks bounds
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn connect(address: &str) -> zbus::Connection {
    zbus::connection::Builder::address(address).build().await.unwrap()
}

async fn network(conn: &zbus::Connection, path: zbus::OwnedObjectPath) -> NetworkProxy<'static> {
    NetworkProxy::builder(conn).path(path).cache_properties(CacheProperties::No).build().await.unwrap()
}

/// Defines the networks (if needed), runs the load for `time`, and returns what
/// happened once every network has stopped again and every event has had a second to
/// arrive.
pub async fn run(address: &str, time: Duration) -> Outcome {
    let conn = connect(address).await;
    let manager = ManagerProxy::new(&conn).await.unwrap();
    let mut paths = Vec::new();
    for i in 0..NETWORKS {
        let path = match manager.lookup_by_name(&format!("load{i}")).await {
            Ok(path) => path,
            Err(_) => manager.define_xml(&definition(i)).await.unwrap(),
        };
        paths.push(path);
    }

    // One listener counts the events.
    let mut events = manager.receive_network_event().await.unwrap();
    let seen = Arc::new(std::sync::Mutex::new((0usize, 0usize)));
    let counter = {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Some(signal) = events.next().await {
                let Ok(args) = signal.args() else { continue };
                if !args.name.starts_with("load") {
                    continue;
                }
                let mut seen = seen.lock().unwrap();
                match args.event.as_str() {
                    "started" => seen.0 += 1,
                    "stopped" => seen.1 += 1,
                    _ => {}
                }
            }
        })
    };

    let stop = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + time;
    let mut readers = Vec::new();
    for r in 0..READERS {
        let (address, stop, paths) = (address.to_owned(), Arc::clone(&stop), paths.clone());
        readers.push(tokio::spawn(async move {
            let conn = connect(&address).await;
            let manager = ManagerProxy::new(&conn).await.unwrap();
            let objects = ObjectManagerProxy::builder(&conn)
                .destination(virtnet::dbus::names::BUS_NAME)
                .path(virtnet::dbus::names::ROOT_PATH)
                .cache_properties(CacheProperties::No)
                .build()
                .await
                .unwrap();
            let mut outcome = Outcome::default();
            let mut round = r;
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                match manager.list_networks(0).await {
                    Ok(_) => outcome.list_networks.push(asked.elapsed()),
                    Err(e) => outcome.errors.push(format!("ListNetworks: {e}")),
                }
                let target = network(&conn, paths[round % paths.len()].clone()).await;
                let asked = Instant::now();
                let read = match round % 3 {
                    0 => target.get_xml_desc(0).await.map(drop),
                    1 => target.get_dhcp_leases("").await.map(drop),
                    _ => objects.get_managed_objects().await.map(drop).map_err(zbus::Error::from),
                };
                match read {
                    Ok(()) => outcome.reads.push(asked.elapsed()),
                    Err(e) => outcome.errors.push(format!("read: {e}")),
                }
                round += 1;
            }
            outcome
        }));
    }
    let mut cyclers = Vec::new();
    for path in paths.clone() {
        let conn = conn.clone();
        cyclers.push(tokio::spawn(async move {
            let network = network(&conn, path).await;
            let mut outcome = Outcome::default();
            while Instant::now() < until {
                let asked = Instant::now();
                match network.start().await {
                    Ok(()) => outcome.starts.push(asked.elapsed()),
                    Err(e) => outcome.errors.push(format!("Start: {e}")),
                }
                let asked = Instant::now();
                match network.destroy().await {
                    Ok(()) => outcome.stops.push(asked.elapsed()),
                    Err(e) => outcome.errors.push(format!("Destroy: {e}")),
                }
            }
            outcome
        }));
    }

    let mut total = Outcome::default();
    for cycler in cyclers {
        merge(&mut total, cycler.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        merge(&mut total, reader.await.unwrap());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    counter.abort();
    total.events_seen = *seen.lock().unwrap();
    total
}

fn merge(total: &mut Outcome, part: Outcome) {
    total.list_networks.extend(part.list_networks);
    total.reads.extend(part.reads);
    total.starts.extend(part.starts);
    total.stops.extend(part.stops);
    total.errors.extend(part.errors);
}
