//! The iptables backend, for hosts whose other software uses iptables (Docker sets the
//! FORWARD policy to DROP, which no nftables table of ours can override). Each network
//! gets its own chains, jumped to from the top of INPUT, OUTPUT, FORWARD and
//! POSTROUTING, written with one `iptables-restore --noflush` per address family.

use std::fmt::Write as _;

use ipnetwork::IpNetwork;

use super::plan::{ForwardRule, NatRule, Plan, Service};
use super::{run_tool, run_tool_output};
use crate::dbus::HelperError;
use crate::model::values::Family;

/// Where a network's chains hook in.
const HOOKS: [(&str, &str, &str); 4] = [
    ("filter", "INPUT", "INP"),
    ("filter", "OUTPUT", "OUT"),
    ("filter", "FORWARD", "FWD"),
    ("nat", "POSTROUTING", "NAT"),
];

pub fn chain(bridge: &str, suffix: &str) -> String {
    format!("VN-{bridge}-{suffix}")
}

fn tools(family: Family) -> (&'static str, &'static str) {
    match family {
        Family::Ipv4 => ("iptables-save", "iptables-restore"),
        Family::Ipv6 => ("ip6tables-save", "ip6tables-restore"),
    }
}

fn of_family(subnet: &IpNetwork, family: Family) -> bool {
    matches!((subnet, family), (IpNetwork::V4(_), Family::Ipv4) | (IpNetwork::V6(_), Family::Ipv6))
}

fn reject(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "-j REJECT --reject-with icmp-port-unreachable",
        Family::Ipv6 => "-j REJECT --reject-with icmp6-port-unreachable",
    }
}

fn dev(flag: &str, dev: &Option<String>) -> String {
    dev.as_ref().map(|d| format!(" {flag} {d}")).unwrap_or_default()
}

/// What already exists, read from `iptables-save`: chains and jumps.
#[derive(Default)]
struct Existing {
    chains: Vec<String>,
    jumps: Vec<(String, String)>,
}

impl Existing {
    fn parse(save: &str) -> Existing {
        let mut existing = Existing::default();
        for line in save.lines() {
            if let Some(rest) = line.strip_prefix(':') {
                if let Some(name) = rest.split_whitespace().next() {
                    existing.chains.push(name.to_owned());
                }
            } else if let Some(rest) = line.strip_prefix("-A ") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                if let [hook, "-j", target] = words.as_slice() {
                    existing.jumps.push(((*hook).to_owned(), (*target).to_owned()));
                }
            }
        }
        existing
    }

    fn has_jump(&self, hook: &str, target: &str) -> bool {
        self.jumps.iter().any(|(h, t)| h == hook && t == target)
    }
}

fn services(out: &mut String, plan: &Plan, family: Family, list: &[Service], suffix: &str, flag: &str) {
    for s in list.iter().filter(|s| s.family.is_none_or(|f| f == family)) {
        let _ = writeln!(
            out,
            "-A {} {flag} {} -p {} --dport {} -j ACCEPT",
            chain(&plan.bridge, suffix),
            plan.bridge,
            s.proto.as_str(),
            s.port
        );
    }
}

/// The `iptables-restore --noflush` input that (re)creates the network's chains for
/// one family; jumps are added only where `existing` lacks them.
fn render_apply(plan: &Plan, family: Family, existing: &Existing) -> String {
    let b = &plan.bridge;
    let mut out = String::from("*filter\n");
    for (table, hook, suffix) in HOOKS {
        if table == "filter" {
            // Declaring a chain creates it, or empties it if it exists.
            let _ = writeln!(out, ":{} - [0:0]", chain(b, suffix));
            if !existing.has_jump(hook, &chain(b, suffix)) {
                let _ = writeln!(out, "-I {hook} 1 -j {}", chain(b, suffix));
            }
        }
    }
    services(&mut out, plan, family, &plan.input, "INP", "-i");
    services(&mut out, plan, family, &plan.output, "OUT", "-o");
    let fwd = chain(b, "FWD");
    for rule in &plan.forward {
        let line = match rule {
            ForwardRule::Cross => format!("-A {fwd} -i {b} -o {b} -j ACCEPT"),
            ForwardRule::Out { subnet, dev: d } if of_family(subnet, family) => {
                format!("-A {fwd} -i {b} -s {subnet}{} -j ACCEPT", dev("-o", d))
            }
            ForwardRule::In { subnet, dev: d, replies_only } if of_family(subnet, family) => format!(
                "-A {fwd} -o {b} -d {subnet}{}{} -j ACCEPT",
                dev("-i", d),
                if *replies_only { " -m conntrack --ctstate RELATED,ESTABLISHED" } else { "" }
            ),
            ForwardRule::RejectIn => format!("-A {fwd} -o {b} {}", reject(family)),
            ForwardRule::RejectOut => format!("-A {fwd} -i {b} {}", reject(family)),
            ForwardRule::Out { .. } | ForwardRule::In { .. } => continue,
        };
        let _ = writeln!(out, "{line}");
    }
    out.push_str("COMMIT\n*nat\n");
    let nat = chain(b, "NAT");
    let _ = writeln!(out, ":{nat} - [0:0]");
    if !existing.has_jump("POSTROUTING", &nat) {
        let _ = writeln!(out, "-I POSTROUTING 1 -j {nat}");
    }
    for rule in &plan.nat {
        let line = match rule {
            NatRule::Keep { subnet, destination, dev: d } if of_family(subnet, family) => {
                format!("-A {nat} -s {subnet} -d {destination}{} -j RETURN", dev("-o", d))
            }
            NatRule::Translate { subnet, dev: d, to, ports } if of_family(subnet, family) => {
                let proto = ports.map(|(p, _, _)| format!(" -p {}", p.as_str())).unwrap_or_default();
                let target = match (to, ports) {
                    (Some((first, last)), Some((_, lo, hi))) => format!("-j SNAT --to-source {first}-{last}:{lo}-{hi}"),
                    (Some((first, last)), None) => format!("-j SNAT --to-source {first}-{last}"),
                    (None, Some((_, lo, hi))) => format!("-j MASQUERADE --to-ports {lo}-{hi}"),
                    (None, None) => "-j MASQUERADE".to_owned(),
                };
                format!("-A {nat} -s {subnet} ! -d {subnet}{}{proto} {target}", dev("-o", d))
            }
            _ => continue,
        };
        let _ = writeln!(out, "{line}");
    }
    out.push_str("COMMIT\n");
    out
}

/// The input that removes whatever of the network's chains and jumps exists.
fn render_remove(bridge: &str, existing: &Existing) -> String {
    let mut out = String::new();
    for table in ["filter", "nat"] {
        let _ = writeln!(out, "*{table}");
        for (t, hook, suffix) in HOOKS.iter().filter(|(t, _, _)| *t == table) {
            let name = chain(bridge, suffix);
            let _ = t;
            if existing.has_jump(hook, &name) {
                let _ = writeln!(out, "-D {hook} -j {name}");
            }
            if existing.chains.contains(&name) {
                let _ = writeln!(out, "-F {name}\n-X {name}");
            }
        }
        out.push_str("COMMIT\n");
    }
    out
}

async fn existing(family: Family) -> Result<Existing, HelperError> {
    let (save, _) = tools(family);
    Ok(Existing::parse(&run_tool_output(save, &[]).await?))
}

pub async fn apply(plan: &Plan) -> Result<(), HelperError> {
    for family in [Family::Ipv4, Family::Ipv6] {
        let existing = existing(family).await?;
        let (_, restore) = tools(family);
        run_tool(restore, &["-w", "--noflush"], &render_apply(plan, family, &existing)).await?;
    }
    Ok(())
}

pub async fn remove(bridge: &str) -> Result<(), HelperError> {
    for family in [Family::Ipv4, Family::Ipv6] {
        let existing = existing(family).await?;
        let (_, restore) = tools(family);
        run_tool(restore, &["-w", "--noflush"], &render_remove(bridge, &existing)).await?;
    }
    Ok(())
}

/// Both families' `iptables-restore` input for a fresh host, for golden files.
pub fn render(plan: &Plan) -> String {
    let none = Existing::default();
    format!(
        "# iptables-restore --noflush\n{}# ip6tables-restore --noflush\n{}",
        render_apply(plan, Family::Ipv4, &none),
        render_apply(plan, Family::Ipv6, &none)
    )
}
