//! The watch over each network's dnsmasq: started again whenever it exits (libvirt does
//! not), backing off while it keeps dying.

use std::sync::Arc;

use tracing::{info, warn};

use super::Service;
use crate::helper::dnsmasq::process::Process;
use crate::helper::registry::Slot;

impl Service {
    /// Watches a network's dnsmasq and starts it again whenever it exits (libvirt does
    /// not), backing off while it keeps dying.
    pub(super) fn supervise(self: &Arc<Self>, slot: &Arc<Slot>, mut process: Process) {
        let service = Arc::clone(self);
        let watched = Arc::clone(slot);
        let task = tokio::spawn(async move {
            let mut backoff = std::time::Duration::from_millis(0);
            loop {
                process.exited().await;
                let name = watched.state().name().to_owned();
                warn!(network = %name, pid = process.pid, "dnsmasq exited; starting it again");
                tokio::time::sleep(backoff).await;
                let _op = watched.op.lock().await;
                let Some(live) = watched.state().live else { return };
                match service.datapath.dnsmasq.start(&live).await {
                    Ok(restarted) => {
                        info!(network = %name, pid = restarted.pid, "dnsmasq running again");
                        process = restarted;
                        backoff = std::time::Duration::from_millis(0);
                    }
                    Err(e) => {
                        warn!(network = %name, "{e}");
                        backoff = (backoff * 2)
                            .clamp(std::time::Duration::from_millis(500), std::time::Duration::from_secs(30));
                    }
                }
            }
        });
        slot.set_supervisor(task.abort_handle());
    }
}
