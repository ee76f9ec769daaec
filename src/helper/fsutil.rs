//! Files written so that a crash never leaves half a file: temp file in the same folder,
//! fsync, rename over the old one, fsync the folder.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Files only root reads (definitions, status, dnsmasq's configuration, which it reads
/// before dropping its privileges).
const PRIVATE: u32 = 0o600;

/// Files dnsmasq reads again after dropping to its own user (static hosts, DNS hosts).
const READABLE: u32 = 0o644;

/// Replaces `path` with `contents` atomically (mode 0600), and durably: synced to disk
/// before and after the rename.
pub fn atomic_write(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, true, PRIVATE)
}

/// Replaces `path` (mode 0600) so readers see the old or the new contents, never a
/// mix, without waiting for the disk: for files regenerated whenever they are needed.
pub fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, false, PRIVATE)
}

/// As [`replace`], readable by every user (mode 0644): for dnsmasq's hosts files.
pub fn replace_readable(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, false, READABLE)
}

/// Writes a temp file beside `path` and renames it over `path`; the temp file goes if
/// any step fails. `durable` syncs the file and its folder. Each write has a temp file
/// of its own, created exclusively under a random name (tempfile's O_EXCL, which
/// follows no link), so concurrent writes of one file never share or clobber one. The
/// mode is set on the open file, so the process's umask (the unit's 0077) cannot change it.
fn write_via_temp(path: &Path, contents: &[u8], durable: bool, mode: u32) -> io::Result<()> {
    let (dir, prefix) = temp_place(path)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(PRIVATE))
        .tempfile_in(dir)?;
    temp.as_file().set_permissions(fs::Permissions::from_mode(mode))?;
    temp.write_all(contents)?;
    if durable {
        temp.as_file().sync_all()?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    if durable { sync_dir(dir) } else { Ok(()) }
}

/// Makes `link` a symbolic link to `target` in one step: a link made under a fresh name
/// beside it is renamed over it, so `link` is never missing in between.
pub fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let (dir, prefix) = temp_place(link)?;
    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .make_in(dir, |temp| std::os::unix::fs::symlink(target, temp))?;
    temp.persist(link).map_err(|e| e.error)?;
    Ok(())
}

/// The folder of `path` and the prefix of its temp files (`.NAME.`: hidden, and
/// never read as a definition).
fn temp_place(path: &Path) -> io::Result<(&Path, std::ffi::OsString)> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no folder"))?;
    let file_name = path.file_name().ok_or_else(|| io::Error::other("path has no file name"))?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    Ok((dir, prefix))
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes a file; a file that is already gone is fine.
pub fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_contents_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.xml");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        remove_if_exists(&path).unwrap();
        remove_if_exists(&path).unwrap();
    }

    #[test]
    fn concurrent_writes_of_one_file_each_have_their_own_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.conf");
        std::thread::scope(|s| {
            for i in 0..8 {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        replace(path, format!("writer {i}\n").repeat(1000).as_bytes()).unwrap();
                    }
                });
            }
        });
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().collect::<std::collections::HashSet<_>>().len(), 1, "a mix of writes");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn private_and_readable_files_get_their_modes() {
        // Set with fchmod, which the umask does not touch (the unit's is 0077).
        let dir = tempfile::tempdir().unwrap();
        let (private, readable) = (dir.path().join("net.xml"), dir.path().join("net.hostsfile"));
        atomic_write(&private, b"x").unwrap();
        replace_readable(&readable, b"y").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&private), mode(&readable)), (0o600, 0o644));
    }

    #[test]
    fn a_link_planted_at_a_temp_name_is_not_followed() {
        // Temp names are random; a planted link can only be beside them.
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".net.xml.tmp")).unwrap();
        atomic_write(&dir.path().join("net.xml"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn a_symlink_is_replaced_in_one_step() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("lab.xml");
        replace_symlink(Path::new("/etc/one"), &link).unwrap();
        replace_symlink(Path::new("/etc/two"), &link).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("/etc/two"));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
