//! A sandbox per test, started with `build-aux/virtnet-sandbox` (the same script
//! developers and the README use): a private system-like bus, a network namespace the
//! test owns, and virtnetd inside it. Dropping the sandbox stops everything by PID and
//! deletes the namespace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use virtnet::dbus::proxy::{ManagerProxy, NetworkProxy};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Where a sandbox that serves ssh is reached (through its [`Sandbox::ssh_program`]).
#[allow(dead_code)]
pub const SSH_TARGET: &str = "ssh://root@127.0.0.1";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: HashMap<String, String>,
    polkit: bool,
    /// Extra virtnetd options (`--firewall iptables`).
    helper_args: String,
    /// A folder put first on virtnetd's PATH (fault injection: tools that fail).
    path_prefix: Option<PathBuf>,
}

pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("build-aux/virtnet-sandbox")
}

pub fn require_root() {
    // SAFETY-free check: /proc/self/status has the effective uid.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    let euid: u32 = uid_line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert_eq!(euid, 0, "these tests create network namespaces and must run as root (build-aux/test does)");
}

fn run_script(
    args: &[&str],
    polkit: bool,
    netns: Option<&str>,
    helper_args: &str,
    path_prefix: Option<&Path>,
    extra_env: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(script());
    cmd.envs(extra_env.iter().copied());
    if let Some(prefix) = path_prefix {
        cmd.env("PATH", format!("{}:{}", prefix.display(), std::env::var("PATH").unwrap_or_default()));
    }
    cmd.args(args)
        .env("VIRTNETD", env!("CARGO_BIN_EXE_virtnetd"))
        .env("VIRTNETD_LOG", "info")
        .env("VIRTNETD_ARGS", helper_args);
    if polkit {
        cmd.env("SANDBOX_POLKIT", "1");
    }
    if let Some(netns) = netns {
        cmd.env("SANDBOX_NETNS", netns);
    }
    cmd.output().unwrap()
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Sandbox::start_with(false, |_| {})
    }

    /// `prepare` runs on the sandbox folder before anything starts (to add polkit rules,
    /// or definitions).
    pub fn start_with(polkit: bool, prepare: impl FnOnce(&Path)) -> Sandbox {
        Sandbox::start_full(polkit, "", None, prepare)
    }

    /// A sandbox with polkit, whose only rule grants io.github.virtnet.manage to the
    /// user "daemon" (uid 1).
    #[allow(dead_code)] // not every test binary asks polkit
    pub fn start_with_manage_for_daemon() -> Sandbox {
        Sandbox::start_granting_daemon("io.github.virtnet.manage")
    }

    /// A sandbox with polkit, whose only rule grants `action` to the user "daemon".
    pub fn start_granting_daemon(action: &str) -> Sandbox {
        Sandbox::start_with(true, |dir| {
            std::fs::create_dir_all(dir.join("polkit-rules")).unwrap();
            std::fs::write(
                dir.join("polkit-rules/50-virtnet-test.rules"),
                format!("polkit.addRule(function(action, subject) {{\n  if (action.id == \"{action}\" && subject.user == \"daemon\") {{\n    return polkit.Result.YES;\n  }}\n}});\n"),
            )
            .unwrap();
        })
    }

    /// A sandbox whose virtnetd gets extra options (`--firewall iptables`).
    pub fn start_with_args(helper_args: &str) -> Sandbox {
        Sandbox::start_full(false, helper_args, None, |_| {})
    }

    /// A sandbox whose virtnetd finds the programs in `path_prefix` first.
    pub fn start_with_path(helper_args: &str, path_prefix: &Path) -> Sandbox {
        Sandbox::start_full(false, helper_args, Some(path_prefix.to_owned()), |_| {})
    }

    /// A sandbox whose virtnetd has only what its systemd unit leaves it (the unit's
    /// capabilities, /proc/sys read-only but for net: build-aux/confine-like-unit),
    /// also when restarted.
    pub fn start_confined() -> Sandbox {
        Sandbox::start_inner(false, "", None, &[("SANDBOX_CONFINED", "1")], |_| {})
    }

    fn start_full(
        polkit: bool,
        helper_args: &str,
        path_prefix: Option<PathBuf>,
        prepare: impl FnOnce(&Path),
    ) -> Sandbox {
        Sandbox::start_inner(polkit, helper_args, path_prefix, &[], prepare)
    }

    fn start_inner(
        polkit: bool,
        helper_args: &str,
        path_prefix: Option<PathBuf>,
        extra_env: &[(&str, &str)],
        prepare: impl FnOnce(&Path),
    ) -> Sandbox {
        require_root();
        let dir = tempfile::Builder::new().prefix("virtnet-test-").tempdir().unwrap();
        prepare(dir.path());
        let netns = format!("vn-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let out = run_script(
            &["start", dir.path().to_str().unwrap()],
            polkit,
            Some(&netns),
            helper_args,
            path_prefix.as_deref(),
            extra_env,
        );
        let mut sandbox =
            Sandbox { dir, env: HashMap::new(), polkit, helper_args: helper_args.to_owned(), path_prefix };
        sandbox.reload_env();
        assert!(
            out.status.success(),
            "sandbox did not start:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            sandbox.log(),
            sandbox.env.get("SANDBOX_NETNS").map(|_| "").unwrap_or("(no env file)")
        );
        sandbox
    }

    fn reload_env(&mut self) {
        let text = std::fs::read_to_string(self.dir.path().join("env")).unwrap_or_default();
        self.env = text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    }

    pub fn address(&self) -> &str {
        &self.env["VIRTNET_CONNECT"]
    }

    pub fn netns(&self) -> &str {
        &self.env["SANDBOX_NETNS"]
    }

    /// dnsmasq processes started with a configuration of this sandbox.
    #[allow(dead_code)] // not every test binary counts them
    pub fn dnsmasq_processes(&self) -> Vec<u32> {
        let marker = format!("--conf-file={}", self.dir.path().display());
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                process_alive(*pid)
                    && std::fs::read(format!("/proc/{pid}/cmdline"))
                        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&marker))
            })
            .collect()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs the `virtnet` CLI against this sandbox's helper; its output, or a failed test.
    #[allow(dead_code)] // not every test binary uses the CLI
    pub fn virtnet(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_virtnet")).args(["-c", self.address()]).args(args).output().unwrap();
        assert!(out.status.success(), "virtnet {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Lets this sandbox play a remote host: sshd in its namespace, reached with the
    /// client [`Sandbox::ssh_program`] at [`SSH_TARGET`] (`virtnet-sandbox ssh`).
    #[allow(dead_code)] // only the remote tests play a remote host
    pub fn serve_ssh(&mut self) {
        let out = run_script(&["ssh", self.dir.path().to_str().unwrap()], false, None, "", None, &[]);
        assert!(out.status.success(), "sshd did not start: {}", String::from_utf8_lossy(&out.stderr));
        self.reload_env();
    }

    /// The ssh client that reaches this sandbox's sshd (for `VIRTNET_SSH`).
    #[allow(dead_code)]
    pub fn ssh_program(&self) -> &str {
        &self.env["SANDBOX_SSH"]
    }

    /// What sshd logged: who logged in with which key.
    #[allow(dead_code)]
    pub fn sshd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// `virtnet -c ssh://root@127.0.0.1 ARGS` against this sandbox, with `env` added.
    #[allow(dead_code)]
    pub fn virtnet_over_ssh(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_virtnet"))
            .args(["-c", SSH_TARGET])
            .args(args)
            .env("VIRTNET_SSH", self.ssh_program())
            .env_remove("VIRTNET_CONNECT")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }

    /// The bridge of a network, as `virtnet net-info` tells it.
    #[allow(dead_code)] // not every test binary plugs guests into a named network
    pub fn bridge_of(&self, network: &str) -> String {
        self.virtnet(&["net-info", network])
            .lines()
            .find_map(|l| l.strip_prefix("Bridge:").map(|b| b.trim().to_owned()))
            .unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("virtnetd.log")).unwrap_or_default()
    }

    pub fn helper_pid(&self) -> u32 {
        self.env["SANDBOX_HELPER_PID"].parse().unwrap()
    }

    pub async fn connect(&self) -> zbus::Connection {
        zbus::connection::Builder::address(self.address()).build().await.unwrap()
    }

    pub async fn manager(&self, conn: &zbus::Connection) -> ManagerProxy<'static> {
        ManagerProxy::new(conn).await.unwrap()
    }

    /// Defines a network and starts it (a failed start shows the helper's log).
    #[allow(dead_code)] // not every test binary starts networks this way
    pub async fn define_and_start(&self, conn: &zbus::Connection, xml: &str) -> NetworkProxy<'static> {
        let path = self.manager(conn).await.define_xml(xml).await.unwrap();
        let network = NetworkProxy::builder(conn)
            .path(path)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap();
        network.start().await.unwrap_or_else(|e| panic!("start failed: {e}\n{}", self.log()));
        network
    }

    pub async fn network(&self, conn: &zbus::Connection, name: &str) -> NetworkProxy<'static> {
        let path = self.manager(conn).await.lookup_by_name(name).await.unwrap();
        NetworkProxy::builder(conn).path(path).cache_properties(zbus::proxy::CacheProperties::No).build().await.unwrap()
    }

    /// Runs a command inside the sandbox's network namespace.
    pub fn netns_exec(&self, args: &[&str]) -> Output {
        Command::new("ip").args(["netns", "exec", self.netns()]).args(args).output().unwrap()
    }

    /// Starts a command inside the sandbox's namespace, stdout piped.
    pub fn netns_spawn(&self, args: &[&str]) -> std::process::Child {
        Command::new("ip")
            .args(["netns", "exec", self.netns()])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// `ip -j -d link show NAME` in the namespace, parsed; `None` if it does not exist.
    pub fn link(&self, name: &str) -> Option<serde_json::Value> {
        let out = self.netns_exec(&["ip", "-j", "-d", "link", "show", "dev", name]);
        if !out.status.success() {
            return None;
        }
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array().and_then(|a| a.first().cloned())
    }

    /// `ADDRESS/PREFIX` of every address on `name` in the namespace.
    pub fn addresses(&self, name: &str) -> Vec<String> {
        let out = self.netns_exec(&["ip", "-j", "addr", "show", "dev", name]);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        list.as_array()
            .and_then(|a| a.first())
            .and_then(|l| l["addr_info"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter(|a| a["scope"] != "link")
            .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
            .collect()
    }

    /// `ip route` lines in the namespace.
    pub fn routes(&self) -> String {
        let v4 = self.netns_exec(&["ip", "route"]);
        let v6 = self.netns_exec(&["ip", "-6", "route"]);
        format!("{}{}", String::from_utf8_lossy(&v4.stdout), String::from_utf8_lossy(&v6.stdout))
    }

    /// kill -9 of the helper, by its PID, and wait until it is gone.
    pub fn kill_helper_hard(&self) {
        signal_and_wait(self.helper_pid(), "-KILL");
    }

    /// Ends the helper normally (SIGTERM), by PID.
    pub fn stop_helper(&self) {
        signal_and_wait(self.helper_pid(), "-TERM");
    }

    /// Starts virtnetd again in this sandbox and waits until it is on the bus.
    pub fn restart_helper(&mut self) {
        let out = run_script(
            &["helper", self.dir.path().to_str().unwrap()],
            self.polkit,
            None,
            &self.helper_args,
            self.path_prefix.as_deref(),
            &[],
        );
        assert!(
            out.status.success(),
            "helper did not restart: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        self.reload_env();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let out =
            run_script(&["stop", self.dir.path().to_str().unwrap()], self.polkit, None, &self.helper_args, None, &[]);
        if !out.status.success() {
            eprintln!("sandbox stop failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

/// Is the process running (not gone, not a zombie waiting for its parent)?
pub fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z"))
}

/// Sends a signal to a process by PID and waits up to 5 s for it to end.
fn signal_and_wait(pid: u32, signal: &str) {
    assert!(Command::new("kill").args([signal, &pid.to_string()]).status().unwrap().success());
    for _ in 0..500 {
        if !process_alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("process {pid} survived kill {signal}");
}

/// A definition with sensible defaults, for tests.
pub fn isolated(name: &str, third_octet: u8) -> String {
    format!("<network><name>{name}</name><ip address='10.{third_octet}.0.1' prefix='24'/></network>")
}
