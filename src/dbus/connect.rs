//! Where a client finds virtnetd: the system bus, a D-Bus address, or another host
//! over ssh (`ssh://[USER@]HOST[:PORT]`, like `systemctl -H`: ssh runs
//! `systemd-stdio-bridge` there, which relays the far host's system bus over ssh's
//! standard input and output). Both clients connect through [`open`] and [`find_helper`]
//! and know nothing else about the transport, but for the sentences they show.
//!
//! The ssh process is spawned here rather than through zbus's `unixexec:` address
//! (which runs the very same command line): only the parent of ssh sees its exit status
//! and its messages, and those are what tell "unreachable" from "key refused" from
//! "no systemd-stdio-bridge there". ssh's questions (an unknown host key, a password)
//! go to the terminal as always, or, for the window, to a dialog ([`Prompts`]).

use std::fmt;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::Connection;
use zbus::fdo::DBusProxy;
use zbus::proxy::CacheProperties;

use super::names::BUS_NAME;
use crate::i18n::gettext;

/// The program run on the far host: it joins ssh's standard input and output to the
/// host's system bus.
pub const REMOTE_BRIDGE: &str = "systemd-stdio-bridge";
/// The environment variable naming the ssh program to run instead of `ssh` (like
/// `GIT_SSH`): a wrapper that adds options, or another ssh.
pub const SSH_PROGRAM_VARIABLE: &str = "VIRTNET_SSH";

/// Where to connect.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// This computer's system bus.
    System,
    /// A D-Bus address (`unix:path=...`): a private bus of this computer.
    Address(String),
    /// Another host, over ssh.
    Ssh(SshTarget),
}

/// `ssh://[USER@]HOST[:PORT]`, checked: nothing in it can become an ssh option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Target {
    /// Reads `-c`/`--connect` (or `VIRTNET_CONNECT`): nothing or an empty text is the
    /// system bus, `ssh://...` another host, anything else a D-Bus address.
    pub fn parse(text: Option<&str>) -> Result<Target, String> {
        match text.map(str::trim) {
            None | Some("") => Ok(Target::System),
            Some(text) => match text.strip_prefix("ssh://") {
                Some(rest) => SshTarget::parse(rest).map(Target::Ssh).map_err(|why| format!("{text}: {why}")),
                None => Ok(Target::Address(text.to_owned())),
            },
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self, Target::Ssh(_))
    }

    /// What the sentences call it: "the system bus", "the bus unix:path=...", "HOST".
    pub fn describe(&self) -> String {
        match self {
            Target::System => gettext("the system bus"),
            Target::Address(address) => gettext("the bus {address}").replace("{address}", address),
            Target::Ssh(ssh) => ssh.host.clone(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::System => Ok(()),
            Target::Address(address) => f.write_str(address),
            Target::Ssh(ssh) => write!(f, "{ssh}"),
        }
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl SshTarget {
    /// Reads what follows `ssh://`: `[USER@]HOST[:PORT]`, an IPv6 address in brackets.
    pub fn parse(text: &str) -> Result<SshTarget, String> {
        let text = text.strip_suffix('/').unwrap_or(text);
        let (user, rest) = match text.rsplit_once('@') {
            Some((user, rest)) => (Some(user), rest),
            None => (None, text),
        };
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) =
                bracketed.split_once(']').ok_or_else(|| "the IPv6 address has no closing “]”".to_owned())?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("“{after}” after the address is not a “:PORT”")),
                },
            }
        } else {
            match rest.split_once(':') {
                Some((_, port)) if port.contains(':') => {
                    return Err("write an IPv6 address in brackets: ssh://[fd00::1]:22".to_owned());
                }
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("the port “{p}” is not a number from 1 to 65535"))
            })
            .transpose()?;
        check_host(host)?;
        if let Some(user) = user {
            check_user(user)?;
        }
        Ok(SshTarget { user: user.map(str::to_owned), host: host.to_owned(), port })
    }

    /// ssh's arguments: `-xT [-p PORT] [USER@]HOST systemd-stdio-bridge` (no X11
    /// forwarding, no terminal: the bus needs a clean 8-bit channel).
    pub fn ssh_arguments(&self) -> Vec<String> {
        let mut args = vec!["-xT".to_owned()];
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.push(match &self.user {
            Some(user) => format!("{user}@{}", self.host),
            None => self.host.clone(),
        });
        args.push(REMOTE_BRIDGE.to_owned());
        args
    }
}

/// A host name or address: letters, digits, `.`, `-`, `_` (and `:` `%` for IPv6), and
/// never a leading `-`, which ssh would read as an option.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing: ssh://[USER@]HOST[:PORT]".to_owned());
    }
    if host.starts_with('-') {
        return Err(format!("the host “{host}” starts with “-”"));
    }
    match host.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'))) {
        Some(c) => Err(format!(
            "the host “{host}” contains “{}”; a host name has letters, digits, “.”, “-” and “_”",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A user name as Debian's `adduser` allows it, loosely: no separators, no spaces, no
/// leading `-`.
fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("the user before “@” is empty".to_owned());
    }
    if user.starts_with('-') {
        return Err(format!("the user “{user}” starts with “-”"));
    }
    match user.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '$'))) {
        Some(c) => Err(format!("the user “{user}” contains “{}”", c.escape_default())),
        None => Ok(()),
    }
}

/// How ssh asks its questions (an unknown host key, a password, a key's passphrase).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompts {
    /// On the terminal, as ssh always does; ssh's messages are shown on standard error
    /// as they come.
    Terminal,
    /// In a window: ssh runs this program for every question (`SSH_ASKPASS`, forced, so
    /// a terminal the window was started from is not asked), with
    /// [`ASKPASS_VARIABLE`] set so that the program knows it is asked.
    Window(PathBuf),
}

/// Set for the askpass program ssh runs in [`Prompts::Window`] mode.
pub const ASKPASS_VARIABLE: &str = "VIRTNET_ASKPASS";

/// Why no helper could be reached, in words a person acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// The bus itself cannot be reached (`where_` names it).
    NoBus { where_: String, why: String },
    /// ssh could not run at all.
    NoSsh { program: String, why: String },
    /// ssh reached no host: name unknown, refused, no route, timed out.
    Unreachable { host: String, why: String },
    /// The host refused the key or password.
    AuthenticationFailed { host: String, why: String },
    /// ssh refused the host's key (unknown or changed).
    HostKeyRefused { host: String, why: String },
    /// The far host has no systemd-stdio-bridge.
    NoBridge { host: String },
    /// systemd-stdio-bridge ran there but ended at once: it found no system bus.
    RemoteBusMissing { host: String, status: i32 },
    /// ssh ended for another reason (its last words).
    Ssh { host: String, why: String },
    /// The bus is there but nobody owns io.github.virtnet.Helper1, and it cannot be activated.
    NoHelper { where_: String },
    /// A virtnetd with another API version is there.
    VersionMismatch { where_: String, theirs: String },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ConnectError::NoBus { where_, why } => {
                gettext("cannot reach {bus}: {why}").replace("{bus}", where_).replace("{why}", why)
            }
            ConnectError::NoSsh { program, why } => {
                gettext("cannot run {program}: {why}").replace("{program}", program).replace("{why}", why)
            }
            ConnectError::Unreachable { host, why } => {
                gettext("cannot reach {host}: {why}").replace("{host}", host).replace("{why}", why)
            }
            ConnectError::AuthenticationFailed { host, why } => {
                gettext("{host} refused the login over ssh: {why}").replace("{host}", host).replace("{why}", why)
            }
            ConnectError::HostKeyRefused { host, why } => gettext("ssh does not trust the host key of {host}: {why}")
                .replace("{host}", host)
                .replace("{why}", why),
            ConnectError::NoBridge { host } => {
                gettext("{host} has no systemd-stdio-bridge, which relays its bus over ssh").replace("{host}", host)
            }
            ConnectError::RemoteBusMissing { host, status } => gettext(
                "systemd-stdio-bridge on {host} could not reach the system bus there (it ended with status {status})",
            )
            .replace("{host}", host)
            .replace("{status}", &status.to_string()),
            ConnectError::Ssh { host, why } => {
                gettext("ssh to {host} ended: {why}").replace("{host}", host).replace("{why}", why)
            }
            ConnectError::NoHelper { where_ } => {
                gettext("virtnetd is not running on {bus} ({name} has no owner and cannot be started)")
                    .replace("{bus}", where_)
                    .replace("{name}", BUS_NAME)
            }
            ConnectError::VersionMismatch { where_, theirs } => {
                gettext("virtnetd on {bus} speaks another version of the API ({theirs}); this virtnet needs {name}")
                    .replace("{bus}", where_)
                    .replace("{theirs}", theirs)
                    .replace("{name}", BUS_NAME)
            }
        };
        f.write_str(&text)
    }
}

impl ConnectError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            ConnectError::NoBus { .. } => {
                gettext("start it with 'systemctl start virtnetd', or point -c/--connect or VIRTNET_CONNECT at its bus")
            }
            ConnectError::NoHelper { .. } => gettext("start it there with 'sudo systemctl start virtnetd'"),
            ConnectError::NoSsh { .. } => gettext("install openssh-client, or name another ssh program in VIRTNET_SSH"),
            ConnectError::Unreachable { .. } => gettext("check the host's name and port, and that sshd runs there"),
            ConnectError::AuthenticationFailed { .. } => {
                gettext("check the user, and that your key is in the host's authorized_keys (ssh-copy-id)")
            }
            ConnectError::HostKeyRefused { .. } => {
                gettext("check the host's key and add it to known_hosts (run 'ssh HOST' once and answer)")
            }
            ConnectError::NoBridge { .. } => gettext("install systemd on that host (Debian: package systemd)"),
            ConnectError::VersionMismatch { .. } => gettext("install the same virtnet version on both computers"),
            ConnectError::RemoteBusMissing { .. } => {
                gettext("check that D-Bus runs on that host (systemctl status dbus)")
            }
            ConnectError::Ssh { .. } => return None,
        };
        Some(hint)
    }

    /// A login problem (the person can fix it with another user or key), as opposed to
    /// a host that is not there.
    pub fn is_authentication(&self) -> bool {
        matches!(self, ConnectError::AuthenticationFailed { .. } | ConnectError::HostKeyRefused { .. })
    }
}

/// A connection to a bus, and the ssh process carrying it, if any (ended when the link
/// is dropped).
pub struct Link {
    pub conn: Connection,
    ssh: Option<SshProcess>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link").field("ssh", &self.ssh.as_ref().map(|s| s.child.id())).finish()
    }
}

struct SshProcess {
    child: Child,
    /// Everything ssh wrote on its standard error so far.
    messages: Arc<Mutex<String>>,
}

impl Drop for SshProcess {
    fn drop(&mut self) {
        // Our own child, by its handle; then reaped, so no zombie stays.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Link {
    /// ssh's last message, when ssh carries this link and has ended.
    pub fn transport_error(&mut self, target: &Target) -> Option<ConnectError> {
        let ssh = self.ssh.as_mut()?;
        let status = ssh.child.try_wait().ok().flatten()?;
        Some(classify(target_host(target), &messages_of(ssh), Some(status)))
    }
}

fn target_host(target: &Target) -> &str {
    match target {
        Target::Ssh(ssh) => &ssh.host,
        _ => "",
    }
}

fn messages_of(ssh: &SshProcess) -> String {
    ssh.messages.lock().map(|m| m.clone()).unwrap_or_default()
}

/// Connects to the target's bus (for ssh: runs ssh, and waits for the bus handshake).
/// `prompts` says where ssh's questions go.
pub async fn open(target: &Target, prompts: &Prompts) -> Result<Link, ConnectError> {
    let (builder, ssh) = match target {
        Target::System => (zbus::connection::Builder::system(), None),
        Target::Address(address) => (zbus::connection::Builder::address(address.as_str()), None),
        Target::Ssh(remote) => {
            let (stream, ssh) = spawn_ssh(remote, prompts)?;
            (zbus::connection::Builder::unix_stream(stream), Some(ssh))
        }
    };
    match builder.build().await {
        Ok(conn) => Ok(Link { conn, ssh }),
        Err(e) => Err(match ssh {
            Some(mut ssh) => {
                let status = wait_briefly(&mut ssh.child).await;
                classify(target_host(target), &messages_of(&ssh), status)
            }
            None => ConnectError::NoBus { where_: target.describe(), why: e.to_string() },
        }),
    }
}

/// Is virtnetd (this API version) on the bus, or can the bus start it?
pub async fn find_helper(link: &mut Link, target: &Target) -> Result<(), ConnectError> {
    let where_ = target.describe();
    let no_bus = |e: zbus::Error| ConnectError::NoBus { where_: where_.clone(), why: e.to_string() };
    let dbus = DBusProxy::builder(&link.conn).cache_properties(CacheProperties::No).build().await.map_err(no_bus)?;
    let owned = match dbus.list_names().await {
        Ok(names) => names,
        Err(e) => return Err(link.transport_error(target).unwrap_or_else(|| no_bus(e.into()))),
    };
    let activatable = dbus.list_activatable_names().await.unwrap_or_default();
    let names: Vec<String> = owned.iter().chain(activatable.iter()).map(|n| n.to_string()).collect();
    if names.iter().any(|n| n == BUS_NAME) {
        return Ok(());
    }
    // Helper1's successors (and predecessors) are named the same way but for the number.
    let family = BUS_NAME.trim_end_matches(|c: char| c.is_ascii_digit());
    match names
        .into_iter()
        .find(|n| n.strip_prefix(family).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())))
    {
        Some(theirs) => Err(ConnectError::VersionMismatch { where_, theirs }),
        None => Err(ConnectError::NoHelper { where_ }),
    }
}

/// [`open`] and [`find_helper`]: a link on which virtnetd answers.
pub async fn connect(target: &Target, prompts: &Prompts) -> Result<Link, ConnectError> {
    let mut link = open(target, prompts).await?;
    find_helper(&mut link, target).await?;
    Ok(link)
}

/// Runs ssh with one end of a socket pair as its standard input and output.
fn spawn_ssh(remote: &SshTarget, prompts: &Prompts) -> Result<(UnixStream, SshProcess), ConnectError> {
    let echo = *prompts == Prompts::Terminal;
    let program =
        std::env::var(SSH_PROGRAM_VARIABLE).ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "ssh".to_owned());
    let no_ssh = |e: std::io::Error| ConnectError::NoSsh { program: program.clone(), why: e.to_string() };
    let (ours, theirs) = UnixStream::pair().map_err(no_ssh)?;
    let theirs = OwnedFd::from(theirs);
    let theirs_out = theirs.try_clone().map_err(no_ssh)?;
    // The command (and its copies of the socket) is dropped before the handshake, so
    // that ssh's end closes when ssh ends.
    let mut command = Command::new(&program);
    if let Prompts::Window(askpass) = prompts {
        command.env("SSH_ASKPASS", askpass).env("SSH_ASKPASS_REQUIRE", "force").env(ASKPASS_VARIABLE, "1");
    }
    let mut child = command
        .args(remote.ssh_arguments())
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::from(theirs_out))
        .stderr(Stdio::piped())
        .spawn()
        .map_err(no_ssh)?;
    let messages = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = child.stderr.take() {
        let messages = Arc::clone(&messages);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("{line}");
                }
                if let Ok(mut all) = messages.lock() {
                    // Enough to classify; a chatty ssh (-v) cannot grow it without bound.
                    if all.len() < 64 * 1024 {
                        all.push_str(&line);
                        all.push('\n');
                    }
                }
            }
        });
    }
    Ok((ours, SshProcess { child, messages }))
}

/// ssh's exit status, once it has ended (it does right after a failed login); `None`
/// if it is still running after a few seconds.
async fn wait_briefly(child: &mut Child) -> Option<ExitStatus> {
    for _ in 0..60 {
        if let Ok(Some(status)) = child.try_wait() {
            // Its last message may still be on the way through the pipe.
            tokio::time::sleep(Duration::from_millis(20)).await;
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// What ssh's messages and exit status say went wrong (OpenSSH's wording).
pub fn classify(host: &str, messages: &str, status: Option<ExitStatus>) -> ConnectError {
    let host = host.to_owned();
    let lines: Vec<&str> = messages.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let find = |needles: &[&str]| {
        lines.iter().rev().find(|l| needles.iter().any(|n| l.contains(n))).map(|l| {
            let l = l.strip_prefix("ssh: ").unwrap_or(l);
            l.to_owned()
        })
    };
    if let Some(why) = find(&[
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "No ED25519 host key is known",
        "host key is known",
    ]) {
        return ConnectError::HostKeyRefused { host, why };
    }
    if let Some(why) =
        find(&["Permission denied", "Too many authentication failures", "no more authentication methods"])
    {
        return ConnectError::AuthenticationFailed { host, why };
    }
    if let Some(why) = find(&[
        "Could not resolve hostname",
        "Connection refused",
        "No route to host",
        "Network is unreachable",
        "Connection timed out",
        "Operation timed out",
        "Connection closed by",
        "Connection reset by",
    ]) {
        return ConnectError::Unreachable { host, why };
    }
    let code = status.and_then(|s| s.code());
    if code == Some(127)
        || find(&[&format!("{REMOTE_BRIDGE}: command not found"), &format!("{REMOTE_BRIDGE}: not found")]).is_some()
    {
        return ConnectError::NoBridge { host };
    }
    // ssh itself ends with 255; another status is the far command's: a bridge that
    // says nothing and ends has no bus to relay.
    if let (None, Some(status)) = (lines.last(), code)
        && status != 255
        && status != 0
    {
        return ConnectError::RemoteBusMissing { host, status };
    }
    let why = match (lines.last(), code) {
        (Some(last), _) => (*last).to_owned(),
        (None, Some(code)) => format!("ssh exited with status {code}"),
        (None, None) => "the bus did not answer".to_owned(),
    };
    ConnectError::Ssh { host, why }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(text: &str) -> Result<SshTarget, String> {
        match Target::parse(Some(text))? {
            Target::Ssh(ssh) => Ok(ssh),
            other => panic!("{text} read as {other:?}"),
        }
    }

    #[test]
    fn targets_are_read_like_systemctl_and_virsh_write_them() {
        assert_eq!(Target::parse(None), Ok(Target::System));
        assert_eq!(Target::parse(Some("")), Ok(Target::System));
        assert_eq!(Target::parse(Some("unix:path=/run/x")), Ok(Target::Address("unix:path=/run/x".to_owned())));
        assert_eq!(ssh("ssh://host"), Ok(SshTarget { user: None, host: "host".to_owned(), port: None }));
        let full = ssh("ssh://root@10.0.0.2:2222/").unwrap();
        assert_eq!(full, SshTarget { user: Some("root".to_owned()), host: "10.0.0.2".to_owned(), port: Some(2222) });
        assert_eq!(full.ssh_arguments(), ["-xT", "-p", "2222", "root@10.0.0.2", "systemd-stdio-bridge"]);
        assert_eq!(full.to_string(), "ssh://root@10.0.0.2:2222");
        let v6 = ssh("ssh://admin@[fd00::1]:22").unwrap();
        assert_eq!(v6.host, "fd00::1");
        assert_eq!(v6.ssh_arguments(), ["-xT", "-p", "22", "admin@fd00::1", "systemd-stdio-bridge"]);
        assert_eq!(v6.to_string(), "ssh://admin@[fd00::1]:22");
    }

    #[test]
    fn nothing_in_a_target_becomes_an_ssh_option() {
        for (text, says) in [
            ("ssh://-oProxyCommand=evil", "starts with “-”"),
            ("ssh://-x@host", "starts with “-”"),
            ("ssh://host name", "contains “ ”"),
            ("ssh://ho;st", "contains “;”"),
            ("ssh://root@", "the host is missing"),
            ("ssh://@host", "the user before “@” is empty"),
            ("ssh://host:0", "not a number from 1 to 65535"),
            ("ssh://host:ssh", "“ssh” is not a number"),
            ("ssh://fd00::1", "in brackets"),
            ("ssh://[fd00::1", "no closing"),
            ("ssh://[fd00::1]x", "is not a “:PORT”"),
        ] {
            let error = ssh(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
            assert!(error.starts_with(text), "{text}: the sentence names what was given: {error}");
        }
    }

    fn exit(code: i32) -> Option<ExitStatus> {
        use std::os::unix::process::ExitStatusExt;
        Some(ExitStatus::from_raw(code << 8))
    }

    #[test]
    fn ssh_failures_are_told_apart_by_what_openssh_says() {
        let c = |messages: &str, code: i32| classify("b", messages, exit(code));
        assert!(matches!(
            c("ssh: connect to host 192.0.2.1 port 22: Network is unreachable\n", 255),
            ConnectError::Unreachable { why, .. } if why == "connect to host 192.0.2.1 port 22: Network is unreachable"
        ));
        assert!(matches!(
            c("ssh: Could not resolve hostname nowhere: Name or service not known\n", 255),
            ConnectError::Unreachable { .. }
        ));
        assert!(matches!(
            c("root@127.0.0.1: Permission denied (publickey).\n", 255),
            ConnectError::AuthenticationFailed { .. }
        ));
        assert!(matches!(
            c(
                "No ED25519 host key is known for b and you have requested strict checking.\nHost key verification failed.\n",
                255
            ),
            ConnectError::HostKeyRefused { .. }
        ));
        assert!(matches!(
            c("bash: line 1: systemd-stdio-bridge: command not found\n", 127),
            ConnectError::NoBridge { .. }
        ));
        assert!(matches!(c("", 127), ConnectError::NoBridge { .. }));
        assert!(
            matches!(c("Failed to connect to bus: No such file or directory\n", 1), ConnectError::Ssh { why, .. } if why.contains("Failed to connect to bus"))
        );
        assert!(matches!(c("", 1), ConnectError::RemoteBusMissing { status: 1, .. }));
        assert!(matches!(c("", 255), ConnectError::Ssh { why, .. } if why == "ssh exited with status 255"));
    }
}
