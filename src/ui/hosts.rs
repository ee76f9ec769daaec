//! The window's connections: this computer (or what `--connect` named first) and the
//! remote hosts added in the window or with more `--connect`s, each with its state and
//! its client while connected. Remote connections added in the window are remembered
//! (GSettings `connections`) and reconnect by themselves.

use gettextrs::gettext;

use crate::dbus::connect::Target;
use crate::ui::client::{Client, HostId, Unreachable};

/// Where a connection stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostState {
    Connecting,
    Connected,
    /// Not reachable: why, and whether it was the login that failed.
    Unreachable(Unreachable),
    /// Not asked to connect (autoconnect off, or disconnected by the user).
    Idle,
}

/// One connection of the window.
pub struct Host {
    pub id: HostId,
    pub target: Target,
    pub state: HostState,
    pub client: Option<Client>,
    /// Added in the window and remembered (a `--connect` one is not).
    pub saved: bool,
    pub autoconnect: bool,
    /// The task following its helper, while connecting or connected.
    pub task: Option<relm4::JoinHandle<()>>,
}

impl Host {
    pub fn new(id: HostId, target: Target, saved: bool, autoconnect: bool) -> Host {
        Host { id, target, state: HostState::Idle, client: None, saved, autoconnect, task: None }
    }

    /// "This Computer", or `user@host[:port]`.
    pub fn label(&self) -> String {
        label_of(&self.target)
    }

    pub fn is_connected(&self) -> bool {
        self.state == HostState::Connected
    }

    /// Its state in words: "Connected", "Connecting…", "Authentication failed: …".
    pub fn state_text(&self) -> String {
        match &self.state {
            HostState::Connecting => gettext("Connecting…"),
            HostState::Connected => gettext("Connected"),
            HostState::Unreachable(why) if why.authentication => {
                gettext("Authentication failed: {why}").replace("{why}", &why.why)
            }
            HostState::Unreachable(why) => gettext("Unreachable: {why}").replace("{why}", &why.why),
            HostState::Idle => gettext("Not connected"),
        }
    }

    /// Stops following the helper (the ssh process ends with it).
    pub fn disconnect(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.client = None;
        self.state = HostState::Idle;
    }
}

/// What the sidebar calls a connection.
pub fn label_of(target: &Target) -> String {
    match target {
        Target::Ssh(ssh) => {
            let mut label = match &ssh.user {
                Some(user) => format!("{user}@{}", ssh.host),
                None => ssh.host.clone(),
            };
            if let Some(port) = ssh.port.filter(|&p| p != 22) {
                label.push_str(&format!(":{port}"));
            }
            label
        }
        _ => gettext("This Computer"),
    }
}

/// The address of a remote connection from the fields of the "Add Connection" dialog
/// (host, user, port; empty user and port leave them to ssh), or why they are not one.
pub fn remote_target(host: &str, user: &str, port: &str) -> Result<Target, String> {
    let (host, user, port) = (host.trim(), user.trim(), port.trim());
    if host.is_empty() {
        return Err(gettext("Enter the host's name or address"));
    }
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    let mut uri = String::from("ssh://");
    if !user.is_empty() {
        uri.push_str(user);
        uri.push('@');
    }
    uri.push_str(&host);
    if !port.is_empty() {
        uri.push(':');
        uri.push_str(port);
    }
    Target::parse(Some(&uri)).map_err(|why| why.strip_prefix(&format!("{uri}: ")).unwrap_or(&why).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialogs_fields_make_an_ssh_target() {
        let target = remote_target(" server.example ", "root", "2222").unwrap();
        assert_eq!(target.to_string(), "ssh://root@server.example:2222");
        assert_eq!(label_of(&target), "root@server.example:2222");
        assert_eq!(label_of(&remote_target("fd00::1", "", "22").unwrap()), "fd00::1");
        assert_eq!(remote_target("fd00::1", "", "").unwrap().to_string(), "ssh://[fd00::1]");
        assert_eq!(label_of(&Target::System), "This Computer");
        assert!(remote_target("", "root", "").unwrap_err().contains("host"));
        assert!(remote_target("host", "", "http").unwrap_err().contains("not a number from 1 to 65535"));
        assert!(remote_target("-oProxyCommand=x", "", "").unwrap_err().contains("starts with “-”"));
        assert!(remote_target("host", "a b", "").unwrap_err().contains("contains “ ”"));
    }
}
