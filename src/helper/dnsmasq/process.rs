//! Running dnsmasq for a network: write its files, start it (it daemonizes and reports
//! whether it could set up, in its own words), find it again by its pid file, watch it
//! through a pidfd (so its death is noticed at once), and stop it by PID.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helper::tools;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tracing::warn;

use super::config::{self, Paths};
use super::leases::{BRIDGE_ENV, LEASE_MAX_ENV, LEASES_DIR_ENV, leases_file};
use super::reach;
use crate::dbus::{ErrorKind, HelperError};
use crate::helper::fsutil::{remove_if_exists, replace, replace_readable};

/// dnsmasq's message when an interface vanished while it listed them.
const INTERFACE_RACE: &str = "failed to find list of interfaces";

/// How often a start that met [`INTERFACE_RACE`] is tried, at most.
const INTERFACE_RACE_TRIES: usize = 3;

/// How one of dnsmasq's files is written (with which mode).
type WriteFile = fn(&Path, &[u8]) -> std::io::Result<()>;
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
        // Regenerated at every start: no need to wait for the disk. The hosts files are
        // read again by dnsmasq's own user (on SIGHUP); the configuration only by root.
        let writes: [(&PathBuf, &String, WriteFile); 3] = [
            (&paths.hostsfile, &files.hostsfile, replace_readable),
            (&paths.addnhosts, &files.addnhosts, replace_readable),
            (&paths.conf, &files.conf, replace),
        ];
        for (path, contents, write) in writes {
            write(path, contents.as_bytes())
                .map_err(|e| failed(name, format!("cannot write {}: {e}", path.display())))?;
        }
        if let Some(why) = reach::problem(&[&paths.hostsfile, &paths.addnhosts]) {
            self.remove_files(name);
            return Err(failed(name, why));
        }
        let pidfile = paths.pidfile.clone().unwrap_or_default();
        remove_if_exists(&pidfile).map_err(|e| failed(name, e))?;

        // dnsmasq lists the host's interfaces at start and gives up if one vanishes
        // while it looks ("failed to find list of interfaces: No such device"): another
        // network stopping at that moment. That failure is tried again, a few times.
        let mut result = self.spawn(network, &paths, &files, &pidfile).await;
        for _ in 1..INTERFACE_RACE_TRIES {
            match &result {
                Err(e) if e.message.contains(INTERFACE_RACE) => {
                    warn!(network = %name, "dnsmasq met an interface going away while it listed them; starting it again");
                    self.kill_strays(name);
                    result = match remove_if_exists(&pidfile) {
                        Ok(()) => self.spawn(network, &paths, &files, &pidfile).await,
                        Err(e) => Err(failed(name, e)),
                    };
                }
                _ => break,
            }
        }
        if result.is_err() {
            self.kill_strays(name);
            self.remove_files(name);
        }
        result
    }

    /// One run of dnsmasq with the network's files: it forks, and the first process
    /// exits once the daemon is set up, with a non-zero status and the reason on stderr
    /// if it could not be.
    async fn spawn(
        &self,
        network: &Network,
        paths: &Paths,
        files: &config::Files,
        pidfile: &Path,
    ) -> Result<Process, HelperError> {
        let name = &network.name;
        let mut command = tools::command("dnsmasq");
        command
            .arg(format!("--conf-file={}", paths.conf.display()))
            .arg("--leasefile-ro")
            .arg(format!("--dhcp-script={}", self.lease_script.display()))
            .env(LEASES_DIR_ENV, &self.dir)
            .env(BRIDGE_ENV, network.bridge.name.as_deref().unwrap_or_default())
            .env(LEASE_MAX_ENV, lease_max(files).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| failed(name, format!("cannot run dnsmasq ({e}); is it installed?")))?;
        let waited = tokio::time::timeout(START_TIMEOUT, child.wait_with_output()).await;
        match waited {
            Err(_) => Err(failed(name, "did not finish starting within 10 s")),
            Ok(Err(e)) => Err(failed(name, e)),
            Ok(Ok(output)) if !output.status.success() => {
                let message = String::from_utf8_lossy(&output.stderr).trim().replace('\n', "; ");
                Err(failed(name, if message.is_empty() { format!("exited ({})", output.status) } else { message }))
            }
            Ok(Ok(_)) => self.find(name).ok_or_else(|| failed(name, self.not_found_why(pidfile))),
        }
    }

    /// The running dnsmasq of a network, found by its pid file. A PID read from a file
    /// may have been reused, and anyone can start a process whose arguments look like
    /// ours: the process is held by a pidfd first (so the PID cannot change hands while
    /// it is looked at), then it must run the dnsmasq program, as root or dnsmasq's
    /// user, with this network's configuration, and still be running after the checks.
    pub fn find(&self, network_name: &str) -> Option<Process> {
        let paths = self.paths(network_name);
        let pidfile = paths.pidfile?;
        let pid: i32 = std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()?;
        let process = Process::held(pid)?;
        process.is_dnsmasq_with(&paths.conf).then_some(process)
    }

    /// Why [`find`](Self::find) found no dnsmasq right after a start that succeeded.
    fn not_found_why(&self, pidfile: &Path) -> String {
        match std::fs::read_to_string(pidfile) {
            Err(_) => "started but wrote no pid file".to_owned(),
            Ok(pid) => format!(
                "started, but process {} of its pid file could not be checked as this network's dnsmasq (the dnsmasq program, as root or its own user, with this configuration)",
                pid.trim()
            ),
        }
    }

    /// Kills every dnsmasq running with this network's configuration: after a start
    /// that failed half-way, nothing of it may keep running untracked.
    fn kill_strays(&self, network_name: &str) {
        let conf = self.paths(network_name).conf;
        let Ok(entries) = std::fs::read_dir("/proc") else { return };
        for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
            if let Some(process) = Process::held(pid)
                && process.is_dnsmasq_with(&conf)
            {
                warn!(network = network_name, pid, "ending a dnsmasq left by a failed start");
                let _ = pidfd_send_signal(&process.pidfd, Signal::KILL);
            }
        }
    }

    /// Rewrites the network's hosts files (static DHCP hosts, DNS hosts) and has its
    /// running dnsmasq read them again (SIGHUP): its pid, leases and answers to
    /// everything else stay as they were.
    pub fn reread(&self, network: &Network) -> Result<(), HelperError> {
        let name = &network.name;
        let paths = self.paths(name);
        let files = config::render(network, &paths);
        for (path, contents) in [(&paths.hostsfile, &files.hostsfile), (&paths.addnhosts, &files.addnhosts)] {
            replace_readable(path, contents.as_bytes())
                .map_err(|e| failed(name, format!("cannot write {}: {e}", path.display())))?;
        }
        // The configuration names the same files; written too, so a later restart (the
        // supervisor's) starts with what runs now.
        replace(&paths.conf, files.conf.as_bytes())
            .map_err(|e| failed(name, format!("cannot write {}: {e}", paths.conf.display())))?;
        let process = self.find(name).ok_or_else(|| failed(name, "it is not running"))?;
        pidfd_send_signal(&process.pidfd, Signal::HUP).map_err(|e| failed(name, format!("cannot signal it: {e}")))
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
    /// When it was found running (for an adopted one: when it was adopted).
    pub since: Instant,
}

impl Process {
    /// The process of this PID, held by a pidfd; `None` if there is none.
    fn held(pid: i32) -> Option<Process> {
        let pidfd = pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()?;
        Some(Process { pid, pidfd, since: Instant::now() })
    }

    /// Runs the dnsmasq program as root or dnsmasq's user with `conf`, and (checked
    /// last, through the pidfd) has not exited meanwhile, so /proc spoke of this very
    /// process.
    fn is_dnsmasq_with(&self, conf: &Path) -> bool {
        let proc_dir = PathBuf::from(format!("/proc/{}", self.pid));
        let ours = format!("--conf-file={}", conf.display());
        let argv_ours = std::fs::read(proc_dir.join("cmdline"))
            .is_ok_and(|cmdline| cmdline.split(|b| *b == 0).any(|arg| arg == ours.as_bytes()));
        // The program: its executable where the helper may look at it. dnsmasq changes
        // its user after starting, which makes it undumpable, and /proc/PID/exe of an
        // undumpable process needs CAP_SYS_PTRACE, which the unit does not give: then
        // the name the kernel keeps for it (comm), readable by anyone.
        let program_ours = match std::fs::read_link(proc_dir.join("exe")) {
            Ok(exe) => exe.file_name().is_some_and(|n| n == "dnsmasq"),
            Err(_) => std::fs::read_to_string(proc_dir.join("comm")).is_ok_and(|comm| comm.trim_end() == "dnsmasq"),
        };
        let uid_ours = std::fs::read_to_string(proc_dir.join("status"))
            .ok()
            .and_then(|status| real_uid(&status))
            .is_some_and(|uid| uid == 0 || dnsmasq_uids().contains(&uid));
        argv_ours && program_ours && uid_ours && !self.has_exited()
    }

    /// Whether the process has ended (its pidfd is readable), without waiting.
    fn has_exited(&self) -> bool {
        let mut fds = [PollFd::new(&self.pidfd, PollFlags::IN)];
        let now = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
        poll(&mut fds, Some(&now)).map_or(true, |ready| ready > 0)
    }

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

/// The real uid on the `Uid:` line of /proc/PID/status.
fn real_uid(status: &str) -> Option<u32> {
    status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().next()?.parse().ok()
}

/// The users dnsmasq drops to: `nobody` (its default) or `dnsmasq` (Debian's package).
fn dnsmasq_uids() -> Vec<u32> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let user = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            ["nobody", "dnsmasq"].contains(&user).then_some(uid)
        })
        .collect()
}

/// The most leases this dnsmasq hands out: its `dhcp-lease-max`, or dnsmasq's default
/// (1000) when the files name none (static hosts only).
fn lease_max(files: &config::Files) -> u64 {
    const DNSMASQ_DEFAULT_LEASE_MAX: u64 = 1000;
    if files.lease_max > 0 { files.lease_max } else { DNSMASQ_DEFAULT_LEASE_MAX }
}
