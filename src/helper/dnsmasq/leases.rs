//! DHCP leases. dnsmasq runs with `--leasefile-ro` and calls virtnetd itself as its
//! `--dhcp-script` on every change (`virtnetd add|old|del MAC-OR-DUID IP [HOSTNAME]`,
//! details in `DNSMASQ_*` variables) and once at start (`init`: print the known
//! leases). The leases are kept as JSON per bridge, `STATE/dnsmasq/BRIDGE.status`,
//! in libvirt's shape, and read back for `GetDHCPLeases`.

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

/// The leases of a bridge that have not expired (none if the file is missing).
pub fn read_leases(dir: &Path, bridge: &str) -> Vec<Lease> {
    let now = now();
    std::fs::read_to_string(leases_file(dir, bridge))
        .ok()
        .and_then(|text| serde_json::from_str::<Vec<Lease>>(&text).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|l| !l.expired(now))
        .collect()
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
    let Some(bridge) = env("DNSMASQ_INTERFACE").or_else(|| env(BRIDGE_ENV)) else {
        return ExitCode::FAILURE;
    };
    let result = match action.as_str() {
        "add" | "old" | "del" => update(&dir, &bridge, action, args, &env),
        "init" => write!(std::io::stdout(), "{}", lease_database(&read_leases(&dir, &bridge))),
        _ => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "virtnetd lease script: {e}");
            ExitCode::FAILURE
        }
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
        leases.push(Lease {
            ip: ip.clone(),
            // For DHCPv6 dnsmasq passes the client's DUID where the MAC goes.
            mac: if ipv6 { env("DNSMASQ_MAC") } else { Some(id.clone()) },
            iaid: env("DNSMASQ_IAID"),
            hostname: args.get(4).cloned().or_else(|| env("DNSMASQ_SUPPLIED_HOSTNAME")),
            client_id: if ipv6 { Some(id.clone()) } else { env("DNSMASQ_CLIENT_ID") },
            server_duid: env("DNSMASQ_SERVER_DUID"),
            expiry,
        });
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
