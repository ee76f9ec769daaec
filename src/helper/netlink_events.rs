//! What the watches share: a netlink socket's events, read on a thread of their own and
//! turned into "something changed" messages, and bursts of them taken as one.

use std::time::Duration;

use netlink_sys::Socket;
use tokio::sync::mpsc;
use tracing::warn;

/// Sends one message per event until the helper ends. A full socket buffer (ENOBUFS:
/// events were lost) counts as a change too. `what` names the events in the log.
pub fn forward(socket: &Socket, changed: &mpsc::UnboundedSender<()>, what: &str) {
    let mut buffer = Vec::with_capacity(64 * 1024);
    loop {
        buffer.clear();
        let result = socket.recv(&mut buffer, 0);
        if let Err(e) = &result
            && e.raw_os_error() != Some(rustix::io::Errno::NOBUFS.raw_os_error())
        {
            warn!("{what} are no longer followed: {e}");
            return;
        }
        if changed.send(()).is_err() {
            return;
        }
    }
}

/// Waits until no change has come for `quiet`, or `at_most` has passed (changes that
/// never pause must not hold back what follows them).
pub async fn settle(changes: &mut mpsc::UnboundedReceiver<()>, quiet: Duration, at_most: Duration) {
    let deadline = tokio::time::Instant::now() + at_most;
    while let Ok(Ok(Some(()))) = tokio::time::timeout_at(deadline, tokio::time::timeout(quiet, changes.recv())).await {}
}
