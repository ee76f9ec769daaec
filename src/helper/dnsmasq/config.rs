//! dnsmasq's files for one network, rendered from the typed definition in libvirt's
//! order (so a network behaves as it does under libvirt, and the corpus of libvirt's
//! own test cases checks us line for line): `NAME.conf`, the DHCP hosts file
//! `NAME.hostsfile` and the DNS hosts file `NAME.addnhosts`.
//!
//! Every value comes from a validated, typed field; names and records were held to
//! dnsmasq-safe characters by the model's validation.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnetwork::IpNetwork;

use super::leases::MAX_LEASES;
use crate::model::ip::{DhcpHost, IpDef};
use crate::model::subnet::ptr_domain;
use crate::model::values::{Family, Lease, LeaseUnit};
use crate::model::{Network, NetworkMode};

/// Where one network's dnsmasq files live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub conf: PathBuf,
    pub hostsfile: PathBuf,
    pub addnhosts: PathBuf,
    /// `None` leaves the `pid-file=` line out (libvirt's tests do).
    pub pidfile: Option<PathBuf>,
}

impl Paths {
    /// `DIR/STEM.conf`, `.hostsfile`, `.addnhosts`, and `PIDDIR/STEM.pid`.
    pub fn new(dir: &Path, pid_dir: Option<&Path>, network_name: &str) -> Paths {
        let stem = file_stem(network_name);
        Paths {
            conf: dir.join(format!("{stem}.conf")),
            hostsfile: dir.join(format!("{stem}.hostsfile")),
            addnhosts: dir.join(format!("{stem}.addnhosts")),
            pidfile: pid_dir.map(|d| d.join(format!("{stem}.pid"))),
        }
    }
}

pub use crate::model::network::file_stem;

/// The three files' contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    pub conf: String,
    pub hostsfile: String,
    pub addnhosts: String,
    /// The `dhcp-lease-max` written (0: no DHCP), which the lease script holds to too.
    pub lease_max: u64,
}

fn wants_dns(network: &Network) -> bool {
    network.dns.as_ref().and_then(|d| d.enable) != Some(false)
}

fn has_dhcp_or_tftp(ip: &IpDef) -> bool {
    ip.has_dhcp() || ip.tftp_root.is_some()
}

/// Does the network need a dnsmasq at all? Not when it has no address, or when DNS is
/// off and nothing is served by DHCP or TFTP.
pub fn needed(network: &Network) -> bool {
    network.manages_bridge()
        && !network.ips.is_empty()
        && (wants_dns(network) || network.ips.iter().any(has_dhcp_or_tftp))
}

/// The first `<ip>` of a family that serves DHCP (IPv4: or TFTP); validation allows one.
fn dhcp_ip(network: &Network, family: Family) -> Option<&IpDef> {
    network.ips.iter().find(|ip| {
        ip.family() == Some(family) && if family == Family::Ipv4 { has_dhcp_or_tftp(ip) } else { ip.has_dhcp() }
    })
}

/// `1h`, `10m`, `200s` or `infinite`, as dnsmasq reads lease times.
fn lease_time(lease: &Lease) -> String {
    if lease.expiry == 0 {
        return "infinite".to_owned();
    }
    let unit = match lease.unit.unwrap_or(LeaseUnit::Minutes) {
        LeaseUnit::Seconds => 's',
        LeaseUnit::Minutes => 'm',
        LeaseUnit::Hours => 'h',
    };
    format!("{}{unit}", lease.expiry)
}

fn as_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// One line of the DHCP hosts file, or `None` for a host without a fixed address.
fn host_line(host: &DhcpHost, ipv6: bool) -> Option<String> {
    let ip = host.ip?;
    let mut fields: Vec<String> = Vec::new();
    if ipv6 {
        if let Some(id) = &host.id {
            fields.push(format!("id:{id}"));
        } else if let Some(mac) = host.mac {
            fields.push(mac.to_string());
        }
        if let Some(name) = &host.name {
            fields.push(name.clone());
        }
        fields.push(format!("[{ip}]"));
    } else {
        if let Some(mac) = host.mac {
            fields.push(mac.to_string());
        }
        fields.push(ip.to_string());
        if let Some(name) = &host.name {
            fields.push(name.clone());
        }
    }
    if let Some(lease) = &host.lease {
        fields.push(lease_time(lease));
    }
    Some(fields.join(","))
}

fn line(conf: &mut String, text: &str) {
    conf.push_str(text);
    conf.push('\n');
}

/// Renders the files. `network` must have passed validation and have a bridge name.
pub fn render(network: &Network, paths: &Paths) -> Files {
    let dns = network.dns.clone().unwrap_or_default();
    let want_dns = wants_dns(network);
    let bridge = network.bridge.name.as_deref().unwrap_or_default();
    let mut c = String::new();

    let _ = write!(
        c,
        "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n\
         ##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:\n\
         ##    virtnet net-edit {}\n\
         ## or other application using the virtnet API.\n\
         ##\n\
         ## dnsmasq conf file created by virtnet\n",
        network.name
    );
    // Use resolv.conf's servers in order, as glibc does.
    line(&mut c, "strict-order");
    if !want_dns {
        // No DNS server on the network at all.
        line(&mut c, "port=0");
    }
    if want_dns && !dns.forwarders.is_empty() {
        let mut no_resolv = false;
        for f in &dns.forwarders {
            let domain = f.domain.as_ref().map(|d| format!("/{d}/")).unwrap_or_default();
            match f.addr {
                Some(addr) => {
                    line(&mut c, &format!("server={domain}{addr}"));
                    // A server for every name replaces the host's resolv.conf.
                    no_resolv |= f.domain.is_none();
                }
                // A domain without address: never forward it.
                None => line(&mut c, &format!("server={domain}#")),
            }
        }
        if no_resolv {
            line(&mut c, "no-resolv");
        }
    }
    if let Some(domain) = &network.domain {
        if domain.local_only == Some(true) {
            line(&mut c, &format!("local=/{}/", domain.name));
        }
        line(&mut c, &format!("domain={}", domain.name));
        line(&mut c, "expand-hosts");
    }
    if want_dns {
        for ip in network.ips.iter().filter(|ip| ip.local_ptr == Some(true)) {
            if let Some(zone) = ip.subnet().as_ref().and_then(ptr_domain) {
                line(&mut c, &format!("local=/{zone}/"));
            }
        }
        if dns.forward_plain_names == Some(false) {
            line(&mut c, "domain-needed");
            line(&mut c, "local=//");
        }
    }
    if let Some(pidfile) = &paths.pidfile {
        line(&mut c, &format!("pid-file={}", pidfile.display()));
    }
    // Listen on the bridge only: never on loopback, never on the host's other
    // interfaces (bind-dynamic: CVE-2012-3411).
    line(&mut c, "except-interface=lo");
    line(&mut c, "bind-dynamic");
    line(&mut c, &format!("interface={bridge}"));
    if network.mode() == NetworkMode::Isolated {
        // No default route (there is no way out), no upstream DNS, and a zero lifetime
        // for the default route implied by IPv6 router advertisements.
        line(&mut c, "dhcp-option=3");
        line(&mut c, "no-resolv");
        line(&mut c, "ra-param=*,0,0");
    }
    if want_dns {
        for txt in &dns.txts {
            line(&mut c, &format!("txt-record={},{}", txt.name, txt.value));
        }
        for srv in &dns.srvs {
            let mut entry = format!("srv-host=_{}._{}", srv.service, srv.protocol);
            if let Some(domain) = &srv.domain {
                let _ = write!(entry, ".{domain}");
            }
            // Target "." (or none): the service is not available; nothing else counts.
            if let Some(target) = srv.target.as_ref().filter(|t| t.as_str() != ".") {
                let _ = write!(entry, ",{target}");
                let (port, priority, weight) =
                    (srv.port.unwrap_or(0), srv.priority.unwrap_or(0), srv.weight.unwrap_or(0));
                // Fields are positional: a later one needs the earlier ones (port 1 is
                // dnsmasq's default).
                if port != 0 || priority != 0 || weight != 0 {
                    let _ = write!(entry, ",{}", if port == 0 { 1 } else { port });
                }
                if priority != 0 || weight != 0 {
                    let _ = write!(entry, ",{priority}");
                }
                if weight != 0 {
                    let _ = write!(entry, ",{weight}");
                }
            }
            line(&mut c, &entry);
        }
    }

    let ipv4 = dhcp_ip(network, Family::Ipv4);
    let ipv6 = dhcp_ip(network, Family::Ipv6);
    let mut lease_max: u128 = 0;
    let mut hosts = Vec::new();
    for ip in ipv4.into_iter().chain(ipv6) {
        let is_v6 = ip.family() == Some(Family::Ipv6);
        let Some(subnet) = ip.subnet() else { continue };
        let dhcp = ip.dhcp.clone().unwrap_or_default();
        if let (false, Some(root)) = (is_v6, &ip.tftp_root) {
            line(&mut c, "enable-tftp");
            line(&mut c, &format!("tftp-root={root}"));
        }
        for range in &dhcp.ranges {
            let size = match subnet {
                IpNetwork::V6(v6) => format!("{}", v6.prefix()),
                IpNetwork::V4(v4) => v4.mask().to_string(),
            };
            let lease = range.lease.as_ref().map(|l| format!(",{}", lease_time(l))).unwrap_or_default();
            line(&mut c, &format!("dhcp-range={},{},{size}{lease}", range.start, range.end));
            lease_max += as_u128(range.end).saturating_sub(as_u128(range.start)) + 1;
        }
        if dhcp.ranges.is_empty() && !dhcp.hosts.is_empty() {
            // Static hosts only: dnsmasq serves DHCP for a range it is given.
            let prefix = if is_v6 { format!(",{}", subnet.prefix()) } else { String::new() };
            line(&mut c, &format!("dhcp-range={},static{prefix}", subnet.ip()));
        }
        hosts.extend(dhcp.hosts.iter().filter_map(|h| host_line(h, is_v6)));
        if !is_v6 {
            if ip.has_dhcp() {
                line(&mut c, "dhcp-no-override");
                line(&mut c, "dhcp-authoritative");
            }
            if let Some(bootp) = &dhcp.bootp {
                match &bootp.server {
                    Some(server) => line(&mut c, &format!("dhcp-boot={},,{server}", bootp.file)),
                    None => line(&mut c, &format!("dhcp-boot={}", bootp.file)),
                }
            }
        }
    }
    // libvirt writes the ranges' size; an IPv6 range's is astronomic, so virtnet stops
    // at MAX_LEASES, which any IPv4 range of a /16 still fits under.
    let lease_max = u64::try_from(lease_max).unwrap_or(u64::MAX).min(MAX_LEASES);
    if lease_max > 0 {
        line(&mut c, &format!("dhcp-lease-max={lease_max}"));
    }
    if ipv4.is_some_and(IpDef::has_dhcp) || ipv6.is_some() {
        line(&mut c, &format!("dhcp-hostsfile={}", paths.hostsfile.display()));
    }
    if want_dns {
        line(&mut c, &format!("addn-hosts={}", paths.addnhosts.display()));
    }
    if let Some(mtu) = network.mtu {
        line(&mut c, &format!("dhcp-option=option:mtu,{mtu}"));
    }
    if ipv6.is_some() {
        line(&mut c, "enable-ra");
    } else {
        for ip in network.ips_of(Family::Ipv6) {
            if let Some(addr) = ip.address {
                // Stateless autoconfiguration from router advertisements only.
                line(&mut c, &format!("dhcp-range={addr},ra-only"));
            }
        }
    }
    for option in &network.dnsmasq_options {
        line(&mut c, option);
    }

    let mut addnhosts = String::new();
    for host in &dns.hosts {
        let _ = writeln!(addnhosts, "{}\t{}", host.ip, host.hostnames.join("\t"));
    }
    let mut hostsfile = hosts.join("\n");
    if !hostsfile.is_empty() {
        hostsfile.push('\n');
    }
    Files { conf: c, hostsfile, addnhosts, lease_max }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_escape_like_libvirt() {
        assert_eq!(file_stem("default\"with\"quotes\""), "default&quot;with&quot;quotes&quot;");
        assert_eq!(file_stem("lab"), "lab");
    }
}
