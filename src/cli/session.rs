//! The connection to virtnetd and the errors a person sees: every failure becomes
//! `error: ...` lines on stderr (exit 1), with what to do for the common ones.

use std::fmt;

use zbus::proxy::CacheProperties;
use zbus::{Connection, OwnedObjectPath};

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

/// What a failed call means for the person typing the command.
impl From<HelperError> for CliError {
    fn from(e: HelperError) -> Self {
        let lines: Vec<String> = e.message.lines().map(str::to_owned).collect();
        match e.kind {
            ErrorKind::AccessDenied => CliError::with_hint(
                lines,
                &gettext(
                    "run the command as root, or as a user polkit allows to manage virtual networks (io.github.virtnet.manage)",
                ),
            ),
            ErrorKind::NotFound => {
                CliError::with_hint(lines, &gettext("see the networks there are with 'virtnet net-list --all'"))
            }
            _ => CliError { lines, hint: None },
        }
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// A connection to virtnetd's bus.
pub struct Session {
    pub conn: Connection,
    pub manager: ManagerProxy<'static>,
}

fn unreachable(address: Option<&str>, e: impl fmt::Display) -> CliError {
    let bus =
        address.map_or_else(|| gettext("the system bus"), |a| gettext("the bus {address}").replace("{address}", a));
    CliError::with_hint(
        vec![
            gettext("cannot reach virtnetd (is it running?) on {bus}: {why}")
                .replace("{bus}", &bus)
                .replace("{why}", &e.to_string()),
        ],
        &gettext("start it with 'systemctl start virtnetd', or point -c/--connect or VIRTNET_CONNECT at its bus"),
    )
}

impl Session {
    /// Connects to `address` (a D-Bus address) or the system bus, and checks that
    /// virtnetd is there.
    pub async fn connect(address: Option<&str>) -> CliResult<Session> {
        let builder = match address {
            Some(a) => zbus::connection::Builder::address(a),
            None => zbus::connection::Builder::system(),
        };
        let conn = builder.build().await.map_err(|e| unreachable(address, e))?;
        let manager = ManagerProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(|e| unreachable(address, e))?;
        // A lookup that cannot succeed tells whether the helper answers at all.
        let dbus = zbus::fdo::DBusProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await
            .map_err(|e| unreachable(address, e))?;
        let name = zbus::names::BusName::try_from(crate::dbus::BUS_NAME).map_err(|e| unreachable(address, e))?;
        let present = dbus.name_has_owner(name.clone()).await.unwrap_or(false);
        let activatable =
            dbus.list_activatable_names().await.unwrap_or_default().iter().any(|n| n.as_str() == crate::dbus::BUS_NAME);
        if !present && !activatable {
            return Err(unreachable(address, "io.github.virtnet.Helper1 is not on that bus"));
        }
        Ok(Session { conn, manager })
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
