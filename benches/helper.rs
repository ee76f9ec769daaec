//! Benchmark of a running virtnetd (started by `build-aux/bench` in a sandbox): Start
//! and Destroy of given networks through D-Bus from one client connection, and the time
//! to define and list many networks. Prints figures; asserts nothing about time.
//!
//!   VIRTNET_CONNECT=ADDRESS cargo bench --bench helper -- cycles N NAME...
//!   VIRTNET_CONNECT=ADDRESS cargo bench --bench helper -- many COUNT
//!   VIRTNET_CONNECT=ADDRESS cargo bench --bench helper -- load SECONDS
//!
//! `load` is the load of tests/helper_load.rs (50 readers while 20 NAT networks start
//! and stop): p50 / p99 / max of each kind of call under it.

// A benchmark harness: a failure is a failed run, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};

#[path = "common/load.rs"]
mod load;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2 }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn cycles(conn: &zbus::Connection, n: usize, names: &[String]) {
    let manager = ManagerProxy::new(conn).await.unwrap();
    for name in names {
        let path = manager.lookup_by_name(name).await.unwrap();
        let network = NetworkProxy::builder(conn).path(path).build().await.unwrap();
        let (mut starts, mut stops) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let t0 = Instant::now();
            network.start().await.unwrap();
            let t1 = Instant::now();
            network.destroy().await.unwrap();
            starts.push(t1 - t0);
            stops.push(t1.elapsed());
        }
        println!(
            "{name}: in-process client: start median {} ms, destroy median {} ms (n={n})",
            ms(median(starts)),
            ms(median(stops))
        );
    }
}

async fn many(conn: &zbus::Connection, count: usize) {
    let manager = ManagerProxy::new(conn).await.unwrap();
    let t0 = Instant::now();
    for i in 0..count {
        let xml = format!(
            "<network><name>many{i:04}</name><ip address='10.{}.{}.1' prefix='24'/></network>",
            200 + i / 250,
            i % 250
        );
        manager.define_xml(&xml).await.unwrap();
    }
    let defined = t0.elapsed();
    let t1 = Instant::now();
    let paths = manager.list_networks(0).await.unwrap();
    let listed = t1.elapsed();
    // What a client showing the list needs: every network's name and state.
    let t2 = Instant::now();
    let props = zbus::fdo::ObjectManagerProxy::builder(conn)
        .destination(virtnet::dbus::BUS_NAME)
        .path(virtnet::dbus::ROOT_PATH)
        .build()
        .await
        .unwrap();
    let objects = props.get_managed_objects().await.unwrap();
    let mirrored = t2.elapsed();
    println!(
        "define {count} networks: {} ms ({} ms each); ListNetworks of {}: {} ms; GetManagedObjects ({} objects with properties): {} ms",
        ms(defined),
        ms(defined / u32::try_from(count).unwrap()),
        paths.len(),
        ms(listed),
        objects.len(),
        ms(mirrored)
    );
    let t3 = Instant::now();
    for path in paths {
        let network = NetworkProxy::builder(conn).path(path).build().await.unwrap();
        if network.name().await.unwrap().starts_with("many") {
            network.undefine().await.unwrap();
        }
    }
    println!("undefine {count} networks: {} ms", ms(t3.elapsed()));
}

async fn under_load(address: &str, seconds: u64) {
    let outcome = load::run(address, Duration::from_secs(seconds)).await;
    println!(
        "under load ({} readers, {} NAT networks starting and stopping, {seconds} s; {} calls failed):",
        load::READERS,
        load::NETWORKS,
        outcome.errors.len()
    );
    for (what, samples) in [
        ("ListNetworks", &outcome.list_networks),
        ("GetXMLDesc / GetDHCPLeases / GetManagedObjects", &outcome.reads),
        ("Start", &outcome.starts),
        ("Destroy", &outcome.stops),
    ] {
        println!(
            "  {what}: p50 {} ms, p99 {} ms, max {} ms (n={})",
            ms(load::quantile(samples, 0.5)),
            ms(load::quantile(samples, 0.99)),
            ms(samples.iter().max().copied().unwrap_or_default()),
            samples.len()
        );
    }
    // Leave the sandbox as it was.
    let conn = zbus::connection::Builder::address(address).build().await.unwrap();
    let manager = ManagerProxy::new(&conn).await.unwrap();
    for i in 0..load::NETWORKS {
        let path = manager.lookup_by_name(&format!("load{i}")).await.unwrap();
        NetworkProxy::builder(&conn).path(path).build().await.unwrap().undefine().await.unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let address = std::env::var("VIRTNET_CONNECT").expect("VIRTNET_CONNECT: run through build-aux/bench");
    let conn = zbus::connection::Builder::address(address.as_str()).build().await.unwrap();
    match args.first().map(String::as_str) {
        Some("cycles") => cycles(&conn, args[1].parse().unwrap(), &args[2..]).await,
        Some("many") => many(&conn, args[1].parse().unwrap()).await,
        Some("load") => under_load(&address, args[1].parse().unwrap()).await,
        _ => eprintln!("usage: helper (cycles N NAME... | many COUNT | load SECONDS)"),
    }
}
