//! Guests and outside hosts for the datapath tests: network namespaces the test creates
//! (and deletes when dropped), wired to the sandbox's namespace with veth pairs. Only
//! these namespaces ever see traffic.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::sandbox::Sandbox;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/net").join(file)
}

fn run(args: &[&str]) -> Output {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A namespace of the test's own.
pub struct Namespace {
    pub name: String,
}

impl Namespace {
    pub fn new(role: &str) -> Namespace {
        let name = format!("vn-{role}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        run(&["ip", "netns", "add", &name]);
        run(&["ip", "-n", &name, "link", "set", "lo", "up"]);
        Namespace { name }
    }

    pub fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip").args(["netns", "exec", &self.name]).args(args).output().unwrap()
    }

    /// Runs a command in the namespace and asserts it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.exec(args);
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    pub fn ping(&self, address: &str) -> bool {
        self.exec(&["busybox", "ping", "-c", "1", "-W", "2", address]).status.success()
    }

    /// Opens a TCP connection to `host:port` (2 s timeout).
    pub fn connect(&self, host: &str, port: u16) -> bool {
        connect_in(&self.name, host, port)
    }

    /// Listens on `port`; `PeerWatch::peer` tells who connected.
    pub fn listen(&self, port: u16) -> PeerWatch {
        let mut child =
            self.spawn(&["/usr/bin/python3", "-u", data("peer.py").to_str().unwrap(), "serve", &port.to_string(), "6"]);
        // Wait for "listening" so a connection attempt does not race the bind.
        let stdout = child.stdout.take().unwrap();
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        assert_eq!(line.trim(), "listening");
        PeerWatch { child, reader }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "delete", &self.name]).status();
    }
}

/// Opens a TCP connection to `host:port` from the namespace `netns` (the test's own, or
/// the sandbox's "host"; 2 s timeout).
pub fn connect_in(netns: &str, host: &str, port: u16) -> bool {
    let script = data("peer.py");
    let out = Command::new("ip")
        .args(["netns", "exec", netns, "/usr/bin/python3", script.to_str().unwrap(), "connect", host])
        .arg(port.to_string())
        .output()
        .unwrap();
    out.status.success()
}

/// A listener that accepts every connection until dropped.
pub struct Listener {
    child: Child,
}

/// Accepts every TCP connection on `port` in the namespace `netns` (the test's own, or
/// the sandbox's "host") until the listener is dropped.
pub fn keep_listening_in(netns: &str, port: u16) -> Listener {
    let script = data("peer.py");
    let mut child = Command::new("ip")
        .args(["netns", "exec", netns, "/usr/bin/python3", "-u", script.to_str().unwrap(), "keep", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "listening");
    Listener { child }
}

impl Namespace {
    /// Accepts every TCP connection on `port` until the listener is dropped.
    pub fn keep_listening(&self, port: u16) -> Listener {
        keep_listening_in(&self.name, port)
    }

    /// Echoes every line of every TCP connection on `port` until dropped.
    #[allow(dead_code)] // only the tests of open connections echo
    pub fn echo(&self, port: u16) -> Listener {
        self.serve_until_dropped("echo", port)
    }

    /// Runs `peer.py MODE PORT` until dropped, once it says it is listening.
    #[allow(dead_code)] // only the tests that echo
    fn serve_until_dropped(&self, mode: &str, port: u16) -> Listener {
        let mut child =
            self.spawn(&["/usr/bin/python3", "-u", data("peer.py").to_str().unwrap(), mode, &port.to_string()]);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), "listening");
        Listener { child }
    }

    /// Answers every UDP datagram on `port` (with its bytes and the sender's address)
    /// until dropped.
    #[allow(dead_code)] // only the port forwarding tests echo UDP
    pub fn udp_echo(&self, port: u16) -> Listener {
        self.serve_until_dropped("udp-echo", port)
    }

    /// Sends `word` to `host:port` over UDP: the answer ("WORD from ADDRESS"), if one
    /// comes within 2 s.
    #[allow(dead_code)] // only the port forwarding tests echo UDP
    pub fn udp_ask(&self, host: &str, port: u16, word: &str) -> Option<String> {
        let out = self.exec(&[
            "/usr/bin/python3",
            data("peer.py").to_str().unwrap(),
            "udp-ask",
            host,
            &port.to_string(),
            word,
        ]);
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Opens one TCP connection to an [`echo`](Self::echo) at `host:port` and keeps it.
    #[allow(dead_code)] // only the tests of open connections hold one
    pub fn hold(&self, host: &str, port: u16) -> Held {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.name,
                "/usr/bin/python3",
                "-u",
                data("peer.py").to_str().unwrap(),
                "hold",
                host,
            ])
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert_eq!(line.trim(), "connected", "no connection to {host}:{port}");
        Held { child, stdin, stdout }
    }

    /// Starts trying to connect to `host:port` every `interval` for `duration`;
    /// `Probe::result` says how many attempts connected.
    pub fn probe(&self, host: &str, port: u16, duration: Duration, interval: Duration) -> Probe {
        let child = self.spawn(&[
            "/usr/bin/python3",
            data("peer.py").to_str().unwrap(),
            "probe",
            host,
            &port.to_string(),
            &duration.as_secs_f64().to_string(),
            &interval.as_secs_f64().to_string(),
        ]);
        Probe { child }
    }

    /// Gives the namespace's `dev` the address `address` (with prefix) and a default
    /// route via `gateway`: a guest configured by hand, without waiting for DHCP.
    pub fn configure(&self, dev: &str, address: &str, gateway: &str) {
        self.ok(&["ip", "addr", "add", address, "dev", dev]);
        self.ok(&["ip", "route", "add", "default", "via", gateway]);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One TCP connection held open (see [`Namespace::hold`]).
pub struct Held {
    child: Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

#[allow(dead_code)] // only the tests of open connections hold one
impl Held {
    /// Is it the same connection, still up? Sends a line over it and reads the echo.
    pub fn still_up(&mut self, word: &str) -> bool {
        use std::io::Write;
        if writeln!(self.stdin, "{word}").and_then(|()| self.stdin.flush()).is_err() {
            return false;
        }
        let mut line = String::new();
        std::io::BufRead::read_line(&mut self.stdout, &mut line).is_ok() && line.trim() == word
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connection attempts running in the background.
pub struct Probe {
    child: Child,
}

impl Probe {
    /// (connected, attempts), once the probing is over.
    pub fn result(self) -> (u32, u32) {
        let out = self.child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut words = text.split_whitespace().map(|w| w.parse::<u32>().unwrap());
        (words.next().unwrap(), words.next().unwrap())
    }
}

pub struct PeerWatch {
    child: Child,
    reader: std::io::BufReader<std::process::ChildStdout>,
}

impl PeerWatch {
    /// The address the connection came from, or "nobody".
    pub fn peer(mut self) -> String {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut self.reader, &mut line);
        let _ = self.child.wait();
        line.trim().to_owned()
    }
}

impl Drop for PeerWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a guest's DHCP client got.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DhcpResult {
    pub ip: String,
    pub mask: String,
    pub router: String,
    pub dns: String,
    pub domain: String,
}

/// A guest: a namespace whose `eth0` is plugged into a bridge of the sandbox.
pub struct Guest {
    pub ns: Namespace,
    pub mac: String,
    lease_file: PathBuf,
}

impl Guest {
    /// Plugs a new guest into `bridge` (optionally with a given MAC).
    pub fn plug(sandbox: &Sandbox, bridge: &str, mac: Option<&str>) -> Guest {
        let ns = Namespace::new("guest");
        let port = format!("vg{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        run(&[
            "ip",
            "-n",
            sandbox.netns(),
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            &ns.name,
        ]);
        run(&["ip", "-n", sandbox.netns(), "link", "set", &port, "master", bridge, "up"]);
        if let Some(mac) = mac {
            run(&["ip", "-n", &ns.name, "link", "set", "eth0", "address", mac]);
        }
        run(&["ip", "-n", &ns.name, "link", "set", "eth0", "up"]);
        let out = ns.ok(&["cat", "/sys/class/net/eth0/address"]);
        let lease_file = sandbox.dir.path().join(format!("{}.lease", ns.name));
        Guest { ns, mac: out.trim().to_owned(), lease_file }
    }

    /// Asks for an address with busybox udhcpc (15 tries, one a second: a new bridge
    /// port forwards only after STP's 4 s of listening and learning, and a new client's
    /// first lease takes dnsmasq about 3 s more, it pings the address first; on a
    /// loaded machine 8 tries were seen to run out).
    pub fn dhcp(&self, hostname: &str) -> DhcpResult {
        self.dhcp_with_option(&format!("hostname:{hostname}"), None)
    }

    /// Asks for the address it had (`-r`, as a client renewing does): a server that
    /// has another address for this guest now refuses it, and the client takes the new.
    #[allow(dead_code)] // only the live-update tests move a guest
    pub fn renew(&self, hostname: &str, address: &str) -> DhcpResult {
        self.dhcp_with_option(&format!("hostname:{hostname}"), Some(address))
    }

    /// Asks for an address sending `hostname` byte for byte as DHCP option 12 (udhcpc's
    /// `hostname:` cuts a name at its first space; a hex option is sent as it is).
    #[allow(dead_code)] // only the hostile-guest tests send raw names
    pub fn dhcp_raw_hostname(&self, hostname: &[u8]) -> DhcpResult {
        let hex: String = hostname.iter().map(|b| format!("{b:02x}")).collect();
        self.dhcp_with_option(&format!("0x0c:{hex}"), None)
    }

    /// udhcpc with one `-x OPTION:VALUE`, asking for `requested` if given.
    fn dhcp_with_option(&self, option: &str, requested: Option<&str>) -> DhcpResult {
        let requested: Vec<&str> = requested.map(|ip| vec!["-r", ip]).unwrap_or_default();
        let lease_file = format!("VIRTNET_LEASE_FILE={}", self.lease_file.display());
        let hook = data("udhcpc-hook.sh");
        let mut args = vec![
            "env",
            &lease_file,
            "busybox",
            "udhcpc",
            "-i",
            "eth0",
            "-f",
            "-q",
            "-n",
            "-t",
            "15",
            "-T",
            "1",
            "-x",
            option,
            "-s",
            hook.to_str().unwrap(),
        ];
        args.extend(requested);
        let out = self.ns.exec(&args);
        assert!(
            out.status.success(),
            "no DHCP lease: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&self.lease_file).unwrap();
        let mut result = DhcpResult::default();
        for pair in text.split_whitespace() {
            match pair.split_once('=') {
                Some(("ip", v)) => result.ip = v.to_owned(),
                Some(("mask", v)) => result.mask = v.to_owned(),
                Some(("router", v)) => result.router = v.to_owned(),
                Some(("dns", v)) => result.dns = v.to_owned(),
                Some(("domain", v)) => result.domain = v.to_owned(),
                _ => {}
            }
        }
        result
    }

    /// Resolves `name` with the DNS server at `server`.
    pub fn resolve(&self, name: &str, server: &str) -> Option<String> {
        let out = self.ns.exec(&["busybox", "nslookup", name, server]);
        let text = String::from_utf8_lossy(&out.stdout);
        // The answer section follows the server's own lines.
        text.split(&format!("Name:\t{name}")).nth(1).or_else(|| text.split(&format!("Name:   {name}")).nth(1)).and_then(
            |answer| answer.lines().find_map(|l| l.trim().strip_prefix("Address:").map(|a| a.trim().to_owned())),
        )
    }

    /// Waits up to `timeout` for a global IPv6 address in `prefix` (from router
    /// advertisements).
    pub fn wait_for_ipv6(&self, prefix: &str, timeout: Duration) -> Option<String> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            let out = self.ns.exec(&["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global"]);
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(addr) = text
                .split_whitespace()
                .find(|w| w.starts_with(prefix))
                .map(|w| w.split('/').next().unwrap_or(w).to_owned())
                && !text.contains("tentative")
            {
                return Some(addr);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

/// A host outside the virtual network, on an uplink of the sandbox's "host": the
/// sandbox side gets `host_ip`, the outside `outside_ip` (both /24).
pub struct Outside {
    pub ns: Namespace,
    pub uplink: String,
    pub host_ip: String,
    pub ip: String,
}

impl Outside {
    pub fn attach(sandbox: &Sandbox, uplink: &str, third_octet: u8) -> Outside {
        let ns = Namespace::new("out");
        let host_ip = format!("203.0.{third_octet}.1");
        let ip = format!("203.0.{third_octet}.2");
        run(&[
            "ip",
            "-n",
            sandbox.netns(),
            "link",
            "add",
            uplink,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            &ns.name,
        ]);
        run(&["ip", "-n", sandbox.netns(), "addr", "add", &format!("{host_ip}/24"), "dev", uplink]);
        run(&["ip", "-n", sandbox.netns(), "link", "set", uplink, "up"]);
        run(&["ip", "-n", &ns.name, "addr", "add", &format!("{ip}/24"), "dev", "eth0"]);
        run(&["ip", "-n", &ns.name, "link", "set", "eth0", "up"]);
        Outside { ns, uplink: uplink.to_owned(), host_ip, ip }
    }

    /// Tells the outside host to route `subnet` through the sandbox host (as the LAN's
    /// router would be told for a routed network).
    pub fn route(&self, subnet: &str) {
        run(&["ip", "-n", &self.ns.name, "route", "add", subnet, "via", &self.host_ip]);
    }
}
