//! The cost of reaching virtnetd over ssh (started by `build-aux/bench-remote` against a
//! sandbox that plays a remote host): the same calls on one connection to the bus
//! directly and on one through `ssh ... systemd-stdio-bridge`, medians of each and what
//! ssh adds; and the time to open each connection. Prints figures; asserts nothing.
//!
//!   VIRTNET_CONNECT=ADDRESS VIRTNET_SSH=PROGRAM cargo bench --bench remote -- N ssh://USER@HOST

// A benchmark harness: a failure is a failed run, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use virtnet::dbus::connect::{Prompts, Target, connect};
use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};
use virtnet::dbus::xml_flags;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Medians of three calls a window makes all the time: ListNetworks, a property read,
/// GetXMLDesc.
async fn calls(conn: &zbus::Connection, n: usize) -> [Duration; 3] {
    let manager = ManagerProxy::new(conn).await.unwrap();
    let path = manager.lookup_by_name("default").await.unwrap();
    let network = NetworkProxy::builder(conn)
        .path(path)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .unwrap();
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..n {
        let t0 = Instant::now();
        manager.list_networks(0).await.unwrap();
        let t1 = Instant::now();
        network.active().await.unwrap();
        let t2 = Instant::now();
        network.get_xml_desc(xml_flags::INACTIVE).await.unwrap();
        samples[0].push(t1 - t0);
        samples[1].push(t2 - t1);
        samples[2].push(t2.elapsed());
    }
    samples.map(median)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [n, remote] = args.as_slice() else {
        eprintln!("usage: remote N ssh://USER@HOST (with VIRTNET_CONNECT and VIRTNET_SSH set)");
        return;
    };
    let n: usize = n.parse().unwrap();
    let local = Target::parse(std::env::var("VIRTNET_CONNECT").ok().as_deref()).unwrap();
    let remote = Target::parse(Some(remote)).unwrap();

    let t0 = Instant::now();
    let local_link = connect(&local, &Prompts::Terminal).await.unwrap();
    let local_open = t0.elapsed();
    let t0 = Instant::now();
    let remote_link = connect(&remote, &Prompts::Terminal).await.unwrap();
    let remote_open = t0.elapsed();
    println!("open a connection: local {} ms, over ssh {} ms (ssh login and bridge)", ms(local_open), ms(remote_open));

    let local_calls = calls(&local_link.conn, n).await;
    let remote_calls = calls(&remote_link.conn, n).await;
    for (i, name) in ["ListNetworks", "Active (property)", "GetXMLDesc"].iter().enumerate() {
        let added = remote_calls[i].saturating_sub(local_calls[i]);
        println!(
            "{name}: local median {} ms, over ssh {} ms, ssh adds {} ms (n={n}; the issue's bound: 20 ms)",
            ms(local_calls[i]),
            ms(remote_calls[i]),
            ms(added)
        );
    }
}
