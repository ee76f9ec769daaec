//! The helper's files, libvirt's layout:
//!
//! - `CONFIG/NAME.xml`: persistent definitions; `CONFIG/autostart/NAME.xml`: a symlink to
//!   the definition of each network that starts at boot;
//! - `RUN/NAME.xml`: the live definition of each active network (so a restarted helper
//!   knows what runs); `RUN/autostarted`: autostart already ran this boot;
//! - `STATE/`: dnsmasq's files and leases (datapath).
//!
//! Writes are atomic; a file that cannot be read is reported and skipped, never deleted.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::warn;

use super::fsutil::{atomic_write, remove_if_exists, replace, replace_symlink, sync_dir};
use crate::model::Network;

/// Marks a config folder virtnet has set up (so `default` is created only once).
const INITIALISED_MARKER: &str = ".virtnet-initialised";
const AUTOSTART_MARKER: &str = "autostarted";

#[derive(Clone, Debug)]
pub struct Store {
    config_dir: PathBuf,
    run_dir: PathBuf,
    state_dir: PathBuf,
}

/// A persistent definition read from disk.
#[derive(Debug)]
pub struct StoredDefinition {
    pub network: Network,
    pub autostart: bool,
}

fn io_context(what: &str, path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

impl Store {
    pub fn new(config_dir: PathBuf, run_dir: PathBuf, state_dir: PathBuf) -> Self {
        Store { config_dir, run_dir, state_dir }
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    fn autostart_dir(&self) -> PathBuf {
        self.config_dir.join("autostart")
    }

    fn definition_path(&self, name: &str) -> PathBuf {
        self.config_dir.join(format!("{name}.xml"))
    }

    fn autostart_link(&self, name: &str) -> PathBuf {
        self.autostart_dir().join(format!("{name}.xml"))
    }

    fn status_path(&self, name: &str) -> PathBuf {
        self.run_dir.join(format!("{name}.xml"))
    }

    /// Creates the folders; returns true when the config folder has never been set up.
    pub fn prepare(&self) -> io::Result<bool> {
        for dir in [&self.config_dir, &self.autostart_dir(), &self.run_dir, &self.state_dir] {
            fs::create_dir_all(dir).map_err(|e| io_context("cannot create", dir, e))?;
        }
        Ok(!self.config_dir.join(INITIALISED_MARKER).exists())
    }

    pub fn mark_initialised(&self) -> io::Result<()> {
        atomic_write(&self.config_dir.join(INITIALISED_MARKER), b"")
    }

    /// Every readable definition in the config folder.
    pub fn load_definitions(&self) -> Vec<StoredDefinition> {
        let mut found = Vec::new();
        for (path, network) in read_networks(&self.config_dir) {
            let expected = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if network.name != expected {
                warn!(file = %path.display(), name = %network.name, "skipping definition: the file name must be the network's name");
                continue;
            }
            let autostart = self.autostart_link(&network.name).exists();
            found.push(StoredDefinition { network, autostart });
        }
        found
    }

    pub fn save_definition(&self, network: &Network) -> io::Result<()> {
        let path = self.definition_path(&network.name);
        atomic_write(&path, network.to_xml().as_bytes()).map_err(|e| io_context("cannot write", &path, e))
    }

    /// Removes a definition and its autostart link.
    pub fn remove_definition(&self, name: &str) -> io::Result<()> {
        self.set_autostart(name, false)?;
        let path = self.definition_path(name);
        remove_if_exists(&path).map_err(|e| io_context("cannot remove", &path, e))?;
        sync_dir(&self.config_dir)
    }

    pub fn set_autostart(&self, name: &str, on: bool) -> io::Result<()> {
        let link = self.autostart_link(name);
        if on {
            // Replaced, never removed first: a crash in between cannot lose the flag.
            replace_symlink(&self.definition_path(name), &link).map_err(|e| io_context("cannot create", &link, e))?;
        } else {
            remove_if_exists(&link).map_err(|e| io_context("cannot remove", &link, e))?;
        }
        sync_dir(&self.autostart_dir())
    }

    /// The live definitions of the networks that were active.
    pub fn load_status(&self) -> Vec<Network> {
        read_networks(&self.run_dir).into_iter().map(|(_, network)| network).collect()
    }

    /// The live definition of an active network. Atomic, but not synced to disk: the
    /// run folder is emptied at boot anyway, and a crash of the helper alone loses
    /// nothing that was written.
    pub fn save_status(&self, network: &Network) -> io::Result<()> {
        let path = self.status_path(&network.name);
        replace(&path, network.to_xml().as_bytes()).map_err(|e| io_context("cannot write", &path, e))
    }

    pub fn remove_status(&self, name: &str) -> io::Result<()> {
        let path = self.status_path(name);
        remove_if_exists(&path).map_err(|e| io_context("cannot remove", &path, e))
    }

    /// True once autostart has run since the run folder was created (once per boot).
    pub fn autostart_done(&self) -> bool {
        self.run_dir.join(AUTOSTART_MARKER).exists()
    }

    pub fn mark_autostart_done(&self) -> io::Result<()> {
        atomic_write(&self.run_dir.join(AUTOSTART_MARKER), b"")
    }
}

/// `*.xml` files of a folder that parse as networks; others are reported and skipped.
fn read_networks(dir: &Path) -> Vec<(PathBuf, Network)> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            warn!(dir = %dir.display(), "cannot read folder: {e}");
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "xml"))
        .collect();
    paths.sort();
    let mut networks = Vec::new();
    for path in paths {
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                warn!(file = %path.display(), "cannot read definition: {e}");
                continue;
            }
        };
        match Network::from_xml(&text) {
            Ok(network) => networks.push((path, network)),
            Err(problems) => {
                warn!(file = %path.display(), "skipping unreadable definition: {}", problems.to_string().replace('\n', "; "))
            }
        }
    }
    networks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> Store {
        Store::new(dir.join("etc"), dir.join("run"), dir.join("lib"))
    }

    fn network(name: &str) -> Network {
        Network::from_xml(&format!("<network><name>{name}</name></network>")).unwrap()
    }

    #[test]
    fn definitions_and_autostart_links_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        assert!(store.prepare().unwrap());
        store.mark_initialised().unwrap();
        assert!(!store.prepare().unwrap());

        store.save_definition(&network("lab")).unwrap();
        store.save_definition(&network("web")).unwrap();
        store.set_autostart("web", true).unwrap();
        let loaded = store.load_definitions();
        let summary: Vec<(String, bool)> = loaded.iter().map(|d| (d.network.name.clone(), d.autostart)).collect();
        assert_eq!(summary, [("lab".to_owned(), false), ("web".to_owned(), true)]);
        assert_eq!(fs::read_link(dir.path().join("etc/autostart/web.xml")).unwrap(), dir.path().join("etc/web.xml"));

        store.remove_definition("web").unwrap();
        assert!(!dir.path().join("etc/autostart/web.xml").exists());
        assert_eq!(store.load_definitions().len(), 1);
    }

    #[test]
    fn unreadable_or_misnamed_files_are_skipped_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        store.prepare().unwrap();
        fs::write(dir.path().join("etc/broken.xml"), "<network>").unwrap();
        fs::write(dir.path().join("etc/other.xml"), "<network><name>lab</name></network>").unwrap();
        assert!(store.load_definitions().is_empty());
        assert!(dir.path().join("etc/broken.xml").exists());
    }

    #[test]
    fn status_files_and_autostart_marker() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        store.prepare().unwrap();
        store.save_status(&network("lab")).unwrap();
        assert_eq!(store.load_status()[0].name, "lab");
        store.remove_status("lab").unwrap();
        assert!(store.load_status().is_empty());
        assert!(!store.autostart_done());
        store.mark_autostart_done().unwrap();
        assert!(store.autostart_done());
    }
}
