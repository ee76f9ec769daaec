//! Other software's firewall that drops what a network's rules accept. nftables
//! evaluates every table: a base chain with policy drop on the input or forward hook in
//! another table (Docker's and ufw's `ip filter FORWARD`, a distribution's default
//! `inet filter`) drops a packet that our table accepted, so a network starts and
//! silently carries nothing. The helper reads the base chains (`nft -j list chains`,
//! which also shows iptables-nft's) and names the ones in the way, with what to do.

use serde_json::Value;

use super::{Backend, run_tool_output};
use crate::dbus::HelperError;
use crate::helper::dnsmasq::config as dnsmasq_config;
use crate::model::forward::ForwardMode;
use crate::model::values::Family;
use crate::model::{Network, NetworkMode};

/// A base chain of another table whose policy is drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignDrop {
    /// `ip`, `ip6` or `inet` (others never see a network's IP traffic).
    pub family: String,
    pub table: String,
    pub chain: String,
    /// `input` or `forward`.
    pub hook: String,
}

/// The input and forward base chains with policy drop, from `nft -j list chains`.
pub fn parse(listing: &str) -> Vec<ForeignDrop> {
    let Ok(json) = serde_json::from_str::<Value>(listing) else { return Vec::new() };
    let entries = json.get("nftables").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| entry.get("chain"))
        .filter_map(|chain| {
            let field = |key: &str| chain.get(key).and_then(Value::as_str).map(str::to_owned);
            let drop = field("policy").as_deref() == Some("drop");
            let hook = field("hook").filter(|h| h == "input" || h == "forward")?;
            let family = field("family").filter(|f| ["ip", "ip6", "inet"].contains(&f.as_str()))?;
            let table = field("table")?;
            (drop && !table.starts_with("virtnet_")).then_some(ForeignDrop {
                family,
                table,
                chain: field("name")?,
                hook,
            })
        })
        .collect()
}

/// Reads the host's base chains; an nft that cannot list them reports nothing.
pub async fn drops() -> Result<Vec<ForeignDrop>, HelperError> {
    Ok(parse(&run_tool_output("nft", &["-j", "list", "chains"]).await?))
}

/// What `drop` keeps from the network on `bridge`, and what to do about it; `None` when
/// it does not concern the network.
fn describe(drop: &ForeignDrop, network: &Network, bridge: &str, backend: Backend) -> Option<String> {
    let forwards =
        matches!(network.mode(), NetworkMode::Forward(ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open));
    let what = match drop.hook.as_str() {
        "forward" if forwards => "the network's traffic to and from outside",
        "input" if dnsmasq_config::needed(network) => "guests' DHCP and DNS requests to this host",
        _ => return None,
    };
    let families: Vec<Family> =
        [Family::Ipv4, Family::Ipv6].into_iter().filter(|f| network.ips_of(*f).next().is_some()).collect();
    let concerns = match drop.family.as_str() {
        "ip" => families.contains(&Family::Ipv4),
        "ip6" => families.contains(&Family::Ipv6),
        _ => !families.is_empty(),
    };
    // The iptables backend's jumps sit at the top of iptables' own INPUT and FORWARD:
    // their policy applies only after our rules.
    let ours_first = backend == Backend::Iptables
        && drop.table == "filter"
        && (drop.family == "ip" || drop.family == "ip6")
        && (drop.chain == "INPUT" || drop.chain == "FORWARD");
    if !concerns || ours_first {
        return None;
    }
    let advice = if drop.table == "filter" && drop.family != "inet" {
        "if it is iptables' (Docker, ufw), start virtnetd with --firewall iptables; otherwise"
    } else {
        "to let it through,"
    };
    let (family, table, chain) = (&drop.family, &drop.table, &drop.chain);
    Some(format!(
        "Table {family} {table}, chain {chain} (policy drop) drops {what} after virtnet's rules accept it: {advice} add accept rules for {bridge} there, such as `nft insert rule {family} {table} {chain} iifname \"{bridge}\" accept` and the same with oifname"
    ))
}

/// The sentence for a network's page and net-info: every foreign chain in its way.
pub fn conflict(drops: &[ForeignDrop], network: &Network, backend: Backend) -> Option<String> {
    let bridge = network.bridge.name.as_deref()?;
    if backend == Backend::None {
        return None;
    }
    let sentences: Vec<String> = drops.iter().filter_map(|d| describe(d, network, bridge, backend)).collect();
    (!sentences.is_empty()).then(|| sentences.join(". "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
      {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
      {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}},
      {"chain": {"family": "inet", "table": "virtnet_virbr0", "name": "forward", "handle": 3, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
      {"chain": {"family": "inet", "table": "other", "name": "output", "handle": 1, "type": "filter", "hook": "output", "prio": 0, "policy": "drop"}},
      {"chain": {"family": "ip", "table": "nat", "name": "DOCKER", "handle": 2}},
      {"chain": {"family": "bridge", "table": "b", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}]}"#;

    fn network(xml: &str) -> Network {
        Network::from_xml(xml).unwrap()
    }

    #[test]
    fn only_input_and_forward_drops_of_other_tables_count() {
        let drops = parse(LISTING);
        let names: Vec<String> = drops.iter().map(|d| format!("{} {} {}", d.family, d.table, d.chain)).collect();
        assert_eq!(names, ["ip filter FORWARD", "inet filter input"]);
        assert!(parse("not json").is_empty());
    }

    #[test]
    fn each_network_hears_of_what_concerns_it() {
        let drops = parse(LISTING);
        let nat = network(
            "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/><ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.2' end='10.1.0.9'/></dhcp></ip></network>",
        );
        let said = conflict(&drops, &nat, Backend::Nftables).unwrap();
        assert!(said.starts_with("Table ip filter, chain FORWARD") && said.contains("--firewall iptables"), "{said}");
        assert!(said.contains("Table inet filter, chain input") && said.contains("DHCP and DNS"), "{said}");
        assert!(said.contains("nft insert rule ip filter FORWARD iifname \"vnlab\" accept"), "{said}");
        // With iptables, our jumps come first in iptables' own FORWARD.
        let said = conflict(&drops, &nat, Backend::Iptables).unwrap();
        assert!(!said.contains("chain FORWARD") && said.contains("chain input"), "{said}");
        // An isolated network forwards nothing; an IPv6-only one is not concerned by `ip`.
        let isolated =
            network("<network><name>iso</name><bridge name='vniso'/><ip address='10.2.0.1' prefix='24'/></network>");
        assert!(!conflict(&drops, &isolated, Backend::Nftables).unwrap().contains("FORWARD"));
        let v6 = network(
            "<network><name>v6</name><forward mode='route'/><bridge name='vnv6'/><dns enable='no'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>",
        );
        assert_eq!(conflict(&drops, &v6, Backend::Nftables), None);
        assert_eq!(conflict(&drops, &nat, Backend::None), None);
    }
}
