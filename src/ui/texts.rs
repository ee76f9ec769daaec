//! The words the window uses for states, modes and subnets, translated.

use gettextrs::gettext;

use crate::dbus::summary::NetworkSummary;
use crate::dbus::{ErrorKind, HelperError};
use crate::model::subnet::display;
use crate::model::{IpDef, Network};

/// A forward mode in words (`ForwardMode` property values).
pub fn mode(forward_mode: &str) -> String {
    match forward_mode {
        "nat" => gettext("NAT"),
        "route" => gettext("Routed"),
        "none" => gettext("Isolated"),
        "open" => gettext("Open"),
        "bridge" => gettext("Host bridge"),
        "private" | "vepa" | "passthrough" => gettext("Direct"),
        "hostdev" => gettext("Host device pool"),
        other => other.to_owned(),
    }
}

pub fn state(active: bool) -> String {
    if active { gettext("Active") } else { gettext("Inactive") }
}

/// The subnets of a definition, `192.168.122.0/24, fd00::/64`.
pub fn subnets(network: &Network) -> String {
    network.ips.iter().filter_map(IpDef::subnet).map(|s| display(&s)).collect::<Vec<_>>().join(", ")
}

/// A list row's second line: `Active · NAT · 2 guests` (guests only when there are).
pub fn subtitle(summary: &NetworkSummary, guests: usize) -> String {
    let mut parts = vec![state(summary.active), mode(&summary.forward_mode)];
    if summary.active && !summary.degraded.is_empty() {
        parts.push(gettext("DHCP and DNS stopped"));
    }
    if summary.active && !summary.firewall_conflict.is_empty() {
        parts.push(gettext("Blocked by a firewall"));
    }
    if guests > 0 {
        parts.push(gettextrs::ngettext("{n} guest", "{n} guests", guests as u32).replace("{n}", &guests.to_string()));
    }
    parts.join(" · ")
}

/// Names in a sentence: "myvm", "myvm and webvm", "a, b and c", "a, b, c and 4 others".
pub fn names(names: &[String]) -> String {
    const SHOWN: usize = 3;
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() <= SHOWN => gettext("{names} and {last}")
            .replace("{names}", &names[..names.len() - 1].join(", "))
            .replace("{last}", &names[names.len() - 1]),
        _ => {
            let others = names.len() - SHOWN;
            gettextrs::ngettext("{names} and {n} other", "{names} and {n} others", others as u32)
                .replace("{names}", &names[..SHOWN].join(", "))
                .replace("{n}", &others.to_string())
        }
    }
}

pub use crate::model::syntax::shown_text;

/// What a failed call means, for a dialog: a heading naming what was tried, and the
/// helper's own message (with what to do when it is a matter of permission; `remote`:
/// the host, when the call went over ssh, where polkit has no agent to ask).
pub fn failure(action: Action, network: &str, error: &HelperError, remote: Option<&str>) -> (String, String) {
    let heading = match action {
        Action::Start => gettext("Could not start “{name}”"),
        Action::Stop => gettext("Could not stop “{name}”"),
        Action::Restart => gettext("Could not restart “{name}”"),
        Action::Delete => gettext("Could not delete “{name}”"),
        Action::Apply | Action::ApplyLive => gettext("Could not save the changes to “{name}”"),
        Action::Autostart => gettext("Could not change autostart of “{name}”"),
        Action::Reserve => gettext("Could not reserve the address on “{name}”"),
    }
    .replace("{name}", network);
    let body = match (error.kind, remote) {
        (ErrorKind::AccessDenied, Some(host)) => format!(
            "{}\n\n{}",
            error.message,
            gettext(
                "Over ssh no polkit agent can ask for a password. Connect as root (ssh://root@{host}), or allow your user on {host} with a polkit rule (see “Remote hosts” in virtnet's README)."
            )
            .replace("{host}", host)
        ),
        (ErrorKind::AccessDenied, None) => format!(
            "{}\n\n{}",
            error.message,
            gettext(
                "Managing virtual networks needs an administrator's permission (polkit action io.github.virtnet.manage)."
            )
        ),
        _ => error.message.clone(),
    };
    (heading, body)
}

/// The window's actions on a network, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Restart,
    Delete,
    Apply,
    /// Changes the running network takes at once (static hosts, DNS hosts): Updates.
    ApplyLive,
    Autostart,
    /// A lease's address made a static host, live.
    Reserve,
}

/// When a lease ends, from now: `in 58 min`, `in 3 h`, `never`.
pub fn expiry(expiry: u64, now: u64) -> String {
    if expiry == 0 {
        return gettext("never expires");
    }
    let left = expiry.saturating_sub(now);
    if left == 0 {
        gettext("expired")
    } else if left < 60 {
        gettext("expires in less than a minute")
    } else if left < 2 * 3600 {
        gettext("expires in {n} min").replace("{n}", &(left / 60).to_string())
    } else {
        gettext("expires in {n} h").replace("{n}", &(left / 3600).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitles() {
        let summary =
            NetworkSummary { name: "lab".into(), active: true, forward_mode: "nat".into(), ..Default::default() };
        assert_eq!(subtitle(&summary, 0), "Active · NAT");
        assert_eq!(subtitle(&summary, 2), "Active · NAT · 2 guests");
        let degraded = NetworkSummary { degraded: "dnsmasq stopped".into(), ..summary.clone() };
        assert_eq!(subtitle(&degraded, 0), "Active · NAT · DHCP and DNS stopped");
        let blocked = NetworkSummary { firewall_conflict: "table ip filter".into(), ..summary.clone() };
        assert_eq!(subtitle(&blocked, 0), "Active · NAT · Blocked by a firewall");
        let net = Network::from_xml(
            "<network><name>lab</name><ip address='10.0.0.1' prefix='24'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>",
        )
        .unwrap();
        assert_eq!(subnets(&net), "10.0.0.0/24, fd00::/64");
        assert_eq!(mode("none"), "Isolated");
    }

    #[test]
    fn failures_name_the_action_and_keep_the_helpers_message() {
        let error =
            HelperError::new(ErrorKind::SubnetInUse, "subnet 192.168.122.0/24 is already used by network 'default'");
        let (heading, body) = failure(Action::Start, "lab", &error, None);
        assert_eq!(heading, "Could not start “lab”");
        assert_eq!(body, error.message);
        let denied = HelperError::new(ErrorKind::AccessDenied, "not authorized");
        let (_, body) = failure(Action::Delete, "lab", &denied, None);
        assert!(body.starts_with("not authorized\n\n") && body.contains("io.github.virtnet.manage"), "{body}");
        // Over ssh, polkit has nobody to ask: the way out names the host.
        let (_, body) = failure(Action::Delete, "lab", &denied, Some("server.example"));
        assert!(body.starts_with("not authorized\n\nOver ssh no polkit agent can ask for a password."), "{body}");
        assert!(body.contains("ssh://root@server.example"), "{body}");
    }

    #[test]
    fn names_in_a_sentence() {
        let n = |list: &[&str]| names(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(n(&["myvm"]), "myvm");
        assert_eq!(n(&["myvm", "webvm"]), "myvm and webvm");
        assert_eq!(n(&["a", "b", "c"]), "a, b and c");
        assert_eq!(n(&["a", "b", "c", "d", "e"]), "a, b, c and 2 others");
    }

    #[test]
    fn shown_text_defuses_controls() {
        assert_eq!(shown_text("x\u{1b}]0;pwned\u{7}"), "x\u{fffd}]0;pwned\u{fffd}");
        assert_eq!(shown_text("abc\u{202e}def"), "abc\u{fffd}def");
        assert_eq!(shown_text("<b>web</b> & co"), "<b>web</b> & co");
    }

    #[test]
    fn lease_expiry_in_words() {
        assert_eq!(expiry(0, 100), "never expires");
        assert_eq!(expiry(100 + 3500, 100), "expires in 58 min");
        assert_eq!(expiry(100 + 3 * 3600 + 5, 100), "expires in 3 h");
        assert_eq!(expiry(50, 100), "expired");
    }
}
