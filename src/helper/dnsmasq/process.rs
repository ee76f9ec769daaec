//! Running dnsmasq for a network: write its files, start it (it daemonizes and reports
//! whether it could set up, in its own words), find it again by its pid file, watch it
//! through a pidfd (so its death is noticed at once), and stop it by PID.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::process::Command;
use tracing::warn;

use super::config::{self, Paths};
use super::leases::{BRIDGE_ENV, LEASE_MAX_ENV, LEASES_DIR_ENV, leases_file};
use crate::dbus::{ErrorKind, HelperError};
use crate::helper::fsutil::{remove_if_exists, replace};
use crate::model::Network;

/// How long dnsmasq may take to set up (it pings nothing at start; this is generous).
const START_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct Dnsmasq {
    /// `STATE/dnsmasq`: configuration, hosts files and leases.
    dir: PathBuf,
    /// `RUN`: pid files.
    pid_dir: PathBuf,
    /// The program dnsmasq runs on each lease change (virtnetd itself).
    lease_script: PathBuf,
}

fn failed(network: &str, why: impl std::fmt::Display) -> HelperError {
    HelperError::new(ErrorKind::Dnsmasq, format!("dnsmasq for network '{network}': {why}"))
}

impl Dnsmasq {
    pub fn new(state_dir: &Path, run_dir: &Path, lease_script: PathBuf) -> Dnsmasq {
        Dnsmasq { dir: state_dir.join("dnsmasq"), pid_dir: run_dir.to_owned(), lease_script }
    }

    pub fn leases_dir(&self) -> &Path {
        &self.dir
    }

    pub fn paths(&self, network_name: &str) -> Paths {
        Paths::new(&self.dir, Some(&self.pid_dir), network_name)
    }

    /// Writes the files and starts dnsmasq; returns once it runs (or with its message).
    pub async fn start(&self, network: &Network) -> Result<Process, HelperError> {
        let name = &network.name;
        let paths = self.paths(name);
        let files = config::render(network, &paths);
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| failed(name, format!("cannot create {}: {e}", self.dir.display())))?;
        for (path, contents) in
            [(&paths.hostsfile, &files.hostsfile), (&paths.addnhosts, &files.addnhosts), (&paths.conf, &files.conf)]
        {
            // Regenerated at every start: no need to wait for the disk.
            replace(path, contents.as_bytes())
                .map_err(|e| failed(name, format!("cannot write {}: {e}", path.display())))?;
        }
        let pidfile = paths.pidfile.clone().unwrap_or_default();
        remove_if_exists(&pidfile).map_err(|e| failed(name, e))?;

        // dnsmasq forks; the first process exits once the daemon is set up, with a
        // non-zero status and the reason on stderr if it could not be.
        let mut command = Command::new("dnsmasq");
        command
            .arg(format!("--conf-file={}", paths.conf.display()))
            .arg("--leasefile-ro")
            .arg(format!("--dhcp-script={}", self.lease_script.display()))
            .env(LEASES_DIR_ENV, &self.dir)
            .env(BRIDGE_ENV, network.bridge.name.as_deref().unwrap_or_default())
            .env(LEASE_MAX_ENV, lease_max(&files).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| failed(name, format!("cannot run dnsmasq ({e}); is it installed?")))?;
        let output = tokio::time::timeout(START_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| failed(name, "did not finish starting within 10 s"))?
            .map_err(|e| failed(name, e))?;
        if !output.status.success() {
            let message = String::from_utf8_lossy(&output.stderr).trim().replace('\n', "; ");
            self.remove_files(name);
            return Err(failed(name, if message.is_empty() { format!("exited ({})", output.status) } else { message }));
        }
        match self.find(name) {
            Some(process) => Ok(process),
            None => {
                self.remove_files(name);
                Err(failed(name, "started but wrote no pid file"))
            }
        }
    }

    /// The running dnsmasq of a network, found by its pid file and checked to be ours
    /// (a PID read from a file may have been reused by another program).
    pub fn find(&self, network_name: &str) -> Option<Process> {
        let paths = self.paths(network_name);
        let pidfile = paths.pidfile?;
        let pid: i32 = std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let ours = format!("--conf-file={}", paths.conf.display());
        if !cmdline.split(|b| *b == 0).any(|arg| arg == ours.as_bytes()) {
            return None;
        }
        let pidfd = pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()?;
        Some(Process { pid, pidfd })
    }

    /// Stops the network's dnsmasq (if it runs) and removes its files and leases.
    pub async fn stop(&self, network: &Network) {
        if let Some(process) = self.find(&network.name) {
            process.terminate().await;
        }
        self.remove_files(&network.name);
        if let Some(bridge) = &network.bridge.name
            && let Err(e) = remove_if_exists(&leases_file(&self.dir, bridge))
        {
            warn!(network = %network.name, "cannot remove the leases: {e}");
        }
    }

    fn remove_files(&self, network_name: &str) {
        let paths = self.paths(network_name);
        for path in
            [Some(paths.conf), Some(paths.hostsfile), Some(paths.addnhosts), paths.pidfile].into_iter().flatten()
        {
            if let Err(e) = remove_if_exists(&path) {
                warn!(network = network_name, "cannot remove {}: {e}", path.display());
            }
        }
    }
}

/// A running dnsmasq, held by a pidfd: signals reach exactly this process, and its
/// exit is seen without polling.
#[derive(Debug)]
pub struct Process {
    pub pid: i32,
    pidfd: OwnedFd,
}

impl Process {
    /// Resolves when the process has exited.
    pub async fn exited(&self) {
        let Ok(fd) = self.pidfd.try_clone() else { return };
        // SAFETY: the descriptor is an OwnedFd moved into the AsyncFd, so it stays open
        // for as long as it is registered (the I/O-safety condition of this call).
        #[allow(unsafe_code)]
        let registered = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) };
        match registered {
            // A pidfd becomes readable when its process ends.
            Ok(fd) => {
                let _ = fd.readable().await;
            }
            Err(e) => warn!(pid = self.pid, "cannot watch dnsmasq: {e}"),
        }
    }

    /// Not exited (an exited process waiting for its parent is a zombie).
    pub fn is_running(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).is_ok_and(|s| !s.contains(") Z"))
    }

    /// SIGTERM, then SIGKILL if it has not ended after 2 s.
    pub async fn terminate(&self) {
        if pidfd_send_signal(&self.pidfd, Signal::TERM).is_err() {
            return;
        }
        if tokio::time::timeout(Duration::from_secs(2), self.exited()).await.is_err() {
            let _ = pidfd_send_signal(&self.pidfd, Signal::KILL);
            self.exited().await;
        }
    }
}

/// The most leases this dnsmasq hands out: its `dhcp-lease-max`, or dnsmasq's default
/// (1000) when the files name none (static hosts only).
fn lease_max(files: &config::Files) -> u64 {
    const DNSMASQ_DEFAULT_LEASE_MAX: u64 = 1000;
    if files.lease_max > 0 { files.lease_max } else { DNSMASQ_DEFAULT_LEASE_MAX }
}
