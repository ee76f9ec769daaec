//! The nftables backend: one `inet` table per network, written as one `nft -f -`
//! transaction, so a network's rules are replaced or removed all at once and never
//! half-exist. nft's own message reaches the caller when it refuses the rules.

use std::fmt::Write as _;

use ipnetwork::IpNetwork;

use super::plan::{Dnat, ForwardRule, HostAccess, NatRule, Plan, Service};
use super::{run_tool, run_tool_output};
use crate::dbus::HelperError;
use crate::model::values::Family;
use std::net::IpAddr;

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
            ForwardRule::RejectIn => {
                // Connections to port forwards, before the reject (another network's
                // table still refuses them where its own rules say so).
                for d in &plan.dnat {
                    let _ = writeln!(t, "\t\t{}", forwarded(plan, d));
                }
                format!("oifname \"{b}\" reject")
            }
            ForwardRule::RejectOut => format!("iifname \"{b}\" reject"),
        };
        let _ = writeln!(t, "\t\t{line}");
    }
    let _ = writeln!(t, "\t}}");
    if !plan.dnat.is_empty() {
        render_dnat(&mut t, plan);
    }
    if !plan.nat.is_empty() || !plan.dnat.is_empty() {
        let _ = writeln!(t, "\tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;");
        for d in &plan.dnat {
            let _ = writeln!(t, "\t\t{}", hairpin(d));
        }
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

fn ip_word(address: &IpAddr) -> &'static str {
    match address {
        IpAddr::V4(_) => "ip",
        IpAddr::V6(_) => "ip6",
    }
}

fn ports(proto: &str, (first, last): (u16, u16)) -> String {
    if first == last { format!("{proto} dport {first}") } else { format!("{proto} dport {first}-{last}") }
}

/// `dnat ip to G:22`; for a range, the same ports (`dnat ip to G`) or a map from each
/// host port to its guest port.
fn dnat_action(d: &Dnat) -> String {
    let f = ip_word(&d.guest);
    let guest = match d.guest {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let (first, last) = d.ports;
    if first == last {
        format!("dnat {f} to {guest}:{}", d.to)
    } else if d.to == first {
        format!("dnat {f} to {guest}")
    } else {
        let map: Vec<String> = (first..=last).zip(d.to..).map(|(host, to)| format!("{host} : {to}")).collect();
        format!("dnat {f} to {guest} : {} dport map {{ {} }}", d.proto.as_str(), map.join(", "))
    }
}

/// The destination match of a forward: its address, or every local address but the
/// network's own (and, for the host's own connections, but loopback).
fn destination(plan: &Plan, d: &Dnat, output: bool) -> String {
    let f = ip_word(&d.guest);
    if let Some(address) = d.address {
        return format!("fib daddr type local {f} daddr {address}");
    }
    let mut except: Vec<String> =
        plan.own_addresses.iter().filter(|a| ip_word(a) == f).map(IpAddr::to_string).collect();
    if output {
        except.push(if d.guest.is_ipv4() { "127.0.0.0/8".to_owned() } else { "::1".to_owned() });
    }
    if except.is_empty() {
        format!("fib daddr type local meta nfproto {}", if d.guest.is_ipv4() { "ipv4" } else { "ipv6" })
    } else {
        format!("fib daddr type local {f} daddr != {{ {} }}", except.join(", "))
    }
}

/// The prerouting (outside and guests) and output (the host's own connections) chains
/// of the port forwards.
fn render_dnat(t: &mut String, plan: &Plan) {
    let _ = writeln!(t, "\tchain prerouting {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;");
    for d in &plan.dnat {
        let _ =
            writeln!(t, "\t\t{} {} {}", destination(plan, d, false), ports(d.proto.as_str(), d.ports), dnat_action(d));
    }
    let _ = writeln!(t, "\t}}\n\tchain output_nat {{\n\t\ttype nat hook output priority -100; policy accept;");
    for d in &plan.dnat {
        let _ =
            writeln!(t, "\t\t{} {} {}", destination(plan, d, true), ports(d.proto.as_str(), d.ports), dnat_action(d));
        if d.localhost {
            let _ = writeln!(t, "\t\tip daddr 127.0.0.1 {} {}", ports(d.proto.as_str(), d.ports), dnat_action(d));
        }
    }
    let _ = writeln!(t, "\t}}");
}

/// Forwarded connections to the guest pass the forward hook.
fn forwarded(plan: &Plan, d: &Dnat) -> String {
    format!(
        "oifname \"{}\"{} {} daddr {} {} ct status dnat accept",
        plan.bridge,
        dev_match("iifname", &plan.dev),
        ip_word(&d.guest),
        d.guest,
        ports(d.proto.as_str(), d.guest_ports())
    )
}

/// Guests (and, with `localhost`, the host's loopback) reaching the forward get the
/// host's address as source, so the guest's replies come back through the host.
fn hairpin(d: &Dnat) -> String {
    let f = ip_word(&d.guest);
    let sources = if d.localhost { format!("{{ {}, 127.0.0.0/8 }}", d.subnet) } else { d.subnet.to_string() };
    format!(
        "{f} saddr {sources} {f} daddr {} {} ct status dnat masquerade",
        d.guest,
        ports(d.proto.as_str(), d.guest_ports())
    )
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
