//! `virtnetd`: the privileged helper. It owns `io.github.virtnet.Helper1` on the system
//! bus, keeps the definitions on disk, and is the only code that changes the host's
//! network: bridges, addresses and routes (netlink), firewall rules, forwarding, and one
//! dnsmasq per network.
//!
//! - [`options`]: the command line;
//! - [`store`]: definitions, autostart links and live status on disk ([`fsutil`]: atomic writes);
//! - [`registry`]: the networks in memory, one lock per network;
//! - [`service`]: libvirt's semantics for define/create/start/destroy/undefine/autostart;
//! - [`objects`]: the D-Bus Manager and Network objects;
//! - [`auth`]: polkit or root-only authorization of the caller;
//! - [`lifecycle`]: the start sequence with rollback, and stop; its tools: [`netlink`],
//!   [`firewall`] (plan, nftables, iptables; [`firewall_watch`] brings flushed rules
//!   back), [`sysctl`], [`dnsmasq`] (files, process,
//!   leases);
//! - ports: [`ports`] (what virtnet remembers), [`tap`] (making taps), [`link_watch`]
//!   (ports follow the host's interfaces);
//! - [`default_network`]: the `default` network of a first run;
//! - [`tools`]: the programs it runs, by absolute path and with a clean environment.

use std::process::ExitCode;

use clap::Parser;
use tracing::{error, info, warn};
use zbus::fdo::{ObjectManager, RequestNameFlags, RequestNameReply};

pub mod auth;
pub mod default_network;
pub mod dnsmasq;
pub mod firewall;
pub mod firewall_watch;
pub mod fsutil;
pub mod lease_watch;
pub mod lifecycle;
pub mod link_watch;
pub mod netlink;
pub mod netlink_events;
pub mod objects;
pub mod options;
pub mod ports;
pub mod registry;
pub mod service;
pub mod store;
pub mod sysctl;
pub mod tap;
pub mod tools;

use crate::dbus::{BUS_NAME, ROOT_PATH};
use auth::Authorizer;
use dnsmasq::process::Dnsmasq;
use lifecycle::Datapath;
use netlink::Netlink;
use objects::ManagerObject;
use options::Options;
use service::Service;
use store::Store;
use sysctl::Sysctl;

/// Entry point of the `virtnetd` binary.
pub fn main() -> ExitCode {
    // dnsmasq runs virtnetd itself as its lease script.
    let args: Vec<String> = std::env::args().collect();
    if dnsmasq::leases::invoked_as_script(&args) {
        return dnsmasq::leases::script_main(&args);
    }
    let options = Options::parse();
    if let Some(written) = options.print_documentation() {
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIRTNETD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,zbus=warn")),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let store = Store::new(options.config_dir.clone(), options.run_dir.clone(), options.state_dir.clone());
    let first_run = store.prepare().map_err(|e| e.to_string())?;
    let lease_script = match &options.lease_script {
        Some(path) => path.clone(),
        None => installed_path()?,
    };
    let datapath = Datapath {
        netlink: Netlink::connect().map_err(|e| e.message)?,
        firewall: options.firewall,
        isolated_host_access: options.isolated_host_access,
        keep_ra_routes: options.keep_ra_routes,
        dnsmasq: Dnsmasq::new(&options.state_dir, &options.run_dir, lease_script),
        sysctl: Sysctl,
    };

    let builder = if options.bus == "system" {
        zbus::connection::Builder::system()
    } else {
        zbus::connection::Builder::address(options.bus.as_str())
    };
    let conn = builder.build().await.map_err(|e| format!("cannot connect to the bus {}: {e}", options.bus))?;

    let auth = Authorizer::new(options.auth, options.allow_uid.clone());
    let service = Service::new(store, datapath, auth, objects::Bus::new(conn.clone()));
    let server = conn.object_server();
    server.at(ROOT_PATH, ObjectManager).await.map_err(|e| e.to_string())?;
    server.at(ROOT_PATH, ManagerObject::new(service.clone())).await.map_err(|e| e.to_string())?;
    service.recover(first_run).await.map_err(|e| e.message)?;
    service.autostart().await;
    // Without the watch, leases are still read on request; only the signal is missing.
    if let Err(e) = lease_watch::spawn(service.clone()) {
        warn!("DHCPLeasesChanged will not be sent: {e}");
    }
    if let Err(e) = link_watch::spawn(service.clone()) {
        warn!("ports will not follow the host's interfaces by themselves: {e}");
    }
    if let Err(e) = firewall_watch::spawn(service.clone(), options.firewall) {
        warn!("firewall rules removed by other software will not come back by themselves: {e}");
    }

    // The name is taken only once every object is in place and autostart has run, so a
    // client that sees the name sees the whole state (bus activation queues its calls
    // meanwhile).
    match conn.request_name_with_flags(BUS_NAME, RequestNameFlags::DO_NOT_QUEUE).await {
        Ok(RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner) => {}
        Ok(_) => return Err(format!("{BUS_NAME} is already owned on this bus: is another virtnetd running?")),
        Err(e) => return Err(format!("cannot own {BUS_NAME}: {e}")),
    }
    info!(bus = %options.bus, auth = ?options.auth, firewall = ?options.firewall, "virtnetd ready");

    wait_for_termination().await?;
    info!("virtnetd stopping; running networks keep running");
    Ok(())
}

/// Where virtnetd is installed: meson's bindir, given at build time. Not the running
/// program's path: once a package upgrade replaced the file under a running helper,
/// that reads `/usr/bin/virtnetd (deleted)`, and every dnsmasq start would fail. A
/// build without meson (development) falls back to it.
fn installed_path() -> Result<std::path::PathBuf, String> {
    if let Some(bindir) = option_env!("VIRTNET_BINDIR") {
        return Ok(std::path::Path::new(bindir).join("virtnetd"));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find virtnetd's own path: {e}"))?;
    let path = exe.to_string_lossy();
    Ok(path.strip_suffix(" (deleted)").map_or(exe.clone(), std::path::PathBuf::from))
}

async fn wait_for_termination() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
