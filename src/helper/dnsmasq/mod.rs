//! dnsmasq, one per network that needs DHCP or DNS: its files ([`config`]), the process
//! and its supervision ([`process`]), and the leases it reports ([`leases`]).

pub mod config;
