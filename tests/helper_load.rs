//! virtnetd under load: 50 clients reading in a loop (ListNetworks, GetXMLDesc,
//! GetDHCPLeases, GetManagedObjects) while 20 NAT networks start and stop at once for a
//! minute (VIRTNET_LOAD_SECONDS): no call fails, none stalls, every Started and Stopped
//! event arrives, and the helper keeps no descriptor or process it did not have before.
//! The figures under this load come from `cargo bench --bench helper -- load`.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../benches/common/load.rs"]
mod load;

use std::time::Duration;

use common::sandbox::Sandbox;

/// A read slower than this under the load is a stall: reading never waits for a start
/// or a stop (measured: well under 100 ms in a debug build on 2 cores; see the bench).
const READ_STALL: Duration = Duration::from_secs(1);
/// A start or stop slower than this is a hang. Twenty starts at once share two cores
/// with the readers, so each takes its turn: measured up to about 2 s in a debug build.
const OPERATION_STALL: Duration = Duration::from_secs(10);

fn descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

fn children(pid: u32) -> Vec<String> {
    let tasks = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    tasks.split_whitespace().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_readers_and_twenty_networks_starting_and_stopping() {
    let seconds = std::env::var("VIRTNET_LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let sandbox = Sandbox::start();
    let helper = sandbox.helper_pid();
    let dnsmasq_before = sandbox.dnsmasq_processes();
    // A first short round, so that what the helper opens once (connections, caches)
    // is open before counting.
    load::run(sandbox.address(), Duration::from_secs(2)).await;
    let (fds_before, children_before) = (descriptors(helper), children(helper));

    let outcome = load::run(sandbox.address(), Duration::from_secs(seconds)).await;
    let max = |samples: &[Duration]| samples.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} ListNetworks (slowest {:?}), {} reads ({:?}), {} starts ({:?}), {} stops ({:?})",
        outcome.list_networks.len(),
        max(&outcome.list_networks),
        outcome.reads.len(),
        max(&outcome.reads),
        outcome.starts.len(),
        max(&outcome.starts),
        outcome.stops.len(),
        max(&outcome.stops),
    );
    assert!(outcome.errors.is_empty(), "{} calls failed, first: {:?}", outcome.errors.len(), &outcome.errors[..1]);
    assert!(outcome.starts.len() >= load::NETWORKS && !outcome.list_networks.is_empty());
    let slowest_read = max(&outcome.list_networks).max(max(&outcome.reads));
    assert!(slowest_read < READ_STALL, "a read took {slowest_read:?}");
    let slowest_operation = max(&outcome.starts).max(max(&outcome.stops));
    assert!(slowest_operation < OPERATION_STALL, "a start or stop took {slowest_operation:?}");
    assert_eq!(outcome.events_seen, (outcome.starts.len(), outcome.stops.len()), "events lost");

    assert_eq!(sandbox.dnsmasq_processes(), dnsmasq_before, "dnsmasq processes left");
    assert_eq!(children(helper), children_before, "child processes left");
    let fds_after = descriptors(helper);
    assert!(fds_after <= fds_before, "descriptors: {fds_before} before, {fds_after} after");
}
