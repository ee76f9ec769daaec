//! The details form never loses a setting: a property test of the edit session the
//! details page and the wizard share. For every golden definition (the wizard's, and
//! libvirt's corpus in the modes virtnet runs), random keystroke-level edits of each
//! field, through empty and half-typed text, must give exactly what typing the final
//! value at once gives, and differ from the original only in what that value says;
//! edits of many fields interleaved with switches turned and turned back, each field
//! retyped to its old value at the end, must give the original definition back.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use virtnet::model::forward::ForwardMode;
use virtnet::model::{Family, Network};
use virtnet::ui::{EditSession, Field};

/// The definitions the form edits: valid, in a mode the form offers.
fn goldens() -> &'static Vec<(String, Network)> {
    static GOLDENS: OnceLock<Vec<(String, Network)>> = OnceLock::new();
    GOLDENS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = common::corpus_dir().join("networkxml2xmlout");
        let files = common::xml_files(&root.join("tests/data/wizard")).into_iter().chain(common::xml_files(&corpus));
        let found: Vec<(String, Network)> = files
            .filter_map(|path| {
                let network = Network::from_xml(&common::read_corpus_file(&path)).ok()?;
                let editable = network.forward.as_ref().is_none_or(|f| f.mode.manages_bridge());
                (editable && network.validate().is_ok()).then(|| (common::stem(&path), network))
            })
            .collect();
        assert!(found.len() >= 20, "too few golden definitions: {}", found.len());
        found
    })
}

/// The text a field shows for the session's definition.
fn shown(session: &EditSession, field: Field) -> String {
    let network = session.edited();
    match field {
        Field::Name => network.name.clone(),
        Field::Mtu => network.mtu.map(|m| m.to_string()).unwrap_or_default(),
        Field::Subnet(family) => session.subnet_text(family),
        Field::DhcpStart(family) => session.range(family).map(|r| r.start.to_string()).unwrap_or_default(),
        Field::DhcpEnd(family) => session.range(family).map(|r| r.end.to_string()).unwrap_or_default(),
        Field::Domain => network.domain.as_ref().map(|d| d.name.clone()).unwrap_or_default(),
        Field::ForwardDev => {
            network.forward.as_ref().and_then(|f| f.interfaces.first()).map(|i| i.dev.clone()).unwrap_or_default()
        }
        Field::Forwarders => session.forwarders_text(),
        Field::DhcpEnabled(_) | Field::Xml => String::new(),
    }
}

/// A change of a field's text as a person makes it: delete some characters at the end,
/// type some (any, junk included).
#[derive(Clone, Debug)]
enum Keys {
    Delete(usize),
    Type(String),
}

/// Every text the field holds while `keys` are pressed, then while the text is turned
/// into `target` (deleted back to what they share, the rest typed key by key).
fn keystrokes(from: &str, keys: &[Keys], target: &str) -> Vec<String> {
    let mut text = from.to_owned();
    let mut states = Vec::new();
    for key in keys {
        match key {
            Keys::Delete(n) => {
                for _ in 0..*n {
                    if text.pop().is_some() {
                        states.push(text.clone());
                    }
                }
            }
            Keys::Type(typed) => {
                for c in typed.chars() {
                    text.push(c);
                    states.push(text.clone());
                }
            }
        }
    }
    let shared = text.chars().zip(target.chars()).take_while(|(a, b)| a == b).count();
    while text.chars().count() > shared {
        text.pop();
        states.push(text.clone());
    }
    for c in target.chars().skip(shared) {
        text.push(c);
        states.push(text.clone());
    }
    if states.last().map(String::as_str) != Some(target) {
        states.push(target.to_owned());
    }
    states
}

fn keys() -> impl Strategy<Value = Vec<Keys>> {
    let key = prop_oneof![
        (0usize..20).prop_map(Keys::Delete),
        "[0-9./:a-f ]{0,8}".prop_map(Keys::Type),
        "[a-z0-9.-]{0,6}".prop_map(Keys::Type),
    ];
    prop::collection::vec(key, 0..6)
}

/// A value to end with for a field: often the field's own, else a valid or invalid one.
fn final_value(field: Field, original: String) -> BoxedStrategy<String> {
    let other: BoxedStrategy<String> = match field {
        Field::Subnet(Family::Ipv4) => (16u8..32, any::<u8>(), 1u8..255, 8u8..31)
            .prop_map(|(b, c, host, prefix)| format!("172.{b}.{c}.{host}/{prefix}"))
            .boxed(),
        Field::Subnet(Family::Ipv6) => (any::<u16>(), 1u16..0xffff, prop::sample::select(vec![48u8, 56, 64, 80]))
            .prop_map(|(g, host, prefix)| format!("fd00:{g:x}::{host:x}/{prefix}"))
            .boxed(),
        Field::DhcpStart(_) | Field::DhcpEnd(_) => {
            (any::<u8>(), any::<u8>()).prop_map(|(c, d)| format!("192.168.{c}.{d}")).boxed()
        }
        Field::Domain => "[a-z]{1,8}(\\.[a-z]{2,5})?".boxed(),
        Field::Name => "[a-z][a-z0-9_-]{0,10}".boxed(),
        Field::Mtu => (60u32..70000).prop_map(|m| m.to_string()).boxed(),
        Field::Forwarders => prop::sample::select(vec!["9.9.9.9", "9.9.9.9, 2620:fe::fe", "1.1.1.1 8.8.8.8"])
            .prop_map(str::to_owned)
            .boxed(),
        Field::ForwardDev => prop::sample::select(vec!["eth0", "enp3s0", "br-lan"]).prop_map(str::to_owned).boxed(),
        Field::DhcpEnabled(_) | Field::Xml => Just(String::new()).boxed(),
    };
    prop_oneof![2 => Just(original), 3 => other, 1 => Just(String::new()), 1 => "[0-9./:]{1,6}"].boxed()
}

/// The fields the form has for this definition.
fn fields_of(network: &Network) -> Vec<Field> {
    let mut fields = vec![Field::Name, Field::Mtu, Field::Domain, Field::Forwarders];
    fields.extend([Family::Ipv4, Family::Ipv6].map(Field::Subnet));
    let session = EditSession::new(network.clone());
    for family in [Family::Ipv4, Family::Ipv6] {
        if session.range(family).is_some() {
            fields.extend([Field::DhcpStart(family), Field::DhcpEnd(family)]);
        }
    }
    if network.forward.as_ref().is_some_and(|f| matches!(f.mode, ForwardMode::Nat | ForwardMode::Route)) {
        fields.push(Field::ForwardDev);
    }
    fields
}

/// One definition, one of its fields, and how it is edited.
fn one_field_edit() -> impl Strategy<Value = (usize, Field, Vec<Keys>, String)> {
    (0..goldens().len()).prop_flat_map(|index| {
        let network = &goldens()[index].1;
        let fields = fields_of(network);
        (Just(index), prop::sample::select(fields)).prop_flat_map(move |(index, field)| {
            let original = shown(&EditSession::new(goldens()[index].1.clone()), field);
            (Just(index), Just(field), keys(), final_value(field, original))
        })
    })
}

/// The definition without what a field governs, to compare the rest.
fn without(network: &Network, field: Field) -> Network {
    let mut rest = network.clone();
    match field {
        Field::Name => rest.name.clear(),
        Field::Mtu => rest.mtu = None,
        Field::Domain => rest.domain = None,
        Field::Forwarders => {
            if let Some(dns) = &mut rest.dns {
                dns.forwarders.retain(|f| f.domain.is_some());
            }
            if rest.dns.as_ref().is_some_and(|d| *d == Default::default()) {
                rest.dns = None;
            }
        }
        Field::ForwardDev => {
            if let Some(forward) = &mut rest.forward {
                forward.interfaces.clear();
            }
        }
        Field::Subnet(family) => {
            rest.ips.retain(|ip| ip.family().unwrap_or(Family::Ipv4) != family);
        }
        Field::DhcpStart(family) | Field::DhcpEnd(family) => {
            for ip in rest.ips.iter_mut().filter(|ip| ip.family().unwrap_or(Family::Ipv4) == family) {
                if let Some(range) = ip.dhcp.as_mut().and_then(|d| d.ranges.first_mut()) {
                    if field == Field::DhcpStart(family) {
                        range.start = range.end;
                    } else {
                        range.end = range.start;
                    }
                }
            }
        }
        Field::DhcpEnabled(_) | Field::Xml => {}
    }
    rest
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Keystrokes on one field: the result is what typing the final value at once
    /// gives, and differs from the original only in what that value says.
    #[test]
    fn only_the_final_value_counts((index, field, keys, target) in one_field_edit()) {
        let (name, original) = &goldens()[index];
        let mut typed = EditSession::new(original.clone());
        let from = shown(&typed, field);
        for text in keystrokes(&from, &keys, &target) {
            typed.set_text(field, &text);
        }
        let mut direct = EditSession::new(original.clone());
        direct.set_text(field, &target);
        prop_assert_eq!(typed.edited(), direct.edited(), "{}: {:?} typed key by key to {:?}", name, field, target);
        prop_assert_eq!(typed.error(field), direct.error(field));
        prop_assert_eq!(typed.can_apply(), direct.can_apply());

        let same_text = target.trim() == from;
        if same_text {
            prop_assert_eq!(typed.edited(), original, "{}: {:?} retyped as it was", name, field);
            prop_assert!(!typed.is_dirty());
        }
        let edited = typed.edited();
        match field {
            // The address governs the <ip>: hosts keep their identity and names, the
            // range stays (moved), DHCP stays on.
            Field::Subnet(family) if !target.is_empty() && !typed.is_unparsed(field) || same_text => {
                prop_assert_eq!(without(edited, field), without(original, field));
                let hosts = |n: &Network| -> Vec<(Option<String>, Option<String>, Option<String>)> {
                    n.ips.iter().filter(|ip| ip.family().unwrap_or(Family::Ipv4) == family)
                        .flat_map(|ip| ip.dhcp.iter().flat_map(|d| d.hosts.iter()))
                        .map(|h| (h.mac.map(|m| m.to_string()), h.id.clone(), h.name.clone())).collect()
                };
                prop_assert_eq!(hosts(edited), hosts(original), "{}: static hosts changed", name);
                let ranges = |n: &Network| n.ips.iter().filter(|ip| ip.family().unwrap_or(Family::Ipv4) == family)
                    .map(|ip| ip.dhcp.as_ref().map_or(0, |d| d.ranges.len())).sum::<usize>();
                prop_assert_eq!(ranges(edited), ranges(original), "{}: DHCP ranges changed", name);
            }
            Field::Subnet(_) if typed.is_unparsed(field) => {
                prop_assert_eq!(edited, original, "{}: an address that does not parse changed the definition", name);
            }
            Field::Subnet(_) => {}
            Field::Domain if !target.trim().is_empty() => {
                prop_assert_eq!(without(edited, field), without(original, field));
                let flags = |n: &Network| n.domain.as_ref().map(|d| (d.local_only, d.register));
                if original.domain.is_some() {
                    prop_assert_eq!(flags(edited), flags(original), "{}: localOnly or register lost", name);
                }
            }
            Field::Domain => prop_assert_eq!(edited.domain.as_ref(), None),
            _ if typed.is_unparsed(field) => {
                prop_assert_eq!(edited, original, "{}: text that does not parse changed the definition", name);
            }
            _ => prop_assert_eq!(without(edited, field), without(original, field)),
        }
    }

    /// Many fields edited in turn, DHCP, local-only and the mode switched and switched
    /// back in between, every field retyped to its old value at the end: the original.
    #[test]
    fn edits_undone_by_hand_give_the_original_back(
        index in 0..goldens().len(),
        plan in prop::collection::vec((0usize..16, keys(), 0u8..6), 1..8),
    ) {
        let (name, original) = &goldens()[index];
        // Subnets of 172.16.0.0/12 are disjoint from every golden's (checked here), so a
        // move there and back is a move back.
        let inside_172 = original.ips.iter().filter_map(|ip| ip.subnet())
            .any(|s| s.is_ipv4() && s.ip().to_string().starts_with("172."));
        prop_assume!(!inside_172);
        let fields: Vec<Field> = fields_of(original).into_iter()
            .filter(|f| !matches!(f, Field::DhcpStart(_) | Field::DhcpEnd(_)))
            .collect();
        let mut session = EditSession::new(original.clone());
        let texts: Vec<String> = fields.iter().map(|f| shown(&session, *f)).collect();
        let v4 = fields.iter().position(|f| *f == Field::Subnet(Family::Ipv4)).unwrap();
        let mut touched = Vec::new();
        for (pick, keys, toggle) in &plan {
            let i = pick % fields.len();
            let field = fields[i];
            let from = shown(&session, field);
            let states = keystrokes(&from, keys, &from);
            // Stop half way: the field is left half-typed while others change.
            for text in &states[..states.len() / 2] {
                session.set_text(field, text);
            }
            let address_as_it_was = shown(&session, Field::Subnet(Family::Ipv4)) == texts[v4];
            match toggle {
                // DHCP off and on with the address as it was (the switch is off limits
                // while the address does not parse).
                0 if address_as_it_was && session.range(Family::Ipv4).is_some() => {
                    session.set_dhcp(Family::Ipv4, false);
                    session.set_dhcp(Family::Ipv4, true);
                }
                1 => {
                    let mode = session.edited().forward.as_ref().map(|f| f.mode);
                    session.set_mode(Some(ForwardMode::Route));
                    session.set_mode(None);
                    session.set_mode(mode);
                }
                2 => {
                    let on = session.local_only();
                    session.set_local_only(!on);
                    session.set_local_only(on);
                }
                _ => {}
            }
            touched.push(i);
        }
        // Each touched field retyped to its old text, key by key.
        touched.dedup();
        for i in touched.iter().rev() {
            let field = fields[*i];
            let current = shown(&session, field);
            for text in keystrokes(&current, &[Keys::Delete(40)], &texts[*i]) {
                session.set_text(field, &text);
            }
        }
        prop_assert!(session.edited() == original, "{}: {:?}\n{}", name, plan, differences(session.edited(), original));
        prop_assert!(!session.is_dirty());
    }
}

/// The lines in which two definitions' debug forms differ.
fn differences(a: &Network, b: &Network) -> String {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    let lines = a.lines().zip(b.lines()).filter(|(x, y)| x != y).map(|(x, y)| format!("- {y}\n+ {x}"));
    lines.collect::<Vec<_>>().join("\n")
}

#[test]
fn keystrokes_pass_through_every_state() {
    let states = keystrokes("192.168.1.1/24", &[Keys::Delete(3), Keys::Type("x".into())], "192.168.5.1/24");
    assert_eq!(states[..4], ["192.168.1.1/2", "192.168.1.1/", "192.168.1.1", "192.168.1.1x"]);
    assert_eq!(states.last().unwrap(), "192.168.5.1/24");
    assert!(states.contains(&"192.168.".to_owned()));
}
