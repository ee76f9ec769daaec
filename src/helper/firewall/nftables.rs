//! The nftables backend: one `inet` table per network, written as one `nft -f -`
//! transaction, so a network's rules are replaced or removed all at once and never
//! half-exist. nft's own message reaches the caller when it refuses the rules.

use std::fmt::Write as _;

use ipnetwork::IpNetwork;

use super::plan::{ForwardRule, HostAccess, NatRule, Plan, Service};
use super::{run_tool, run_tool_output};
use crate::dbus::HelperError;
use crate::model::values::Family;

/// `virtnet_<bridge>`; characters nft does not allow in a name are written as `_XX`
/// (hex), so different bridges never share a table.
pub fn table_name(bridge: &str) -> String {
    let mut name = String::from("virtnet_");
    for c in bridge.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else {
            let _ = write!(name, "_{:02x}", u32::from(c));
        }
    }
    name
}

fn family_match(subnet: &IpNetwork) -> &'static str {
    match subnet {
        IpNetwork::V4(_) => "ip",
        IpNetwork::V6(_) => "ip6",
    }
}

fn service(direction: &str, bridge: &str, s: &Service) -> String {
    let family = match s.family {
        Some(Family::Ipv4) => "meta nfproto ipv4 ",
        Some(Family::Ipv6) => "meta nfproto ipv6 ",
        None => "",
    };
    format!("{direction} \"{bridge}\" {family}{} dport {} accept", s.proto.as_str(), s.port)
}

fn dev_match(word: &str, dev: &Option<String>) -> String {
    dev.as_ref().map(|d| format!(" {word} \"{d}\"")).unwrap_or_default()
}

/// The table, as `nft -f` reads it.
pub fn render(plan: &Plan) -> String {
    let b = &plan.bridge;
    let mut t = String::new();
    let _ = writeln!(t, "table inet {} {{", table_name(b));

    let _ = writeln!(t, "\tchain input {{\n\t\ttype filter hook input priority filter; policy accept;");
    for s in &plan.input {
        let _ = writeln!(t, "\t\t{}", service("iifname", b, s));
    }
    if plan.host_access == HostAccess::Services {
        let _ = writeln!(t, "\t\tiifname \"{b}\" meta l4proto {{ icmp, ipv6-icmp }} accept");
        let _ = writeln!(t, "\t\tiifname \"{b}\" ct state established,related accept");
        let _ = writeln!(t, "\t\tiifname \"{b}\" reject");
    }
    let _ = writeln!(t, "\t}}\n\tchain output {{\n\t\ttype filter hook output priority filter; policy accept;");
    for s in &plan.output {
        let _ = writeln!(t, "\t\t{}", service("oifname", b, s));
    }
    let _ = writeln!(t, "\t}}\n\tchain forward {{\n\t\ttype filter hook forward priority filter; policy accept;");
    for rule in &plan.forward {
        let line = match rule {
            ForwardRule::Cross => format!("iifname \"{b}\" oifname \"{b}\" accept"),
            ForwardRule::Out { subnet, dev } => {
                format!("iifname \"{b}\" {} saddr {subnet}{} accept", family_match(subnet), dev_match("oifname", dev))
            }
            ForwardRule::In { subnet, dev, replies_only } => format!(
                "oifname \"{b}\" {} daddr {subnet}{}{} accept",
                family_match(subnet),
                dev_match("iifname", dev),
                if *replies_only { " ct state related,established" } else { "" }
            ),
            ForwardRule::RejectIn => format!("oifname \"{b}\" reject"),
            ForwardRule::RejectOut => format!("iifname \"{b}\" reject"),
        };
        let _ = writeln!(t, "\t\t{line}");
    }
    let _ = writeln!(t, "\t}}");
    if !plan.nat.is_empty() {
        let _ = writeln!(t, "\tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;");
        for rule in &plan.nat {
            let line = match rule {
                NatRule::Keep { subnet, destination, dev } => format!(
                    "{f} saddr {subnet} {f} daddr {destination}{} return",
                    dev_match("oifname", dev),
                    f = family_match(subnet)
                ),
                NatRule::Translate { subnet, dev, to, ports } => {
                    let proto = ports.map(|(p, _, _)| format!("meta l4proto {} ", p.as_str())).unwrap_or_default();
                    let port_range = ports.map(|(_, lo, hi)| format!(":{lo}-{hi}")).unwrap_or_default();
                    let action = match to {
                        Some((first, last)) if first == last => format!("snat to {first}{port_range}"),
                        Some((first, last)) => format!("snat to {first}-{last}{port_range}"),
                        None if port_range.is_empty() => "masquerade".to_owned(),
                        None => format!("masquerade to {port_range}"),
                    };
                    format!(
                        "{proto}{f} saddr {subnet} {f} daddr != {subnet}{} {action}",
                        dev_match("oifname", dev),
                        f = family_match(subnet)
                    )
                }
            };
            let _ = writeln!(t, "\t\t{line}");
        }
        let _ = writeln!(t, "\t}}");
    }
    t.push_str("}\n");
    t
}

/// A script that creates the table if missing, deletes it and adds it anew: one
/// transaction that replaces whatever rules the network had.
fn replace_script(plan: &Plan) -> String {
    let table = table_name(&plan.bridge);
    format!("table inet {table}\ndelete table inet {table}\n{}", render(plan))
}

fn remove_script(bridge: &str) -> String {
    let table = table_name(bridge);
    format!("table inet {table}\ndelete table inet {table}\n")
}

pub async fn apply(plan: &Plan) -> Result<(), HelperError> {
    run_tool("nft", &["-f", "-"], &replace_script(plan)).await
}

/// The bridges among `bridges` that have no table (a `flush ruleset` removes them all).
pub async fn missing(bridges: &[String]) -> Result<Vec<String>, HelperError> {
    let listing = run_tool_output("nft", &["list", "tables", "inet"]).await?;
    let tables: Vec<&str> = listing.lines().filter_map(|l| l.trim().strip_prefix("table inet ")).collect();
    Ok(bridges.iter().filter(|b| !tables.contains(&table_name(b).as_str())).cloned().collect())
}

pub async fn remove(bridge: &str) -> Result<(), HelperError> {
    run_tool("nft", &["-f", "-"], &remove_script(bridge)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_keep_bridges_apart() {
        assert_eq!(table_name("virbr0"), "virtnet_virbr0");
        assert_eq!(table_name("br-lab.10"), "virtnet_br_2dlab_2e10");
        assert_ne!(table_name("br-x"), table_name("br_x"));
    }
}
