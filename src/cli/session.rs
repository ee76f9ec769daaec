//! The connection to virtnetd and the errors a person sees: every failure becomes
//! `error: ...` lines on stderr (exit 1), with what to do for the common ones.

use std::fmt;
use std::sync::OnceLock;

use zbus::proxy::CacheProperties;
use zbus::{Connection, OwnedObjectPath};

use crate::dbus::connect::{ConnectError, Link, Target};
use crate::dbus::proxy::{ManagerProxy, NetworkProxy};
use crate::dbus::{ErrorKind, HelperError};
use crate::i18n::gettext;

/// An error to print: lines after `error: `, and what to do about it after `hint: `.
#[derive(Debug)]
pub struct CliError {
    pub lines: Vec<String>,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(line: impl Into<String>) -> Self {
        CliError { lines: vec![line.into()], hint: None }
    }

    fn with_hint(lines: Vec<String>, hint: &str) -> Self {
        CliError { lines, hint: Some(hint.to_owned()) }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {line}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// The host of the connection, when it is remote: set once, by [`Session::connect`].
/// The CLI makes one connection per run, and the hints of every failed call depend on
/// it (polkit cannot ask for a password over ssh), so it is kept here rather than
/// threaded through every error conversion.
static REMOTE_HOST: OnceLock<String> = OnceLock::new();

/// What a failed call means for the person typing the command.
impl From<HelperError> for CliError {
    fn from(e: HelperError) -> Self {
        let lines: Vec<String> = e.message.lines().map(str::to_owned).collect();
        match e.kind {
            ErrorKind::AccessDenied => match REMOTE_HOST.get() {
                Some(host) => CliError::with_hint(
                    lines,
                    &gettext(
                        "over ssh no polkit agent can ask for a password: connect as root (ssh://root@{host}), or allow your user on {host} with a polkit rule (README: Remote hosts)",
                    )
                    .replace("{host}", host),
                ),
                None => CliError::with_hint(
                    lines,
                    &gettext(
                        "run the command as root, or as a user polkit allows to manage virtual networks (io.github.virtnet.manage)",
                    ),
                ),
            },
            ErrorKind::NotFound => {
                CliError::with_hint(lines, &gettext("see the networks there are with 'virtnet net-list --all'"))
            }
            ErrorKind::UnknownMethod => CliError::with_hint(
                lines,
                &gettext("virtnetd there has another version than this virtnet; install the same version on both sides"),
            ),
            _ => CliError { lines, hint: None },
        }
    }
}

impl From<ConnectError> for CliError {
    fn from(e: ConnectError) -> Self {
        CliError { lines: vec![e.to_string()], hint: e.hint() }
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// A connection to virtnetd's bus.
pub struct Session {
    pub conn: Connection,
    pub manager: ManagerProxy<'static>,
    pub target: Target,
    /// Keeps the ssh process of a remote connection running.
    _link: Link,
}

impl Session {
    /// Connects to `connect` (`-c`: a D-Bus address, `ssh://[USER@]HOST[:PORT]`, or the
    /// system bus when `None`), and checks that virtnetd is there.
    pub async fn connect(connect: Option<&str>) -> CliResult<Session> {
        let target = Target::parse(connect).map_err(CliError::new)?;
        if let Target::Ssh(ssh) = &target {
            let _ = REMOTE_HOST.set(ssh.host.clone());
        }
        let link = crate::dbus::connect::connect(&target, &crate::dbus::connect::Prompts::Terminal).await?;
        let conn = link.conn.clone();
        let manager = ManagerProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(|e| CliError::from(HelperError::from(e)))?;
        Ok(Session { conn, manager, target, _link: link })
    }

    /// Refuses calls that pass a file descriptor when the connection is remote: a
    /// descriptor cannot travel over ssh.
    pub fn require_local(&self, what: &str) -> CliResult<()> {
        match &self.target {
            Target::Ssh(ssh) => Err(CliError::with_hint(
                vec![
                    gettext(
                        "{what} passes a file descriptor, which works only on this computer, not over ssh to {host}",
                    )
                    .replace("{what}", what)
                    .replace("{host}", &ssh.host),
                ],
                &gettext("run it on that host, or plug a VM in by a port's name ('virtnet net-port-create')"),
            )),
            _ => Ok(()),
        }
    }

    pub async fn network_at(&self, path: OwnedObjectPath) -> CliResult<NetworkProxy<'static>> {
        NetworkProxy::builder(&self.conn)
            .path(path)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(|e| CliError::from(HelperError::from(e)))
    }

    /// The network named `network`, or with that UUID.
    pub async fn network(&self, network: &str) -> CliResult<NetworkProxy<'static>> {
        let by_uuid =
            if uuid::Uuid::try_parse(network).is_ok() { self.manager.lookup_by_uuid(network).await.ok() } else { None };
        let path = match by_uuid {
            Some(path) => path,
            None => self.manager.lookup_by_name(network).await.map_err(|e| {
                let e = HelperError::from(e);
                if e.kind == ErrorKind::NotFound {
                    CliError::with_hint(
                        vec![
                            gettext("failed to get network '{network}'").replace("{network}", network),
                            gettext("no network with matching name or UUID '{network}'").replace("{network}", network),
                        ],
                        &gettext("see the networks there are with 'virtnet net-list --all'"),
                    )
                } else {
                    CliError::from(e)
                }
            })?,
        };
        self.network_at(path).await
    }
}

/// Turns a failed D-Bus call into what the user reads.
pub fn call<T>(result: zbus::Result<T>) -> CliResult<T> {
    result.map_err(|e| CliError::from(HelperError::from(e)))
}
