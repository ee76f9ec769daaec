//! The programs virtnetd runs (dnsmasq, nft, iptables-save/-restore): by absolute path,
//! found in the helper's own PATH, and with a clean environment, so nothing of the
//! environment virtnetd was started with (LD_PRELOAD, a PATH with a user's folder in
//! it, locale settings that change the tools' output) reaches them.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The PATH a child gets: the system's folders only.
pub const CHILD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Where `name` is: the first executable file of that name in the helper's PATH (only
/// its absolute folders), else in [`CHILD_PATH`]; `None` if there is none.
pub fn find(name: &str) -> Option<PathBuf> {
    let own = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&own)
        .chain(std::env::split_paths(OsStr::new(CHILD_PATH)))
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A command for the program `name` by its absolute path (the bare name if it is not
/// found, so that spawning fails with "not found"), with an empty environment but
/// [`CHILD_PATH`] and `LC_ALL=C` (the tools' messages reach callers as they are).
pub fn command(name: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(find(name).unwrap_or_else(|| PathBuf::from(name)));
    command.env_clear().env("PATH", CHILD_PATH).env("LC_ALL", "C");
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_by_absolute_path() {
        let sh = find("sh").unwrap();
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(find("no-such-program-anywhere"), None);
    }

    #[tokio::test]
    async fn children_get_a_clean_environment() {
        let out = command("env").output().await.unwrap();
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
        lines.sort();
        assert_eq!(lines, ["LC_ALL=C".to_owned(), format!("PATH={CHILD_PATH}")]);
    }
}
