//! The watch over each network's dnsmasq: started again whenever it exits (libvirt does
//! not), backing off by how long it ran, and given up on when it keeps dying right after
//! starting: the network is then marked degraded, with the reason, until it is started
//! again.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::Service;
use crate::helper::dnsmasq::process::Process;
use crate::helper::registry::{NetState, Slot};

/// A run at least this long was a good one: the failures before it are forgotten.
const STABLE_RUN: Duration = Duration::from_secs(30);
/// Short runs (or failed starts) in a row after which dnsmasq is not started again.
const MAX_QUICK_FAILURES: u32 = 5;
/// The wait before the first restart after a short run; it doubles with each one.
const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// What to do after dnsmasq exited or could not be started.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    RestartAfter(Duration),
    GiveUp,
}

/// Counts the short runs in a row; pure, so the rules are tested on their own.
#[derive(Debug, Default)]
struct RestartPolicy {
    quick_failures: u32,
}

impl RestartPolicy {
    /// dnsmasq ran for `ran_for` and exited.
    fn after_exit(&mut self, ran_for: Duration) -> Next {
        if ran_for >= STABLE_RUN {
            // A crash after a long good run: once more at once, as if it were the first.
            self.quick_failures = 0;
            return Next::RestartAfter(Duration::ZERO);
        }
        self.failure()
    }

    /// Starting dnsmasq failed.
    fn after_failed_start(&mut self) -> Next {
        self.failure()
    }

    fn failure(&mut self) -> Next {
        self.quick_failures += 1;
        if self.quick_failures > MAX_QUICK_FAILURES {
            return Next::GiveUp;
        }
        Next::RestartAfter((FIRST_DELAY * 2u32.pow(self.quick_failures - 1)).min(MAX_DELAY))
    }
}

impl Service {
    /// Watches a network's dnsmasq and starts it again whenever it exits (libvirt does
    /// not); after [`MAX_QUICK_FAILURES`] short runs in a row it stops trying and marks
    /// the network degraded.
    pub(super) fn supervise(self: &Arc<Self>, slot: &Arc<Slot>, mut process: Process) {
        let service = Arc::clone(self);
        let watched = Arc::clone(slot);
        let task = tokio::spawn(async move {
            let mut policy = RestartPolicy::default();
            let mut next = {
                process.exited().await;
                policy.after_exit(process.since.elapsed())
            };
            loop {
                let name = watched.state().name().to_owned();
                let delay = match next {
                    Next::RestartAfter(delay) => delay,
                    Next::GiveUp => {
                        service.mark_degraded(&watched).await;
                        return;
                    }
                };
                warn!(network = %name, pid = process.pid, "dnsmasq exited; starting it again in {delay:?}");
                tokio::time::sleep(delay).await;
                let started = {
                    let _op = watched.op.lock().await;
                    let Some(live) = watched.state().live else { return };
                    service.datapath.dnsmasq.start(&live).await
                };
                match started {
                    Ok(restarted) => {
                        info!(network = %name, pid = restarted.pid, "dnsmasq running again");
                        process = restarted;
                        process.exited().await;
                        next = policy.after_exit(process.since.elapsed());
                    }
                    Err(e) => {
                        warn!(network = %name, "{e}");
                        next = policy.after_failed_start();
                    }
                }
            }
        });
        slot.set_supervisor(task.abort_handle());
    }

    /// dnsmasq is given up on: the network says so (Degraded, net-info, the window)
    /// until it is stopped or started again.
    async fn mark_degraded(&self, slot: &Arc<Slot>) {
        let _op = slot.op.lock().await;
        let before = slot.state();
        if before.live.is_none() {
            return;
        }
        let reason = format!(
            "dnsmasq stopped {} times in a row within {} s of starting, so it is no longer started: \
             guests get no DHCP or DNS from this network until it is restarted (see the helper's log for dnsmasq's messages)",
            MAX_QUICK_FAILURES + 1,
            STABLE_RUN.as_secs()
        );
        warn!(network = %before.name(), "{reason}");
        let after = NetState { degraded: Some(reason), ..before.clone() };
        slot.set_state(after.clone());
        self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_runs_back_off_then_give_up() {
        let mut policy = RestartPolicy::default();
        let delays: Vec<Next> = (0..6).map(|_| policy.after_exit(Duration::from_secs(1))).collect();
        let ms = |n| Next::RestartAfter(Duration::from_millis(n));
        assert_eq!(delays, [ms(500), ms(1000), ms(2000), ms(4000), ms(8000), Next::GiveUp]);
    }

    #[test]
    fn a_long_run_forgets_earlier_failures() {
        let mut policy = RestartPolicy::default();
        for _ in 0..MAX_QUICK_FAILURES {
            assert_ne!(policy.after_exit(Duration::from_secs(1)), Next::GiveUp);
        }
        assert_eq!(policy.after_exit(STABLE_RUN), Next::RestartAfter(Duration::ZERO));
        assert_eq!(policy.after_failed_start(), Next::RestartAfter(FIRST_DELAY));
    }

    #[test]
    fn failed_starts_count_like_short_runs() {
        let mut policy = RestartPolicy::default();
        for _ in 0..MAX_QUICK_FAILURES {
            assert!(matches!(policy.after_failed_start(), Next::RestartAfter(_)));
        }
        assert_eq!(policy.after_failed_start(), Next::GiveUp);
    }
}
