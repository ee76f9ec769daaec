//! `<domain>` and `<dns>`: the names dnsmasq answers for the network.

use std::net::IpAddr;

/// `<domain name= localOnly= register=>`: the DNS domain of the guests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    /// Answer names in the domain only locally, never forward them upstream.
    pub local_only: Option<bool>,
    /// Register guests' DHCP names in the domain.
    pub register: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dns {
    /// `enable='no'`: no DNS server on the network at all.
    pub enable: Option<bool>,
    /// Forward names without a dot to the upstream resolver.
    pub forward_plain_names: Option<bool>,
    pub forwarders: Vec<Forwarder>,
    pub txts: Vec<TxtRecord>,
    pub srvs: Vec<SrvRecord>,
    pub hosts: Vec<DnsHost>,
}

impl Dns {
    /// True when the element carries records or forwarders (not only attributes).
    pub fn has_records(&self) -> bool {
        !(self.forwarders.is_empty() && self.txts.is_empty() && self.srvs.is_empty() && self.hosts.is_empty())
    }
}

/// `<forwarder addr= domain=>`: where to send queries (for one domain, or all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarder {
    pub addr: Option<IpAddr>,
    pub domain: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxtRecord {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    pub service: String,
    pub protocol: String,
    pub domain: Option<String>,
    pub target: Option<String>,
    pub port: Option<u16>,
    pub priority: Option<u16>,
    pub weight: Option<u16>,
}

/// `<host ip=><hostname>...</hostname></host>`: names for an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsHost {
    pub ip: IpAddr,
    pub hostnames: Vec<String>,
}
