//! Rules that come back: other software removes every network's rules in ordinary
//! situations (`nft flush ruleset`, the first line of most `/etc/nftables.conf`, on every
//! `systemctl reload nftables`; a firewalld restart; `iptables-restore` without
//! `--noflush`). The helper notices and applies the missing networks' rules again.
//!
//! Two triggers, then one check of all active networks ([`Service::restore_firewall`]):
//! - nftables' change events: a netlink socket in the `NFNLGRP_NFTABLES` group sees
//!   every committed ruleset change (nft, firewalld, and iptables-nft, Debian's
//!   iptables), so a flush is seen within milliseconds;
//! - with the iptables backend, also a check every second, for iptables-legacy, whose
//!   changes raise no event.
//!
//! The check costs one `nft list tables` (or one `iptables-save` per family) per burst of
//! changes; the helper's own changes trigger it too, and find nothing missing. Each
//! check also reads the other tables' base chains, so a network's page says when
//! another firewall starts or stops dropping its traffic
//! ([`foreign`](super::firewall::foreign)); a network's start is such a change too.

use std::sync::Arc;
use std::time::Duration;

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::firewall::Backend;
use super::netlink_events;
use super::service::Service;

/// The nftables multicast group (`NFNLGRP_NFTABLES` in linux/netfilter/nfnetlink.h).
const NFNLGRP_NFTABLES: u32 = 7;

/// Changes arriving closer together than this are one burst, checked once (a flush and
/// a reload of nftables.conf come as dozens of events).
const SETTLE: Duration = Duration::from_millis(100);

/// The longest a burst of changes delays the check.
const SETTLE_AT_MOST: Duration = Duration::from_millis(500);

/// How often the iptables backend looks without an event.
const IPTABLES_POLL: Duration = Duration::from_secs(1);

/// Starts watching for as long as the helper runs.
pub fn spawn(service: Arc<Service>, backend: Backend) -> Result<(), String> {
    if backend == Backend::None {
        return Ok(());
    }
    let (changed, mut changes) = mpsc::unbounded_channel::<()>();
    let mut events = true;
    match subscribe() {
        // Blocking reads on a thread of their own, as for the lease watch.
        Ok(socket) => {
            std::thread::Builder::new()
                .name("firewall-watch".to_owned())
                .spawn(move || netlink_events::forward(&socket, &changed, "nftables changes"))
                .map_err(|e| format!("cannot start the firewall watch: {e}"))?;
        }
        Err(e) if backend == Backend::Iptables => warn!("nftables change events unavailable ({e}); polling only"),
        Err(e) => return Err(format!("cannot follow nftables changes: {e}")),
    }
    tokio::spawn(async move {
        let mut poll = tokio::time::interval(IPTABLES_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = changes.recv(), if events => {
                    if event.is_none() {
                        // The event thread ended (it said why); polling goes on.
                        events = false;
                        if backend != Backend::Iptables {
                            return;
                        }
                        continue;
                    }
                    netlink_events::settle(&mut changes, SETTLE, SETTLE_AT_MOST).await;
                }
                _ = poll.tick(), if backend == Backend::Iptables => {}
            }
            let restored = service.restore_firewall().await;
            if restored > 0 {
                info!("firewall rules of {restored} network(s) applied again");
            }
            service.check_foreign_firewall().await;
        }
    });
    Ok(())
}

fn subscribe() -> std::io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind(&SocketAddr::new(0, 0))?;
    socket.add_membership(NFNLGRP_NFTABLES)?;
    Ok(socket)
}
