//! DHCP leases. dnsmasq runs with `--leasefile-ro` and calls virtnetd itself as its
//! `--dhcp-script` on every change (`virtnetd add|old|del MAC-OR-DUID IP [HOSTNAME]`,
//! details in `DNSMASQ_*` variables) and once at start (`init`: print the known
//! leases). The leases are kept as JSON per bridge, `STATE/dnsmasq/BRIDGE.status`,
//! in libvirt's shape, and read back for `GetDHCPLeases`.
//!
//! Everything in a lease comes from a guest and is hostile: only a host name that is a
//! valid DNS label, a MAC or client id of hex bytes and an IP address are kept, so a
//! line of the `init` output can never carry a second lease or a DNS name the guest
//! made up; the file and the number of leases are bounded.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::helper::fsutil::atomic_write;

/// Set in dnsmasq's environment (which its scripts inherit): where the leases go...
pub const LEASES_DIR_ENV: &str = "VIRTNET_LEASES_DIR";
/// ... and the bridge dnsmasq serves (its `init` call names no interface).
pub const BRIDGE_ENV: &str = "VIRTNET_BRIDGE";

/// Set by virtnetd: the most leases dnsmasq hands out on this bridge (its
/// `dhcp-lease-max`); more are never recorded or told back to dnsmasq.
pub const LEASE_MAX_ENV: &str = "VIRTNET_LEASE_MAX";
/// The most leases of one network, whatever its ranges: a /16 of IPv4 fits, and an
/// IPv6 range (2^64 addresses) is bounded by it.
pub const MAX_LEASES: u64 = 65_536;
/// A lease file larger than this is not ours (each lease is a few hundred bytes at
/// most): it is ignored rather than read.
const MAX_LEASE_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The longest client id or DUID kept, in bytes (DHCP options carry at most 255).
const MAX_ID_BYTES: usize = 255;

/// The actions dnsmasq calls its script with.
const ACTIONS: [&str; 8] = ["add", "old", "del", "init", "tftp", "arp", "arp-old", "relay-snoop"];

/// One lease, as libvirt's leases helper stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    #[serde(rename = "ip-address")]
    pub ip: String,
    #[serde(rename = "mac-address", default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(rename = "iaid", default, skip_serializing_if = "Option::is_none")]
    pub iaid: Option<String>,
    #[serde(rename = "hostname", default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(rename = "client-id", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(rename = "server-duid", default, skip_serializing_if = "Option::is_none")]
    pub server_duid: Option<String>,
    /// Seconds since the epoch; 0 for a lease that never expires.
    #[serde(rename = "expiry-time")]
    pub expiry: u64,
}

impl Lease {
    pub fn is_ipv6(&self) -> bool {
        self.ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6())
    }

    pub fn expired(&self, now: u64) -> bool {
        self.expiry != 0 && self.expiry <= now
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `DIR/BRIDGE.status`.
pub fn leases_file(dir: &Path, bridge: &str) -> PathBuf {
    dir.join(format!("{bridge}.status"))
}

/// The leases of a bridge that have not expired (none if the file is missing or not
/// one we wrote). Leases that a guest could have shaped are checked again, so a file
/// from an older virtnetd cannot bring a forged name back.
pub fn read_leases(dir: &Path, bridge: &str) -> Vec<Lease> {
    let now = now();
    let path = leases_file(dir, bridge);
    let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= MAX_LEASE_FILE_BYTES);
    if !small {
        return Vec::new();
    }
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Vec<Lease>>(&text).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|l| !l.expired(now))
        .filter_map(Lease::checked)
        .collect()
}

impl Lease {
    /// The lease with only what passes the checks: `None` without a valid address,
    /// other fields dropped when they are not what they should be.
    fn checked(self) -> Option<Lease> {
        self.ip.parse::<IpAddr>().ok()?;
        Some(Lease {
            mac: self.mac.filter(|m| is_hex_id(m)),
            iaid: self.iaid.filter(|i| !i.is_empty() && i.len() <= 10 && i.bytes().all(|b| b.is_ascii_digit())),
            hostname: self.hostname.filter(|h| is_host_label(h)),
            client_id: self.client_id.filter(|c| is_hex_id(c)),
            server_duid: self.server_duid.filter(|d| is_hex_id(d)),
            ..self
        })
    }
}

/// A host name dnsmasq itself would accept from a guest: one DNS label of letters,
/// digits, `-` and `_` (not first), at most 63 bytes. Anything else (spaces, newlines,
/// dots, markup, escape sequences) is not kept at all.
pub fn is_host_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

/// Hex bytes separated by colons (`52:54:00:12:34:56`, a client id, a DUID), at most
/// [`MAX_ID_BYTES`] of them.
fn is_hex_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split(':').collect();
    parts.len() <= MAX_ID_BYTES
        && parts.iter().all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The most leases to keep, from `VIRTNET_LEASE_MAX` (never above [`MAX_LEASES`]).
fn lease_max(env: &dyn Fn(&str) -> Option<String>) -> usize {
    let max = env(LEASE_MAX_ENV).and_then(|m| m.parse::<u64>().ok()).unwrap_or(MAX_LEASES).min(MAX_LEASES);
    usize::try_from(max).unwrap_or(usize::MAX)
}

fn write_leases(dir: &Path, bridge: &str, leases: &[Lease]) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(leases).map_err(std::io::Error::other)?;
    atomic_write(&leases_file(dir, bridge), json.as_bytes())
}

/// Is this process being run by dnsmasq as its lease script?
pub fn invoked_as_script(args: &[String]) -> bool {
    args.get(1).is_some_and(|a| ACTIONS.contains(&a.as_str())) && std::env::var_os(LEASES_DIR_ENV).is_some()
}

/// The lease script: records the change dnsmasq reports. Runs as root, called by
/// dnsmasq only; every failure is reported on stderr (dnsmasq logs it).
pub fn script_main(args: &[String]) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(dir), Some(action)) = (env(LEASES_DIR_ENV), args.get(1)) else { return ExitCode::FAILURE };
    let dir = PathBuf::from(dir);
    let result = bridge(&env).and_then(|bridge| match action.as_str() {
        "add" | "old" | "del" => update(&dir, &bridge, action, args, &env),
        "init" => {
            let mut leases = read_leases(&dir, &bridge);
            leases.truncate(lease_max(&env));
            write!(std::io::stdout(), "{}", lease_database(&leases))
        }
        _ => Ok(()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "virtnetd lease script: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The bridge whose leases change: the one virtnetd started this dnsmasq for. The
/// interface dnsmasq names must be that bridge (a path is built from it), and the name
/// must be an interface name, never a path.
fn bridge(env: &dyn Fn(&str) -> Option<String>) -> std::io::Result<String> {
    let ours = env(BRIDGE_ENV).ok_or_else(|| std::io::Error::other(format!("{BRIDGE_ENV} is not set")))?;
    let valid = (1..=15).contains(&ours.len())
        && ours.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
        && ours != "."
        && ours != "..";
    if !valid {
        return Err(std::io::Error::other(format!("{BRIDGE_ENV} is not an interface name")));
    }
    match env("DNSMASQ_INTERFACE") {
        Some(named) if named != ours => {
            Err(std::io::Error::other(format!("a lease on {named}, but this dnsmasq serves {ours}: not recorded")))
        }
        _ => Ok(ours),
    }
}

/// The leases in dnsmasq's lease-file format, for `init`: a (re)started dnsmasq knows
/// the leases it handed out before.
fn lease_database(leases: &[Lease]) -> String {
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "*".to_owned());
    let mut out = String::new();
    for l in leases.iter().filter(|l| !l.is_ipv6()) {
        out.push_str(&format!(
            "{} {} {} {} {}\n",
            l.expiry,
            field(&l.mac),
            l.ip,
            field(&l.hostname),
            field(&l.client_id)
        ));
    }
    let v6: Vec<&Lease> = leases.iter().filter(|l| l.is_ipv6()).collect();
    if let Some(duid) = v6.iter().find_map(|l| l.server_duid.clone()) {
        out.push_str(&format!("duid {duid}\n"));
        for l in v6 {
            out.push_str(&format!(
                "{} {} {} {} {}\n",
                l.expiry,
                field(&l.iaid),
                l.ip,
                field(&l.hostname),
                field(&l.client_id)
            ));
        }
    }
    out
}

fn update(
    dir: &Path,
    bridge: &str,
    action: &str,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> std::io::Result<()> {
    let (Some(id), Some(ip)) = (args.get(2), args.get(3)) else {
        return Err(std::io::Error::other("expected ACTION MAC IP [HOSTNAME]"));
    };
    if ip.parse::<IpAddr>().is_err() {
        return Err(std::io::Error::other("the lease's address is not an IP address"));
    }
    let mut leases = read_leases(dir, bridge);
    leases.retain(|l| &l.ip != ip);
    if action != "del" {
        let ipv6 = env("DNSMASQ_IAID").is_some();
        let expiry = env("DNSMASQ_LEASE_EXPIRES").and_then(|e| e.parse().ok()).unwrap_or_else(|| {
            // Without an absolute expiry, dnsmasq gives the lease length (0: infinite).
            env("DNSMASQ_LEASE_LENGTH")
                .and_then(|l| l.parse::<u64>().ok())
                .map_or(0, |l| if l == 0 { 0 } else { now() + l })
        });
        // dnsmasq passes the host name only when it accepted it; the one the guest
        // supplied is kept only if it is a valid label too (never the raw option).
        let hostname = args.get(4).cloned().or_else(|| env("DNSMASQ_SUPPLIED_HOSTNAME"));
        let lease = Lease {
            ip: ip.clone(),
            // For DHCPv6 dnsmasq passes the client's DUID where the MAC goes.
            mac: if ipv6 { env("DNSMASQ_MAC") } else { Some(id.clone()) },
            iaid: env("DNSMASQ_IAID"),
            hostname,
            client_id: if ipv6 { Some(id.clone()) } else { env("DNSMASQ_CLIENT_ID") },
            server_duid: env("DNSMASQ_SERVER_DUID"),
            expiry,
        };
        leases.extend(lease.checked());
        // Beyond the lease limit, the leases that expire first go.
        let max = lease_max(env);
        if leases.len() > max {
            leases.sort_by_key(|l| std::cmp::Reverse(if l.expiry == 0 { u64::MAX } else { l.expiry }));
            leases.truncate(max);
        }
    }
    write_leases(dir, bridge, &leases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn add_old_and_del_update_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let env = |name: &str| match name {
            "DNSMASQ_LEASE_EXPIRES" => Some((now() + 3600).to_string()),
            "DNSMASQ_CLIENT_ID" => Some("01:52:54:00:00:00:01".to_owned()),
            _ => None,
        };
        update(dir.path(), "virbr1", "add", &args(&["virtnetd", "add", "52:54:00:00:00:01", "10.0.0.5", "web"]), &env)
            .unwrap();
        update(dir.path(), "virbr1", "add", &args(&["virtnetd", "add", "52:54:00:00:00:02", "10.0.0.6"]), &env)
            .unwrap();
        update(dir.path(), "virbr1", "old", &args(&["virtnetd", "old", "52:54:00:00:00:01", "10.0.0.5", "web2"]), &env)
            .unwrap();
        let leases = read_leases(dir.path(), "virbr1");
        assert_eq!(leases.len(), 2);
        assert_eq!(leases[1].hostname.as_deref(), Some("web2"));
        assert_eq!(leases[1].client_id.as_deref(), Some("01:52:54:00:00:00:01"));
        update(dir.path(), "virbr1", "del", &args(&["virtnetd", "del", "52:54:00:00:00:02", "10.0.0.6"]), &env)
            .unwrap();
        let leases = read_leases(dir.path(), "virbr1");
        assert_eq!(leases.iter().map(|l| l.ip.as_str()).collect::<Vec<_>>(), ["10.0.0.5"]);
        let database = lease_database(&leases);
        assert!(database.ends_with(" 52:54:00:00:00:01 10.0.0.5 web2 01:52:54:00:00:00:01\n"), "{database}");
        // libvirt's shape.
        let text = std::fs::read_to_string(leases_file(dir.path(), "virbr1")).unwrap();
        assert!(
            text.contains("\"ip-address\": \"10.0.0.5\"") && text.contains("\"mac-address\": \"52:54:00:00:00:01\"")
        );
    }

    #[test]
    fn a_guests_host_name_is_kept_only_as_a_valid_label() {
        let dir = tempfile::tempdir().unwrap();
        let forged = "x *\n0 52:54:00:66:66:66 192.168.122.9 gateway";
        let env = |name: &str| match name {
            "DNSMASQ_SUPPLIED_HOSTNAME" => Some(forged.to_owned()),
            "DNSMASQ_CLIENT_ID" => Some("01:52:54:00:00:00:01\n0 x".to_owned()),
            _ => None,
        };
        update(dir.path(), "br", "add", &args(&["virtnetd", "add", "52:54:00:00:00:01", "10.0.0.5"]), &env).unwrap();
        let leases = read_leases(dir.path(), "br");
        assert_eq!((leases[0].hostname.as_deref(), leases[0].client_id.as_deref()), (None, None));
        assert_eq!(lease_database(&leases).lines().count(), 1);
        for bad in ["", "-x", "a.b", "<b>x</b>", "x\u{1b}]0;pwned\u{7}", &"a".repeat(64), "caf\u{e9}"] {
            assert!(!is_host_label(bad), "{bad:?}");
        }
        for good in ["web", "web-1", "w_2", &"a".repeat(63)] {
            assert!(is_host_label(good), "{good:?}");
        }
        // Not an address: nothing recorded.
        assert!(
            update(dir.path(), "br", "add", &args(&["virtnetd", "add", "52:54:00:00:00:02", "x y"]), &env).is_err()
        );
    }

    #[test]
    fn a_lease_file_written_by_anyone_else_brings_nothing_forged_back() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"[{"ip-address":"10.0.0.5","mac-address":"52:54:00:00:00:01\n1 2","hostname":"a b\nc","expiry-time":0},
                      {"ip-address":"not an ip\n","expiry-time":0}]"#;
        std::fs::write(leases_file(dir.path(), "br"), json).unwrap();
        let leases = read_leases(dir.path(), "br");
        assert_eq!(leases.len(), 1);
        assert_eq!((leases[0].mac.as_deref(), leases[0].hostname.as_deref()), (None, None));
        assert_eq!(lease_database(&leases), "0 * 10.0.0.5 * *\n");
    }

    #[test]
    fn no_more_leases_than_dnsmasq_hands_out() {
        let dir = tempfile::tempdir().unwrap();
        let env = |name: &str| match name {
            LEASE_MAX_ENV => Some("3".to_owned()),
            _ => None,
        };
        for i in 1..=5 {
            let ip = format!("10.0.0.{i}");
            update(dir.path(), "br", "add", &args(&["virtnetd", "add", "52:54:00:00:00:01", &ip]), &env).unwrap();
        }
        assert_eq!(read_leases(dir.path(), "br").len(), 3);
        // An absurd limit stops at MAX_LEASES.
        let huge = |name: &str| (name == LEASE_MAX_ENV).then(|| u64::MAX.to_string());
        assert_eq!(lease_max(&huge), usize::try_from(MAX_LEASES).unwrap());
    }

    #[test]
    fn the_interface_must_be_the_bridge_of_this_dnsmasq() {
        let env = |bridge: &'static str, interface: Option<&'static str>| {
            move |name: &str| match name {
                BRIDGE_ENV => Some(bridge.to_owned()),
                "DNSMASQ_INTERFACE" => interface.map(str::to_owned),
                _ => None,
            }
        };
        assert_eq!(bridge(&env("virbr1", Some("virbr1"))).unwrap(), "virbr1");
        assert_eq!(bridge(&env("virbr1", None)).unwrap(), "virbr1");
        assert!(bridge(&env("virbr1", Some("../../etc/x"))).is_err());
        assert!(bridge(&env("../x", None)).is_err());
        assert!(bridge(&env("..", None)).is_err());
    }

    #[test]
    fn expired_leases_are_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let lease = |ip: &str, expiry| Lease {
            ip: ip.to_owned(),
            mac: None,
            iaid: None,
            hostname: None,
            client_id: None,
            server_duid: None,
            expiry,
        };
        write_leases(dir.path(), "br", &[lease("10.0.0.1", 1), lease("10.0.0.2", 0), lease("10.0.0.3", now() + 60)])
            .unwrap();
        let ips: Vec<String> = read_leases(dir.path(), "br").into_iter().map(|l| l.ip).collect();
        assert_eq!(ips, ["10.0.0.2", "10.0.0.3"]);
    }
}
