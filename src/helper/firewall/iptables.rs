//! The iptables backend, for hosts whose other software uses iptables (Docker sets the
//! FORWARD policy to DROP, which no nftables table of ours can override), written with
//! one `iptables-restore --noflush` per address family.
//!
//! FORWARD uses libvirt's layout, so that isolation never depends on which network
//! started last: three shared chains jumped from the top of FORWARD in the order
//! `VN-FWX` (guests to guests of the same bridge), `VN-FWI` (into a bridge: replies, a
//! routed subnet, else reject) and `VN-FWO` (out of a bridge: its subnet, else reject),
//! each jumping to the network's own `VN-BRIDGE-FWX/FWI/FWO`. Every network's incoming
//! accepts and rejects are therefore evaluated before any network's outgoing accepts: a
//! NAT guest's packet to an isolated bridge meets the isolated network's reject first.
//! Each network's INPUT, OUTPUT and POSTROUTING rules have their own chain, jumped to
//! from the top of the built-in chain (each matches only its bridge or subnet, so their
//! order does not matter).

use std::fmt::Write as _;

use ipnetwork::IpNetwork;

use super::plan::{Dnat, ForwardRule, HostAccess, NatRule, Plan, Service};
use super::{run_tool, run_tool_output};
use crate::dbus::HelperError;
use crate::model::values::Family;
use std::net::IpAddr;

/// Per-network chains jumped to from a built-in chain (`PRE` and `LOC` hold the port
/// forwards: connections arriving, and the host's own).
const HOOKS: [(&str, &str, &str); 5] = [
    ("filter", "INPUT", "INP"),
    ("filter", "OUTPUT", "OUT"),
    ("nat", "POSTROUTING", "NAT"),
    ("nat", "PREROUTING", "PRE"),
    ("nat", "OUTPUT", "LOC"),
];

/// The shared FORWARD chains, in the order FORWARD jumps to them, with the suffix of the
/// per-network chain each jumps to.
const SHARED_FORWARD: [(&str, &str); 3] = [("VN-FWX", "FWX"), ("VN-FWI", "FWI"), ("VN-FWO", "FWO")];

/// A chain layout of earlier versions (one FORWARD chain per network, at the top of
/// FORWARD), removed wherever it is found.
const LEGACY_FORWARD: &str = "FWD";

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

/// What already exists, read from `iptables-save`: chains and jumps (in file order, so
/// the order of a built-in chain's jumps is known).
#[derive(Default)]
struct Existing {
    chains: Vec<String>,
    jumps: Vec<(String, String)>,
    /// The chain of every rule (`-A CHAIN ...`), jumps or not.
    rules: Vec<String>,
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
                if let Some(chain) = words.first() {
                    existing.rules.push((*chain).to_owned());
                }
                if let [hook, "-j", target] = words.as_slice() {
                    existing.jumps.push(((*hook).to_owned(), (*target).to_owned()));
                }
            }
        }
        existing
    }

    fn has_chain(&self, name: &str) -> bool {
        self.chains.iter().any(|c| c == name)
    }

    fn count_jumps(&self, hook: &str, target: &str) -> usize {
        self.jumps.iter().filter(|(h, t)| h == hook && t == target).count()
    }

    fn has_jump(&self, hook: &str, target: &str) -> bool {
        self.count_jumps(hook, target) > 0
    }

    /// Whether FORWARD jumps to each shared chain exactly once, in the order
    /// cross, in, out (other software's rules may sit before or between them).
    fn shared_forward_in_order(&self) -> bool {
        let order: Vec<&str> = self
            .jumps
            .iter()
            .filter(|(hook, target)| hook == "FORWARD" && SHARED_FORWARD.iter().any(|(c, _)| c == target))
            .map(|(_, target)| target.as_str())
            .collect();
        order == SHARED_FORWARD.map(|(c, _)| c)
    }

    /// Whether the network's rules are all there: what a flush or another tool's
    /// `iptables-restore` would have removed.
    fn has_network(&self, bridge: &str) -> bool {
        self.shared_forward_in_order()
            && SHARED_FORWARD.iter().all(|(shared, suffix)| self.has_jump(shared, &chain(bridge, suffix)))
            && HOOKS.iter().all(|(_, hook, suffix)| self.has_jump(hook, &chain(bridge, suffix)))
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

/// Creates the shared FORWARD chains that are missing and puts FORWARD's jumps to them
/// in order at its top, unless they already are in order (declaring an existing chain
/// would empty it, and with it every other network's jumps).
fn render_shared_forward(out: &mut String, existing: &Existing) {
    for (shared, _) in SHARED_FORWARD {
        if !existing.has_chain(shared) {
            let _ = writeln!(out, ":{shared} - [0:0]");
        }
    }
    if existing.shared_forward_in_order() {
        return;
    }
    for (shared, _) in SHARED_FORWARD {
        for _ in 0..existing.count_jumps("FORWARD", shared) {
            let _ = writeln!(out, "-D FORWARD -j {shared}");
        }
    }
    for (shared, _) in SHARED_FORWARD.iter().rev() {
        let _ = writeln!(out, "-I FORWARD 1 -j {shared}");
    }
}

/// Removes the network's chain of the earlier one-chain FORWARD layout, if any.
fn render_legacy_removal(out: &mut String, bridge: &str, existing: &Existing) {
    render_own_removal(out, existing, "FORWARD", &chain(bridge, LEGACY_FORWARD));
}

/// Declares the network's own chain (creating it, or emptying it if it exists) and the
/// jump to it from `from` if that is missing.
fn render_own_chain(out: &mut String, existing: &Existing, from: &str, own: &str, first: bool) {
    let _ = writeln!(out, ":{own} - [0:0]");
    if !existing.has_jump(from, own) {
        let position = if first { " 1" } else { "" };
        let verb = if first { "-I" } else { "-A" };
        let _ = writeln!(out, "{verb} {from}{position} -j {own}");
    }
}

/// The forward rule's line and the suffix of the chain it goes in.
fn forward_line(plan: &Plan, rule: &ForwardRule, family: Family) -> Option<(&'static str, String)> {
    let b = &plan.bridge;
    Some(match rule {
        ForwardRule::Cross => ("FWX", format!("-i {b} -o {b} -j ACCEPT")),
        ForwardRule::Out { subnet, dev: d } if of_family(subnet, family) => {
            ("FWO", format!("-i {b} -s {subnet}{} -j ACCEPT", dev("-o", d)))
        }
        ForwardRule::In { subnet, dev: d, replies_only } if of_family(subnet, family) => (
            "FWI",
            format!(
                "-o {b} -d {subnet}{}{} -j ACCEPT",
                dev("-i", d),
                if *replies_only { " -m conntrack --ctstate RELATED,ESTABLISHED" } else { "" }
            ),
        ),
        ForwardRule::RejectIn => ("FWI", format!("-o {b} {}", reject(family))),
        ForwardRule::RejectOut => ("FWO", format!("-i {b} {}", reject(family))),
        ForwardRule::Out { .. } | ForwardRule::In { .. } => return None,
    })
}

/// ` -p tcp --dport 2222` or ` -p tcp --dport 8000:8010`.
fn port_match(d: &Dnat, (first, last): (u16, u16)) -> String {
    let proto = d.proto.as_str();
    if first == last { format!(" -p {proto} --dport {first}") } else { format!(" -p {proto} --dport {first}:{last}") }
}

/// `--to-destination` of a forward: `G:22`, `G` (a range to the same ports), or
/// `G:9000-9010/8000` (a range shifted: host port 8000 reaches 9000, and so on).
fn dnat_target(d: &Dnat) -> String {
    let guest = match d.guest {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let (first, last) = d.ports;
    let (to, to_last) = d.guest_ports();
    let target = if first == last {
        format!("{guest}:{to}")
    } else if to == first {
        guest
    } else {
        format!("{guest}:{to}-{to_last}/{first}")
    };
    format!("-j DNAT --to-destination {target}")
}

/// The port forwards of one family: in `PRE` (connections arriving from outside and
/// from guests) and `LOC` (the host's own). Forwards on one address come first; then
/// the network's own addresses (and, for the host, loopback) return, and forwards on
/// every local address follow.
fn render_dnat(out: &mut String, plan: &Plan, family: Family) {
    let forwards: Vec<&Dnat> = plan.dnat.iter().filter(|d| d.family() == family).collect();
    if forwards.is_empty() {
        return;
    }
    for (suffix, host) in [("PRE", false), ("LOC", true)] {
        let own = chain(&plan.bridge, suffix);
        for d in forwards.iter().filter(|d| d.address.is_some()) {
            let address = d.address.map(|a| a.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "-A {own} -d {address} -m addrtype --dst-type LOCAL{} {}",
                port_match(d, d.ports),
                dnat_target(d)
            );
        }
        if host {
            for d in forwards.iter().filter(|d| d.localhost) {
                let _ = writeln!(out, "-A {own} -d 127.0.0.1/32{} {}", port_match(d, d.ports), dnat_target(d));
            }
        }
        if forwards.iter().all(|d| d.address.is_some()) {
            continue;
        }
        for address in plan.own_addresses.iter().filter(|a| Family::of(a) == family) {
            let _ = writeln!(out, "-A {own} -d {address} -j RETURN");
        }
        if host {
            let loopback = if family == Family::Ipv4 { "127.0.0.0/8" } else { "::1/128" };
            let _ = writeln!(out, "-A {own} -d {loopback} -j RETURN");
        }
        for d in forwards.iter().filter(|d| d.address.is_none()) {
            let _ = writeln!(out, "-A {own} -m addrtype --dst-type LOCAL{} {}", port_match(d, d.ports), dnat_target(d));
        }
    }
}

/// Forwarded connections to a guest, in the network's `FWI` before its reject. They
/// first pass every network's `FWO` (shared chain), so a guest of an isolated network
/// is refused by its own network's reject there, as with nftables, where each
/// network's table must accept the packet.
fn render_forwarded(out: &mut String, plan: &Plan, family: Family) {
    let fwi = chain(&plan.bridge, "FWI");
    for d in plan.dnat.iter().filter(|d| d.family() == family) {
        let matched = format!(
            "-o {}{} -d {}{} -m conntrack --ctstate DNAT",
            plan.bridge,
            dev("-i", &plan.dev),
            d.guest,
            port_match(d, d.guest_ports())
        );
        let _ = writeln!(out, "-A {fwi} {matched} -j VN-FWO");
        let _ = writeln!(out, "-A {fwi} {matched} -j ACCEPT");
    }
}

/// The `iptables-restore --noflush` input that (re)creates the network's chains for
/// one family; shared chains and jumps are added only where `existing` lacks them.
fn render_apply(plan: &Plan, family: Family, existing: &Existing) -> String {
    let b = &plan.bridge;
    let mut out = String::from("*filter\n");
    render_shared_forward(&mut out, existing);
    render_legacy_removal(&mut out, b, existing);
    for (table, hook, suffix) in HOOKS {
        if table == "filter" {
            render_own_chain(&mut out, existing, hook, &chain(b, suffix), true);
        }
    }
    for (shared, suffix) in SHARED_FORWARD {
        render_own_chain(&mut out, existing, shared, &chain(b, suffix), false);
    }
    services(&mut out, plan, family, &plan.input, "INP", "-i");
    if plan.host_access == HostAccess::Services {
        let inp = chain(b, "INP");
        let icmp = match family {
            Family::Ipv4 => "icmp",
            Family::Ipv6 => "ipv6-icmp",
        };
        let _ = writeln!(out, "-A {inp} -i {b} -p {icmp} -j ACCEPT");
        let _ = writeln!(out, "-A {inp} -i {b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        let _ = writeln!(out, "-A {inp} -i {b} {}", reject(family));
    }
    services(&mut out, plan, family, &plan.output, "OUT", "-o");
    for rule in &plan.forward {
        if *rule == ForwardRule::RejectIn {
            render_forwarded(&mut out, plan, family);
        }
        if let Some((suffix, line)) = forward_line(plan, rule, family) {
            let _ = writeln!(out, "-A {} {line}", chain(b, suffix));
        }
    }
    out.push_str("COMMIT\n*nat\n");
    let nat = chain(b, "NAT");
    render_own_chain(&mut out, existing, "POSTROUTING", &nat, true);
    render_own_chain(&mut out, existing, "PREROUTING", &chain(b, "PRE"), true);
    render_own_chain(&mut out, existing, "OUTPUT", &chain(b, "LOC"), true);
    render_dnat(&mut out, plan, family);
    for d in plan.dnat.iter().filter(|d| d.family() == family) {
        let guest_ports = port_match(d, d.guest_ports());
        let _ = writeln!(
            out,
            "-A {nat} -s {} -d {}{guest_ports} -m conntrack --ctstate DNAT -j MASQUERADE",
            d.subnet, d.guest
        );
        if d.localhost {
            let _ = writeln!(
                out,
                "-A {nat} -s 127.0.0.0/8 -d {}{guest_ports} -m conntrack --ctstate DNAT -j MASQUERADE",
                d.guest
            );
        }
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

/// Removes the jump from `from` to `own` (every copy) and the chain itself.
fn render_own_removal(out: &mut String, existing: &Existing, from: &str, own: &str) {
    for _ in 0..existing.count_jumps(from, own) {
        let _ = writeln!(out, "-D {from} -j {own}");
    }
    if existing.has_chain(own) {
        let _ = writeln!(out, "-F {own}\n-X {own}");
    }
}

/// The input that removes whatever of the network's chains and jumps exists, and the
/// shared FORWARD chains once no network uses them, so that a host whose last network
/// stopped has no chain of ours left.
fn render_remove(bridge: &str, existing: &Existing) -> String {
    let mut out = String::from("*filter\n");
    for (_, hook, suffix) in HOOKS.iter().filter(|(table, _, _)| *table == "filter") {
        render_own_removal(&mut out, existing, hook, &chain(bridge, suffix));
    }
    for (shared, suffix) in SHARED_FORWARD {
        render_own_removal(&mut out, existing, shared, &chain(bridge, suffix));
    }
    render_legacy_removal(&mut out, bridge, existing);
    // The shared chains go once they hold nothing but this network's jumps. They are
    // deleted without a flush: iptables-nft's flush of a chain whose rule was deleted
    // earlier in the same transaction deletes it again and fails the whole input.
    let rules_in_shared = existing.rules.iter().filter(|c| SHARED_FORWARD.iter().any(|(s, _)| s == *c)).count();
    let own_jumps: usize =
        SHARED_FORWARD.iter().map(|(s, suffix)| existing.count_jumps(s, &chain(bridge, suffix))).sum();
    if rules_in_shared == own_jumps {
        for (shared, _) in SHARED_FORWARD.iter().filter(|(shared, _)| existing.has_chain(shared)) {
            for _ in 0..existing.count_jumps("FORWARD", shared) {
                let _ = writeln!(out, "-D FORWARD -j {shared}");
            }
            let _ = writeln!(out, "-X {shared}");
        }
    }
    out.push_str("COMMIT\n*nat\n");
    for (_, hook, suffix) in HOOKS.iter().filter(|(table, _, _)| *table == "nat") {
        render_own_removal(&mut out, existing, hook, &chain(bridge, suffix));
    }
    out.push_str("COMMIT\n");
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

/// The bridges among `bridges` whose chains or jumps are not all in place in both
/// families (cheap: one `iptables-save` per family for all of them).
pub async fn missing(bridges: &[String]) -> Result<Vec<String>, HelperError> {
    let v4 = existing(Family::Ipv4).await?;
    let v6 = existing(Family::Ipv6).await?;
    Ok(bridges.iter().filter(|b| !v4.has_network(b) || !v6.has_network(b)).cloned().collect())
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
