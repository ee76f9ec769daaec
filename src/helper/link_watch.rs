//! Ports follow the host: a netlink socket in the link and neighbour groups sees every
//! interface that appears, goes or changes master (a VM's tap closing with the VM,
//! `ip link set X master virbr0` by other software) and every address the bridges
//! learn (a guest's MAC behind its port); each burst of events brings every network's
//! ports up to date once ([`Service::update_all_ports`]).

use std::sync::Arc;
use std::time::Duration;

use super::netlink_events;
use super::service::Service;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use tokio::sync::mpsc;

/// `RTNLGRP_LINK` and `RTNLGRP_NEIGH` (linux/rtnetlink.h).
const RTNLGRP_LINK: u32 = 1;
const RTNLGRP_NEIGH: u32 = 3;

/// Events closer together than this are one burst (a VM's tap coming up is a dozen).
const SETTLE: Duration = Duration::from_millis(50);
/// The longest a burst delays the update.
const SETTLE_AT_MOST: Duration = Duration::from_millis(300);

pub fn spawn(service: Arc<Service>) -> Result<(), String> {
    let socket = subscribe().map_err(|e| format!("cannot follow interface changes: {e}"))?;
    let (changed, mut changes) = mpsc::unbounded_channel::<()>();
    std::thread::Builder::new()
        .name("link-watch".to_owned())
        .spawn(move || netlink_events::forward(&socket, &changed, "interface changes"))
        .map_err(|e| format!("cannot start the link watch: {e}"))?;
    tokio::spawn(async move {
        while changes.recv().await.is_some() {
            netlink_events::settle(&mut changes, SETTLE, SETTLE_AT_MOST).await;
            service.update_all_ports().await;
        }
    });
    Ok(())
}

fn subscribe() -> std::io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind(&SocketAddr::new(0, 0))?;
    socket.add_membership(RTNLGRP_LINK)?;
    socket.add_membership(RTNLGRP_NEIGH)?;
    Ok(socket)
}
