//! A network's ports: the interfaces plugged into its bridge. virtnet's own taps are
//! remembered (transient ones, handed to a VM by OpenPort, in the run folder; persistent
//! ones, owned by a uid, in the state folder), so they are plugged in again when the
//! network restarts; interfaces someone else plugged in are shown as foreign ports.
//!
//! Files: `RUN/ports/UUID.json` and `STATE/ports/UUID.json`, each a list of
//! [`PortRecord`]s, written atomically.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::fsutil::{atomic_write, remove_if_exists};
use crate::model::MacAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortKind {
    /// A tap whose descriptor went to a VM (OpenPort): it goes when the VM does.
    Transient,
    /// A tap owned by a uid that stays until deleted (CreatePort).
    Persistent,
    /// An interface someone else plugged into the bridge.
    Foreign,
}

impl PortKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PortKind::Transient => "transient",
            PortKind::Persistent => "persistent",
            PortKind::Foreign => "foreign",
        }
    }
}

/// What virtnet remembers of one of its own ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRecord {
    /// The number in the port's object path, unique within the network.
    pub number: u32,
    pub interface: String,
    pub kind: PortKind,
    /// Who may use a persistent tap; who opened a transient one.
    pub owner: Option<u32>,
    /// Seconds since the epoch.
    pub created: u64,
    /// The guest's MAC address, when the caller gave it.
    pub mac: Option<String>,
    pub isolated: bool,
    pub vnet_hdr: bool,
    /// A transient tap's interface index: a later interface of the same name is not it.
    pub index: Option<u32>,
}

/// A port as clients see it: the record and what the host says now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub record: PortRecord,
    /// Plugged into the running network's bridge right now.
    pub plugged: bool,
    /// The guest's MAC: the one given, else the one the bridge learned behind the port.
    pub guest_mac: Option<MacAddr>,
    /// The guest's address and host name, from its DHCP lease.
    pub address: String,
    pub hostname: String,
}

impl Port {
    pub fn new(record: PortRecord) -> Port {
        let guest_mac = record.mac.as_deref().and_then(|m| m.parse().ok());
        Port { record, plugged: false, guest_mac, address: String::new(), hostname: String::new() }
    }
}

/// The ports of one network, by number.
#[derive(Clone, Debug, Default)]
pub struct PortTable {
    pub ports: BTreeMap<u32, Port>,
}

impl PortTable {
    pub fn next_number(&self) -> u32 {
        self.ports.keys().next_back().map_or(0, |n| n + 1)
    }

    pub fn by_interface(&self, interface: &str) -> Option<&Port> {
        self.ports.values().find(|p| p.record.interface == interface)
    }

    /// The records to keep on disk, of one kind.
    pub fn records(&self, kind: PortKind) -> Vec<PortRecord> {
        self.ports.values().filter(|p| p.record.kind == kind).map(|p| p.record.clone()).collect()
    }
}

/// Where the records live.
#[derive(Clone, Debug)]
pub struct PortFiles {
    run_dir: PathBuf,
    state_dir: PathBuf,
}

impl PortFiles {
    pub fn new(run_dir: &Path, state_dir: &Path) -> PortFiles {
        PortFiles { run_dir: run_dir.join("ports"), state_dir: state_dir.join("ports") }
    }

    fn path(&self, uuid: &Uuid, kind: PortKind) -> Option<PathBuf> {
        let dir = match kind {
            PortKind::Transient => &self.run_dir,
            PortKind::Persistent => &self.state_dir,
            PortKind::Foreign => return None,
        };
        Some(dir.join(format!("{}.json", uuid.hyphenated())))
    }

    /// Both files' records (a file that cannot be read is reported and counts as empty).
    pub fn load(&self, uuid: &Uuid) -> Vec<PortRecord> {
        let mut records = Vec::new();
        for kind in [PortKind::Persistent, PortKind::Transient] {
            let Some(path) = self.path(uuid, kind) else { continue };
            match std::fs::read(&path) {
                Ok(bytes) => match serde_json::from_slice::<Vec<PortRecord>>(&bytes) {
                    Ok(list) => records.extend(list.into_iter().filter(|r| r.kind == kind)),
                    Err(e) => tracing::warn!("ignoring {}: {e}", path.display()),
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("cannot read {}: {e}", path.display()),
            }
        }
        records
    }

    /// Writes the records of `kind` (removes the file when there are none).
    pub fn save(&self, uuid: &Uuid, kind: PortKind, records: &[PortRecord]) -> io::Result<()> {
        let Some(path) = self.path(uuid, kind) else { return Ok(()) };
        if records.is_empty() {
            return remove_if_exists(&path);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(records).map_err(io::Error::other)?;
        atomic_write(&path, &text)
    }

    pub fn remove(&self, uuid: &Uuid) -> io::Result<()> {
        self.save(uuid, PortKind::Transient, &[])?;
        self.save(uuid, PortKind::Persistent, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(number: u32, kind: PortKind) -> PortRecord {
        PortRecord {
            number,
            interface: format!("vnet{number}"),
            kind,
            owner: Some(1000),
            created: 1,
            mac: Some("52:54:00:12:34:56".into()),
            isolated: false,
            vnet_hdr: true,
            index: Some(7),
        }
    }

    #[test]
    fn records_round_trip_through_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = PortFiles::new(&dir.path().join("run"), &dir.path().join("state"));
        let uuid = Uuid::from_u128(1);
        files.save(&uuid, PortKind::Persistent, &[record(0, PortKind::Persistent)]).unwrap();
        files.save(&uuid, PortKind::Transient, &[record(1, PortKind::Transient)]).unwrap();
        let loaded = files.load(&uuid);
        assert_eq!(loaded, [record(0, PortKind::Persistent), record(1, PortKind::Transient)]);
        files.remove(&uuid).unwrap();
        assert!(files.load(&uuid).is_empty());
    }

    #[test]
    fn numbers_are_never_reused_while_higher_ones_exist() {
        let mut table = PortTable::default();
        assert_eq!(table.next_number(), 0);
        table.ports.insert(3, Port::new(record(3, PortKind::Foreign)));
        assert_eq!(table.next_number(), 4);
        assert_eq!(
            Port::new(record(3, PortKind::Foreign)).guest_mac.map(|m| m.to_string()).as_deref(),
            Some("52:54:00:12:34:56")
        );
    }
}
