//! dnsmasq, one per network that needs DHCP or DNS: its files ([`config`]), the process
//! ([`process`]), whether its user can read them ([`reach`]), and the leases it reports
//! through virtnetd ([`leases`]).

pub mod config;
pub mod leases;
pub mod process;
pub mod reach;
