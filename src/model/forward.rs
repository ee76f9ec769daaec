//! `<forward>`: how (and whether) the network reaches beyond the host.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// libvirt's forward modes. An absent `<forward>` (mode "none") is an isolated network
/// and is represented by `Network::forward == None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ForwardMode {
    Nat,
    Route,
    Open,
    Bridge,
    Private,
    Vepa,
    Passthrough,
    Hostdev,
}

impl ForwardMode {
    pub const ALL: [ForwardMode; 8] = [
        ForwardMode::Nat,
        ForwardMode::Route,
        ForwardMode::Open,
        ForwardMode::Bridge,
        ForwardMode::Private,
        ForwardMode::Vepa,
        ForwardMode::Passthrough,
        ForwardMode::Hostdev,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForwardMode::Nat => "nat",
            ForwardMode::Route => "route",
            ForwardMode::Open => "open",
            ForwardMode::Bridge => "bridge",
            ForwardMode::Private => "private",
            ForwardMode::Vepa => "vepa",
            ForwardMode::Passthrough => "passthrough",
            ForwardMode::Hostdev => "hostdev",
        }
    }

    /// Modes in which the network creates its own bridge (the ones virtnet runs).
    pub fn manages_bridge(self) -> bool {
        matches!(self, ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open)
    }
}

impl fmt::Display for ForwardMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ForwardMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ForwardMode::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            format!("'{s}' is not a forward mode (nat, route, open, bridge, private, vepa, passthrough or hostdev)")
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    pub mode: ForwardMode,
    /// `managed='yes'` for hostdev pools.
    pub managed: Option<bool>,
    /// `<interface dev=...>`; `forward dev=` is the first of them (libvirt keeps both in
    /// step: a `dev` without interfaces becomes the first interface).
    pub interfaces: Vec<ForwardInterface>,
    /// `<address type='pci' .../>` of a hostdev/passthrough pool.
    pub addresses: Vec<PciAddress>,
    /// `<pf dev=.../>`: the SR-IOV physical function whose VFs make up the pool.
    pub pf: Option<String>,
    pub driver: Option<HostdevDriver>,
    pub nat: Option<Nat>,
}

impl Forward {
    pub fn new(mode: ForwardMode) -> Self {
        Forward {
            mode,
            managed: None,
            interfaces: Vec::new(),
            addresses: Vec::new(),
            pf: None,
            driver: None,
            nat: None,
        }
    }

    /// The uplink the network is restricted to (`forward dev=`), if any.
    pub fn dev(&self) -> Option<&str> {
        if self.pf.is_some() {
            return None;
        }
        self.interfaces.first().map(|i| i.dev.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardInterface {
    pub dev: String,
    pub connections: Option<u32>,
}

/// A PCI address as libvirt writes it: `domain='0x0000' bus='0x03' slot='0x00' function='0x1'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PciAddress {
    pub domain: Option<u32>,
    pub bus: Option<u8>,
    pub slot: Option<u8>,
    pub function: Option<u8>,
    pub multifunction: Option<bool>,
    pub connections: Option<u32>,
}

impl PciAddress {
    /// The address in lspci's `DDDD:BB:SS.F` form, for messages.
    pub fn display(&self) -> String {
        format!(
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain.unwrap_or(0),
            self.bus.unwrap_or(0),
            self.slot.unwrap_or(0),
            self.function.unwrap_or(0)
        )
    }

    /// Same device, whatever the bookkeeping attributes say.
    pub fn same_device(&self, other: &PciAddress) -> bool {
        self.device_key() == other.device_key()
    }

    /// What makes two addresses the same PCI function (domain, bus, slot, function).
    pub fn device_key(&self) -> (Option<u32>, Option<u8>, Option<u8>, Option<u8>) {
        (self.domain, self.bus, self.slot, self.function)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostdevDriver {
    pub name: Option<String>,
    pub model: Option<String>,
}

/// `<nat>`: what NAT translates guest addresses and ports to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nat {
    /// `<nat ipv6='yes'>`: masquerade IPv6 too (otherwise IPv6 is routed).
    pub ipv6: Option<bool>,
    /// `<address start end>`: SNAT to this range instead of masquerading.
    pub address: Option<(Ipv4Addr, Ipv4Addr)>,
    /// `<port start end>`: source ports NAT may use.
    pub port: Option<(u16, u16)>,
}
