//! The helper's errors, typed on the bus: `io.github.virtnet.Helper1.Error.<Kind>` with
//! a message a person understands, plus `org.freedesktop.DBus.Error.AccessDenied` for
//! refused authorization. Clients turn any error reply back into a [`HelperError`].

use std::fmt;

use zbus::message::{Header, Message};
use zbus::names::ErrorName;

/// The error kinds and their D-Bus names, written once: the enum, the list of every
/// kind and both directions of the name mapping come from this table, so a new kind
/// cannot reach clients as `Failed` by a forgotten line.
macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $kind:ident => $name:literal, )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $( $(#[$doc])* $kind, )*
        }

        impl ErrorKind {
            /// Every kind.
            pub const ALL: &'static [ErrorKind] = &[$( ErrorKind::$kind, )*];

            /// The D-Bus error name.
            pub fn dbus_name(self) -> &'static str {
                match self {
                    $( ErrorKind::$kind => $name, )*
                }
            }
        }
    };
}

error_kinds! {
    /// The definition is not well-formed XML.
    InvalidXml => "io.github.virtnet.Helper1.Error.InvalidXml",
    /// The definition is XML but not a valid network (the message lists every problem).
    InvalidDefinition => "io.github.virtnet.Helper1.Error.InvalidDefinition",
    NotFound => "io.github.virtnet.Helper1.Error.NotFound",
    NameInUse => "io.github.virtnet.Helper1.Error.NameInUse",
    AlreadyActive => "io.github.virtnet.Helper1.Error.AlreadyActive",
    NotActive => "io.github.virtnet.Helper1.Error.NotActive",
    /// Undefine or autostart asked of a transient network.
    NotPersistent => "io.github.virtnet.Helper1.Error.NotPersistent",
    SubnetInUse => "io.github.virtnet.Helper1.Error.SubnetInUse",
    BridgeInUse => "io.github.virtnet.Helper1.Error.BridgeInUse",
    Firewall => "io.github.virtnet.Helper1.Error.Firewall",
    Dnsmasq => "io.github.virtnet.Helper1.Error.Dnsmasq",
    Netlink => "io.github.virtnet.Helper1.Error.Netlink",
    /// A kernel setting (forwarding, a bridge's IPv6 settings) could not be changed.
    Sysctl => "io.github.virtnet.Helper1.Error.Sysctl",
    /// Reading or writing the helper's files failed.
    Storage => "io.github.virtnet.Helper1.Error.Storage",
    AccessDenied => "org.freedesktop.DBus.Error.AccessDenied",
    /// Malformed arguments (unknown flags, a UUID that is not one).
    InvalidArgs => "org.freedesktop.DBus.Error.InvalidArgs",
    /// A mode virtnet keeps definitions of but does not run (host bridge, hostdev...).
    NotSupported => "io.github.virtnet.Helper1.Error.NotSupported",
    /// The caller asked too often in a short time (host facts); try again shortly.
    LimitsExceeded => "org.freedesktop.DBus.Error.LimitsExceeded",
    /// The helper does not know the method: it has another version of the API than
    /// the client (seen by clients only).
    UnknownMethod => "org.freedesktop.DBus.Error.UnknownMethod",
    /// Anything else, including D-Bus failures seen by a client.
    Failed => "io.github.virtnet.Helper1.Error.Failed",
}

impl ErrorKind {
    /// The kind a D-Bus error name stands for (`Failed` for names that are not ours).
    pub fn from_dbus_name(name: &str) -> ErrorKind {
        ErrorKind::ALL.iter().copied().find(|kind| kind.dbus_name() == name).unwrap_or(ErrorKind::Failed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperError {
    pub kind: ErrorKind,
    pub message: String,
}

impl HelperError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        HelperError { kind, message: message.into() }
    }
}

impl fmt::Display for HelperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HelperError {}

impl zbus::DBusError for HelperError {
    fn create_reply(&self, call: &Header<'_>) -> zbus::Result<Message> {
        Message::error(call, self.name()).build(&(self.message.as_str(),))
    }

    fn name(&self) -> ErrorName<'_> {
        ErrorName::from_static_str_unchecked(self.kind.dbus_name())
    }

    fn description(&self) -> Option<&str> {
        Some(&self.message)
    }
}

impl From<zbus::Error> for HelperError {
    fn from(error: zbus::Error) -> Self {
        match &error {
            zbus::Error::MethodError(name, description, _) => HelperError::new(
                ErrorKind::from_dbus_name(name.as_str()),
                description.clone().unwrap_or_else(|| name.to_string()),
            ),
            zbus::Error::FDO(fdo) => {
                let name = zbus::DBusError::name(fdo.as_ref()).to_string();
                let message = zbus::DBusError::description(fdo.as_ref()).unwrap_or(&name).to_owned();
                HelperError::new(ErrorKind::from_dbus_name(&name), message)
            }
            _ => HelperError::new(ErrorKind::Failed, error.to_string()),
        }
    }
}

impl From<zbus::fdo::Error> for HelperError {
    fn from(error: zbus::fdo::Error) -> Self {
        HelperError::from(zbus::Error::from(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbus::names::ERROR_PREFIX;

    #[test]
    fn names_round_trip() {
        for &kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_dbus_name(kind.dbus_name()), kind);
            assert!(ErrorName::try_from(kind.dbus_name()).is_ok());
            assert!(
                kind.dbus_name().starts_with(ERROR_PREFIX)
                    || kind.dbus_name().starts_with("org.freedesktop.DBus.Error.")
            );
            assert_eq!(zbus::DBusError::name(&HelperError::new(kind, "x")).as_str(), kind.dbus_name());
        }
        assert_eq!(ErrorKind::NotFound.dbus_name(), "io.github.virtnet.Helper1.Error.NotFound");
        assert_eq!(ErrorKind::from_dbus_name("org.example.Other"), ErrorKind::Failed);
    }
}
