//! The kernel settings a network needs: IP forwarding (global: virtnet turns it on
//! when a network that forwards starts and it was off, and, as libvirt, never turns it
//! off again, since Docker, podman or a VPN started meanwhile may rely on it; only a
//! start that fails takes back what it changed), and the bridge's own settings (per
//! interface, gone with the bridge).

use std::fs;
use std::io;
use std::path::Path;

use tracing::info;

use crate::dbus::{ErrorKind, HelperError};
use crate::model::values::Family;

const PROC_SYS: &str = "/proc/sys";

fn forwarding_key(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "net/ipv4/ip_forward",
        Family::Ipv6 => "net/ipv6/conf/all/forwarding",
    }
}

fn failed(key: &str, e: &io::Error) -> HelperError {
    HelperError::new(ErrorKind::Sysctl, format!("cannot set {}: {e}", key.replace('/', ".")))
}

fn read(key: &str) -> io::Result<String> {
    Ok(fs::read_to_string(Path::new(PROC_SYS).join(key))?.trim().to_owned())
}

/// Sets a boolean setting, writing only when it differs (a write of the same value is
/// not free under load).
fn write_if_different(key: &str, enable: bool) -> Result<(), HelperError> {
    let wanted = if enable { "1" } else { "0" };
    if read(key).map_err(|e| failed(key, &e))? == wanted {
        return Ok(());
    }
    write(key, wanted)
}

fn write(key: &str, value: &str) -> Result<(), HelperError> {
    fs::write(Path::new(PROC_SYS).join(key), value).map_err(|e| failed(key, &e))
}

#[derive(Clone, Debug, Default)]
pub struct Sysctl;

impl Sysctl {
    /// Turns forwarding on; returns true if it was off (so this start changed it).
    pub fn enable_forwarding(&self, family: Family) -> Result<bool, HelperError> {
        let key = forwarding_key(family);
        if read(key).map_err(|e| failed(key, &e))? == "1" {
            return Ok(false);
        }
        write(key, "1")?;
        info!("{} forwarding turned on", family);
        Ok(true)
    }

    /// Whether forwarding is on for this family.
    pub fn forwarding_on(&self, family: Family) -> Result<bool, HelperError> {
        let key = forwarding_key(family);
        Ok(read(key).map_err(|e| failed(key, &e))? == "1")
    }

    /// The interface's accept_ra (0: never, 1: unless forwarding, 2: even when forwarding).
    pub fn accept_ra(&self, interface: &str) -> Result<String, HelperError> {
        let key = format!("net/ipv6/conf/{interface}/accept_ra");
        read(&key).map_err(|e| failed(&key, &e))
    }

    /// Keeps router advertisements accepted on `interface` once forwarding is on.
    pub fn keep_accepting_ra(&self, interface: &str) -> Result<(), HelperError> {
        write(&format!("net/ipv6/conf/{interface}/accept_ra"), "2")?;
        info!("accept_ra of {interface} set to 2, to keep its routes from router advertisements");
        Ok(())
    }

    /// Turns forwarding off again: only to undo a start that failed after turning it on.
    pub fn undo_enable_forwarding(&self, family: Family) -> Result<(), HelperError> {
        write(forwarding_key(family), "0")?;
        info!("{} forwarding turned off again (the start that turned it on failed)", family);
        Ok(())
    }

    /// Whether the kernel may forward IPv4 packets that arrive on `bridge`.
    pub fn bridge_forwarding(&self, bridge: &str, enable: bool) -> Result<(), HelperError> {
        write_if_different(&format!("net/ipv4/conf/{bridge}/forwarding"), enable)
    }

    /// Whether the kernel routes packets with a loopback source out of `bridge` (a port
    /// forward reached at 127.0.0.1 needs it).
    pub fn route_localnet(&self, bridge: &str, enable: bool) -> Result<(), HelperError> {
        write_if_different(&format!("net/ipv4/conf/{bridge}/route_localnet"), enable)
    }

    /// libvirt's settings for a bridge: IPv6 off unless the network has IPv6 addresses
    /// (or `ipv6='yes'`); with IPv6, no router advertisements or autoconfiguration
    /// accepted on the bridge (the host is the router there).
    pub fn bridge_ipv6(&self, bridge: &str, enable: bool) -> Result<(), HelperError> {
        let base = format!("net/ipv6/conf/{bridge}");
        if !Path::new(PROC_SYS).join(&base).exists() {
            // The kernel has no IPv6 at all.
            return if enable {
                Err(HelperError::new(
                    ErrorKind::Sysctl,
                    "the network has IPv6 addresses, but this kernel has IPv6 disabled",
                ))
            } else {
                Ok(())
            };
        }
        if enable {
            write(&format!("{base}/disable_ipv6"), "0")?;
            write(&format!("{base}/accept_ra"), "0")?;
            write(&format!("{base}/autoconf"), "0")
        } else {
            write(&format!("{base}/disable_ipv6"), "1")
        }
    }
}
