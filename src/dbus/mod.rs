//! The D-Bus contract between virtnetd and its clients: names and paths, the typed
//! errors, the list flags and event names, and the client proxies. Both sides build on
//! this module so they cannot drift apart; `data/dbus/` holds the same API as
//! introspection XML, and a test checks the live helper against it.

#[cfg(any(feature = "cli", feature = "gui"))]
pub mod connect;
pub mod error;
pub mod names;
pub mod proxy;
pub mod summary;

pub use error::{ErrorKind, HelperError};

/// One DHCP lease as `GetDHCPLeases` returns it (libvirt-dbus's `(stusssuss)`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, zbus::Type)]
pub struct DhcpLease {
    pub interface: String,
    /// Seconds since the epoch; 0 for a lease that never expires.
    pub expiry: u64,
    /// 0 for IPv4, 1 for IPv6.
    pub kind: u32,
    pub mac: String,
    pub iaid: String,
    pub address: String,
    pub prefix: u32,
    pub hostname: String,
    pub client_id: String,
}
/// One of the host's interfaces, as `ListHostInterfaces` returns it (`(ssbas)`): a
/// network may forward to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, zbus::Type)]
pub struct HostInterface {
    pub name: String,
    /// `device` for a physical one, else the kernel's kind (`vlan`, `bond`, `bridge`, ...).
    pub kind: String,
    pub up: bool,
    /// Its addresses in CIDR form (`192.168.1.20/24`).
    pub addresses: Vec<String>,
}

/// One port forward of a network, as the `PortForwards` property lists it
/// (`(ssqqsqb)`): host ports `host_start..=host_end` (on `host_address`, empty: every
/// host address but the network's own) reach `guest` from port `guest_port` on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, zbus::Type)]
pub struct PortForwardInfo {
    /// `tcp`, `udp` or `both`.
    pub protocol: String,
    pub host_address: String,
    pub host_start: u16,
    pub host_end: u16,
    pub guest: String,
    pub guest_port: u16,
    /// Reachable at 127.0.0.1 on the host too.
    pub localhost: bool,
}

impl From<&crate::model::port_forward::PortForward> for PortForwardInfo {
    fn from(f: &crate::model::port_forward::PortForward) -> Self {
        PortForwardInfo {
            protocol: f.protocol.as_str().to_owned(),
            host_address: f.address.map(|a| a.to_string()).unwrap_or_default(),
            host_start: f.start,
            host_end: f.end,
            guest: f.guest.to_string(),
            guest_port: f.to,
            localhost: f.localhost,
        }
    }
}

/// A subnet something on the host already uses, as `ListUsedSubnets` returns it
/// (`(sss)`): what a new network must not overlap.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, zbus::Type)]
pub struct UsedSubnet {
    /// In CIDR form: a network's subnet or a host address with its prefix
    /// (`192.168.1.20/24`), or a route's destination.
    pub subnet: String,
    /// `network` (a virtnet network's, defined or active), `address` (an address of the
    /// host's) or `route` (a route of the host's).
    pub kind: String,
    /// The network's name, or the interface the address or route is on (may be empty).
    pub owner: String,
}

pub use names::*;
