//! A real guest operating system: Debian's cloud kernel and a busybox initramfs under
//! qemu (TCG: KVM does not run guests on these machines), built once from Debian's
//! packages by `build-aux/vm-guest prepare`. The test talks to the guest's shell on the
//! serial console. Dropping the VM kills qemu by its PID.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where qemu, the kernel and the initramfs are (`build-aux/vm-guest`'s env file).
pub struct Assets {
    env: HashMap<String, String>,
}

/// Prepares the assets once per test binary (a download and a few seconds the first
/// time on a machine, nothing after).
pub fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let top = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::var("VIRTNET_VM_DIR").map_or_else(|_| top.join("target/vm-guest"), PathBuf::from);
        let out = Command::new(top.join("build-aux/vm-guest")).arg("prepare").arg(&dir).output().unwrap();
        assert!(out.status.success(), "vm-guest prepare failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(dir.join("env")).unwrap();
        let env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
            .collect();
        Assets { env }
    })
}

/// How the VM's NIC reaches the network.
pub enum Nic<'a> {
    /// `-netdev bridge` through virtnet-bridge-helper (OpenPort).
    Bridge { bridge: &'a str, bus: &'a str },
    /// `-netdev tap,ifname=X` on a persistent tap (CreatePort).
    Tap { ifname: &'a str },
}

/// What the console printed, and a way to wait for more.
#[derive(Default)]
struct Console {
    text: Mutex<String>,
    more: Condvar,
}

pub struct Vm {
    child: Child,
    stdin: ChildStdin,
    console: Arc<Console>,
    stderr: Arc<Mutex<String>>,
    commands: u32,
}

impl Vm {
    /// Boots the guest as `user` inside the namespace `netns`, with the NIC's MAC.
    pub fn boot(nic: Nic<'_>, mac: &str, user: &str, netns: &str) -> Vm {
        let assets = assets();
        let env = |key: &str| assets.env[key].clone();
        let netdev = match nic {
            Nic::Bridge { bridge, .. } => {
                format!("bridge,id=n0,br={bridge},helper={}", env!("CARGO_BIN_EXE_virtnet-bridge-helper"))
            }
            Nic::Tap { ifname } => format!("tap,id=n0,ifname={ifname},script=no,downscript=no"),
        };
        let gid = Command::new("id").args(["-g", user]).output().unwrap();
        let gid = String::from_utf8_lossy(&gid.stdout).trim().to_owned();
        // A persistent tap is opened through /dev/net/tun, which Debian's udev makes
        // 0666; on machines where it is 0600 the test gives qemu a private 0666 node
        // (a mount namespace of its own), never changing the machine's.
        let mut command = Command::new("unshare");
        command.args(["--mount", "--propagation", "private", "sh", "-c"]).arg(
            r#"if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
                 node=$(mktemp -d)/tun && mknod -m 666 "$node" c 10 200 && mount --bind "$node" /dev/net/tun || exit 1
               fi
               exec "$@""#,
        );
        command.args([
            "sh",
            "ip",
            "netns",
            "exec",
            netns,
            "setpriv",
            "--reuid",
            user,
            "--regid",
            &gid,
            "--clear-groups",
        ]);
        command
            .arg(env("VM_QEMU"))
            .args(["-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none"])
            .args(["-serial", "stdio", "-monitor", "none", "-no-reboot"])
            .args(env("VM_FIRMWARE_ARGS").split_whitespace())
            .args(["-kernel", &env("VM_KERNEL"), "-initrd", &env("VM_INITRD")])
            .args(["-append", "console=ttyS0 quiet panic=-1"])
            .args(["-netdev", &netdev, "-device", &format!("virtio-net-pci,netdev=n0,mac={mac},romfile=")])
            .env("LD_LIBRARY_PATH", env("VM_LD_LIBRARY_PATH"))
            .env("QEMU_MODULE_DIR", env("VM_MODULE_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Nic::Bridge { bus, .. } = nic {
            command.env("VIRTNET_CONNECT", bus);
        }
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let console = Arc::new(Console::default());
        let reader = Arc::clone(&console);
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut line = Vec::new();
            while lines.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                reader.text.lock().unwrap().push_str(&String::from_utf8_lossy(&line));
                reader.more.notify_all();
                line.clear();
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let errors = Arc::clone(&stderr);
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                errors.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Vm { child, stdin, console, stderr, commands: 0 }
    }

    /// Waits (stall check) until the console printed `text`; false after `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut seen = self.console.text.lock().unwrap();
        while !seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            seen = self.console.more.wait_timeout(seen, left.min(Duration::from_millis(200))).unwrap().0;
        }
        true
    }

    /// Waits for the shell of a booted guest (qemu's own stderr in the panic message
    /// if it ends first).
    pub fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.wait_for("virtnet guest ready", Duration::from_millis(500)) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("qemu ended ({status}) before the guest was up:\n{}", self.stderr());
            }
            assert!(Instant::now() < deadline, "the guest did not boot within 120 s:\n{}", self.console());
        }
    }

    /// Runs a shell command in the guest; returns its output and exit status.
    pub fn run(&mut self, command: &str, timeout: Duration) -> (String, i32) {
        self.commands += 1;
        let marker = format!("@@done{}@@", self.commands);
        let start = self.console.text.lock().unwrap().len();
        writeln!(self.stdin, "{command}; echo {marker}$?").unwrap();
        self.stdin.flush().unwrap();
        let deadline = Instant::now() + timeout;
        loop {
            {
                let text = self.console.text.lock().unwrap();
                let new = &text[start..];
                // The typed line echoes "@@doneN@@$?"; the answer has the digits.
                if let Some(at) = new
                    .match_indices(&marker)
                    .map(|(i, _)| i)
                    .find(|i| new[i + marker.len()..].starts_with(|c: char| c.is_ascii_digit()))
                {
                    let rest = &new[at + marker.len()..];
                    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    return (new[..at].to_owned(), code.parse().unwrap());
                }
            }
            assert!(
                Instant::now() < deadline,
                "'{command}' did not finish in the guest within {timeout:?}:\n{}",
                self.console()
            );
            let seen = self.console.text.lock().unwrap();
            let _ = self.console.more.wait_timeout(seen, Duration::from_millis(200)).unwrap();
        }
    }

    /// Runs a command that must succeed.
    pub fn ok(&mut self, command: &str, timeout: Duration) -> String {
        let (output, code) = self.run(command, timeout);
        assert_eq!(code, 0, "'{command}' failed in the guest:\n{output}");
        output
    }

    pub fn console(&self) -> String {
        self.console.text.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for qemu to end by itself (a refused NIC ends it at start-up).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader threads take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Powers the guest off and waits for qemu to end (killed by PID after 10 s).
    pub fn power_off(mut self) {
        let _ = writeln!(self.stdin, "poweroff -f");
        let _ = self.stdin.flush();
        if self.wait_exit(Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // unshare, sh, `ip netns exec` and setpriv each exec the next: the child's PID is qemu's.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
