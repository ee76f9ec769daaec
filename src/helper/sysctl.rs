//! The kernel settings a network needs: IP forwarding (global, so virtnet turns it on
//! only when it was off, remembers that it did, and turns it off again when its last
//! network that needed it stops) and the bridge's own IPv6 settings (per interface,
//! gone with the bridge), as libvirt sets them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::info;

use super::fsutil::{atomic_write, remove_if_exists};
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

fn write(key: &str, value: &str) -> Result<(), HelperError> {
    fs::write(Path::new(PROC_SYS).join(key), value).map_err(|e| failed(key, &e))
}

#[derive(Clone, Debug)]
pub struct Sysctl {
    /// Holds a marker per family virtnet switched forwarding on for.
    marker_dir: PathBuf,
}

impl Sysctl {
    pub fn new(run_dir: &Path) -> Sysctl {
        Sysctl { marker_dir: run_dir.join("sysctl") }
    }

    fn marker(&self, family: Family) -> PathBuf {
        self.marker_dir.join(format!("{}-forwarding", family.as_str()))
    }

    /// Turns forwarding on; returns true if it was off (so this start changed it).
    pub fn enable_forwarding(&self, family: Family) -> Result<bool, HelperError> {
        let key = forwarding_key(family);
        if read(key).map_err(|e| failed(key, &e))? == "1" {
            return Ok(false);
        }
        fs::create_dir_all(&self.marker_dir).map_err(|e| failed(key, &e))?;
        // The marker is written first: a crash in between leaves a marker for a setting
        // that is still off, which is harmless; the opposite would lose track of it.
        atomic_write(&self.marker(family), b"0\n").map_err(|e| failed(key, &e))?;
        write(key, "1")?;
        info!("{} forwarding turned on", family);
        Ok(true)
    }

    /// Turns forwarding off again if virtnet turned it on.
    pub fn restore_forwarding(&self, family: Family) -> Result<(), HelperError> {
        let key = forwarding_key(family);
        if !self.marker(family).exists() {
            return Ok(());
        }
        write(key, "0")?;
        remove_if_exists(&self.marker(family)).map_err(|e| failed(key, &e))?;
        info!("{} forwarding turned off again", family);
        Ok(())
    }

    /// Whether virtnet turned forwarding on for this family (and it is still its doing).
    pub fn forwarding_is_ours(&self, family: Family) -> bool {
        self.marker(family).exists()
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
