//! Live leases: the lease script (dnsmasq runs virtnetd for every lease change) rewrites
//! `BRIDGE.status` in the leases folder by rename; an inotify watch on that folder turns
//! each rewrite into a `DHCPLeasesChanged` signal on the network's object, so clients
//! follow leases without polling.

use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
use tokio::sync::mpsc;
use tracing::warn;

use super::service::Service;

/// Starts watching the leases folder for as long as the helper runs.
pub fn spawn(service: Arc<Service>) -> Result<(), String> {
    let dir = service.leases_dir().to_owned();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let fd = inotify::init(CreateFlags::CLOEXEC).map_err(|e| format!("inotify: {e}"))?;
    inotify::add_watch(&fd, &dir, WatchFlags::MOVED_TO | WatchFlags::CLOSE_WRITE)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    let (changed, mut bridges) = mpsc::unbounded_channel::<String>();
    // Blocking reads on a thread of their own: tokio can only poll a file descriptor
    // through an unsafe registration, which is kept to the one place that needs it
    // (dnsmasq's pidfd).
    std::thread::Builder::new()
        .name("lease-watch".to_owned())
        .spawn(move || {
            if let Err(e) = read_events(&fd, &changed) {
                warn!("lease changes are no longer followed: {e}");
            }
        })
        .map_err(|e| format!("cannot start the lease watch: {e}"))?;
    tokio::spawn(async move {
        while let Some(bridge) = bridges.recv().await {
            service.leases_changed(&bridge).await;
        }
    });
    Ok(())
}

/// Sends the bridge of every rewritten `BRIDGE.status`, until the helper ends.
fn read_events(fd: &OwnedFd, changed: &mpsc::UnboundedSender<String>) -> std::io::Result<()> {
    let mut buffer = [MaybeUninit::<u8>::uninit(); 4096];
    let mut reader = inotify::Reader::new(fd, &mut buffer);
    loop {
        let event = reader.next()?;
        let name = event.file_name().and_then(|n| n.to_str().ok()).unwrap_or_default();
        if let Some(bridge) = name.strip_suffix(".status")
            && changed.send(bridge.to_owned()).is_err()
        {
            return Ok(());
        }
    }
}
