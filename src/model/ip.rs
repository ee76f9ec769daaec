//! `<ip>` (an address of the bridge, with its DHCP service) and `<route>`.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::values::{Family, Lease, MacAddr, PrefixSpec, classful_prefix};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IpDef {
    /// `family=` as written; the address decides when it is absent.
    pub family: Option<Family>,
    /// The host's own address on the network (the bridge's address).
    pub address: Option<IpAddr>,
    pub prefix: Option<PrefixSpec>,
    /// `localPtr='yes'`: answer reverse lookups for the subnet locally.
    pub local_ptr: Option<bool>,
    /// `<tftp root=...>`: dnsmasq serves this folder over TFTP.
    pub tftp_root: Option<String>,
    pub dhcp: Option<Dhcp>,
}

impl IpDef {
    /// The family: the explicit attribute, else the address's.
    pub fn family(&self) -> Option<Family> {
        self.family.or_else(|| self.address.as_ref().map(Family::of))
    }

    /// The prefix length in effect: as written, else what libvirt assumes (the old
    /// address class for IPv4, 64 for IPv6).
    pub fn prefix_len(&self) -> Option<u8> {
        match self.prefix {
            Some(spec) => spec.prefix_len(),
            None => match self.address? {
                IpAddr::V4(v4) => classful_prefix(v4),
                IpAddr::V6(_) => Some(64),
            },
        }
    }

    /// The subnet, with the host's address in it (`192.168.122.1/24`).
    pub fn subnet(&self) -> Option<IpNetwork> {
        IpNetwork::new(self.address?, self.prefix_len()?).ok()
    }

    /// True when this `<ip>` makes dnsmasq hand out addresses or fixed hosts.
    pub fn has_dhcp(&self) -> bool {
        self.dhcp.as_ref().is_some_and(|d| !d.ranges.is_empty() || !d.hosts.is_empty())
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dhcp {
    pub ranges: Vec<DhcpRange>,
    pub hosts: Vec<DhcpHost>,
    pub bootp: Option<Bootp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DhcpRange {
    pub start: IpAddr,
    pub end: IpAddr,
    pub lease: Option<Lease>,
}

/// A static DHCP host: a fixed address (and name) for a MAC (IPv4) or DUID (IPv6).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DhcpHost {
    pub mac: Option<MacAddr>,
    /// DHCPv6 client DUID such as `0:3:0:1:0:16:3e:11:22:33`.
    pub id: Option<String>,
    pub name: Option<String>,
    pub ip: Option<IpAddr>,
    pub lease: Option<Lease>,
}

/// `<bootp file= server=>`: the network boot file and (optionally) the TFTP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bootp {
    pub file: String,
    pub server: Option<String>,
}

/// `<route>`: a static route through a gateway on the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub family: Option<Family>,
    pub address: IpAddr,
    pub prefix: Option<PrefixSpec>,
    pub gateway: IpAddr,
    pub metric: Option<u32>,
}

impl Route {
    pub fn prefix_len(&self) -> Option<u8> {
        match self.prefix {
            Some(spec) => spec.prefix_len(),
            None => match self.address {
                IpAddr::V4(v4) => classful_prefix(v4),
                IpAddr::V6(_) => Some(64),
            },
        }
    }

    pub fn destination(&self) -> Option<IpNetwork> {
        IpNetwork::new(self.address, self.prefix_len()?).ok()
    }
}
