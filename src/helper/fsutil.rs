//! Files written so that a crash never leaves half a file: temp file in the same folder,
//! fsync, rename over the old one, fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Replaces `path` with `contents` atomically (mode 0644), and durably: synced to disk
/// before and after the rename.
pub fn atomic_write(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, true)
}

/// Replaces `path` so readers see the old or the new contents, never a mix, without
/// waiting for the disk: for files that are regenerated whenever they are needed.
pub fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_via_temp(path, contents, false)
}

/// Writes a temp file beside `path` and renames it over `path`; the temp file goes if
/// any step fails. `durable` syncs the file and its folder.
fn write_via_temp(path: &Path, contents: &[u8], durable: bool) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| io::Error::other("path has no folder"))?;
    let file_name = path.file_name().ok_or_else(|| io::Error::other("path has no file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".tmp{}", std::process::id()));
    let temp = dir.join(temp_name);

    let result = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o644).open(&temp)?;
        file.write_all(contents)?;
        if durable {
            file.sync_all()?;
        }
        fs::rename(&temp, path)?;
        if durable { sync_dir(dir) } else { Ok(()) }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
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
}
