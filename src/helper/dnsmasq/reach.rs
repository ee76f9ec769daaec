//! Can dnsmasq read what it is given? It reads its configuration as root, but drops to
//! user `nobody` (group `dip` on Debian) before it reads the DHCP hosts file and the
//! DNS hosts file, and a file it cannot read it skips without failing: the guests'
//! static addresses and the network's DNS records would be silently missing. So every
//! start checks, from the permission bits, that this user can enter each folder above
//! the files and read them, and fails with a sentence naming the first one it cannot.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The user dnsmasq runs as, and the groups it may have (its compiled-in group, `dip`
/// on Debian, or the user's own).
struct DnsmasqUser {
    uid: u32,
    gids: Vec<u32>,
}

const USER: &str = "nobody";
const GROUPS: [&str; 2] = ["dip", "nogroup"];

impl DnsmasqUser {
    fn of_this_system() -> DnsmasqUser {
        let id_of = |file: &str, name: &str, field: usize| {
            std::fs::read_to_string(file).ok()?.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.first() == Some(&name)).then(|| fields.get(field)?.parse().ok()).flatten()
            })
        };
        let uid = id_of("/etc/passwd", USER, 2).unwrap_or(65534);
        let mut gids: Vec<u32> = GROUPS.iter().filter_map(|g| id_of("/etc/group", g, 2)).collect();
        gids.extend(id_of("/etc/passwd", USER, 3));
        DnsmasqUser { uid, gids }
    }

    /// Whether the permission bits give this user `want` (4 read, 1 search) on a file.
    fn may(&self, meta: &std::fs::Metadata, want: u32) -> bool {
        let mode = meta.mode();
        let bits = if meta.uid() == self.uid {
            mode >> 6
        } else if self.gids.contains(&meta.gid()) {
            mode >> 3
        } else {
            mode
        };
        bits & want == want
    }
}

/// What dnsmasq's user cannot reach, as a sentence; `None` when it can read every file.
pub fn problem(files: &[&Path]) -> Option<String> {
    let user = DnsmasqUser::of_this_system();
    for file in files {
        for folder in file.ancestors().skip(1).filter(|f| !f.as_os_str().is_empty()) {
            let Ok(meta) = std::fs::metadata(folder) else { continue };
            if !user.may(&meta, 1) {
                return Some(sentence(folder, &meta, "enter the folder"));
            }
        }
        if let Ok(meta) = std::fs::metadata(file)
            && !user.may(&meta, 4)
        {
            return Some(sentence(file, &meta, "read"));
        }
    }
    None
}

fn sentence(path: &Path, meta: &std::fs::Metadata, what: &str) -> String {
    let path: PathBuf = path.to_owned();
    format!(
        "dnsmasq runs as user {USER}, who cannot {what} {} (mode {:o}, owner {}): it would hand out no static \
         addresses and answer no DNS records of this network; let others enter it (chmod o+x) or use a state folder \
         (virtnetd --state-dir) that {USER} can reach",
        path.display(),
        meta.mode() & 0o7777,
        meta.uid()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_closed_folder_above_the_files_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("lib/dnsmasq");
        std::fs::create_dir_all(&inner).unwrap();
        let file = inner.join("lab.hostsfile");
        std::fs::write(&file, "").unwrap();
        for d in [dir.path(), &dir.path().join("lib"), &inner] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Whatever is above the temp folder (/tmp) is open to all.
        assert_eq!(problem(&[&file]), None);

        std::fs::set_permissions(dir.path().join("lib"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let message = problem(&[&file]).unwrap();
        assert!(message.contains(&format!("enter the folder {}", dir.path().join("lib").display())), "{message}");

        std::fs::set_permissions(dir.path().join("lib"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(problem(&[&file]).unwrap().contains("cannot read"));
    }
}
