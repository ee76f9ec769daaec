//! Defaults applied when a network is defined, as libvirt applies them: a UUID, a bridge
//! name (`virbrN`, the lowest N not taken) and a MAC address for the bridge. They are
//! saved in the definition, so the network keeps them across restarts.

use super::network::Network;
use super::problem::Problem;
use super::values::MacAddr;

/// The bridge-name template used when a definition gives none.
pub const BRIDGE_TEMPLATE: &str = "virbr%d";

/// Fills in what a definition leaves out.
///
/// `bridge_taken` says whether an interface name is already used (by another definition
/// or an existing interface); `random` fills a buffer with random bytes (injected so the
/// model does no I/O and tests are repeatable).
pub fn apply_defaults(
    net: &mut Network,
    bridge_taken: &dyn Fn(&str) -> bool,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<(), Problem> {
    if net.uuid.is_none() {
        let mut bytes = [0u8; 16];
        random(&mut bytes);
        net.uuid = Some(uuid::Builder::from_random_bytes(bytes).into_uuid());
    }
    if !net.manages_bridge() {
        return Ok(());
    }
    let template = net.bridge.name.clone().unwrap_or_else(|| BRIDGE_TEMPLATE.to_owned());
    if template.contains("%d") {
        net.bridge.name = Some(expand_bridge_template(&template, bridge_taken)?);
    }
    if net.mac.is_none() {
        let mut tail = [0u8; 3];
        random(&mut tail);
        let [a, b, c] = MacAddr::LIBVIRT_PREFIX;
        net.mac = Some(MacAddr([a, b, c, tail[0], tail[1], tail[2]]));
    }
    Ok(())
}

/// `virbr%d` → the first of `virbr0`, `virbr1`, ... that is not taken.
pub fn expand_bridge_template(template: &str, taken: &dyn Fn(&str) -> bool) -> Result<String, Problem> {
    for n in 0u32.. {
        let candidate = template.replacen("%d", &n.to_string(), 1);
        if candidate.len() > 15 {
            break;
        }
        if !taken(&candidate) {
            return Ok(candidate);
        }
    }
    Err(Problem::new("bridge", format!("name: every interface name that '{template}' can expand to is taken")))
}

/// Random bytes from the operating system, for [`apply_defaults`].
pub fn os_random(buf: &mut [u8]) {
    // getrandom only fails where the OS offers no entropy source at all; then fall back
    // to std's per-process random hash keys mixed with the clock, which is still unique
    // enough for UUIDs and MAC addresses.
    if getrandom::fill(buf).is_err() {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in buf.chunks_mut(8).enumerate() {
            let mut hasher = state.build_hasher();
            hasher.write_usize(i);
            hasher.write_u128(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
            );
            chunk.copy_from_slice(&hasher.finish().to_le_bytes()[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::forward::{Forward, ForwardMode};

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut next = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                next = next.wrapping_add(1);
                *b = next;
            }
        }
    }

    #[test]
    fn fills_uuid_bridge_and_mac() {
        let mut net = Network { name: "n".into(), ..Network::default() };
        let taken = |name: &str| name == "virbr0" || name == "virbr1";
        apply_defaults(&mut net, &taken, &mut counter()).unwrap();
        assert!(net.uuid.is_some());
        assert_eq!(net.bridge.name.as_deref(), Some("virbr2"));
        assert_eq!(net.mac.unwrap().to_string(), "52:54:00:11:12:13");
    }

    #[test]
    fn keeps_what_is_given_and_expands_templates() {
        let mut net = Network { name: "n".into(), ..Network::default() };
        net.bridge.name = Some("lab%d".into());
        let taken = |name: &str| name == "lab0";
        apply_defaults(&mut net, &taken, &mut counter()).unwrap();
        assert_eq!(net.bridge.name.as_deref(), Some("lab1"));

        let mut fixed = Network { name: "n".into(), ..Network::default() };
        fixed.bridge.name = Some("br-lab".into());
        apply_defaults(&mut fixed, &|_| true, &mut counter()).unwrap();
        assert_eq!(fixed.bridge.name.as_deref(), Some("br-lab"));
    }

    #[test]
    fn host_bridge_networks_get_no_bridge_or_mac() {
        let mut net =
            Network { name: "n".into(), forward: Some(Forward::new(ForwardMode::Bridge)), ..Network::default() };
        apply_defaults(&mut net, &|_| false, &mut counter()).unwrap();
        assert!(net.uuid.is_some());
        assert_eq!(net.bridge.name, None);
        assert_eq!(net.mac, None);
    }

    #[test]
    fn template_that_cannot_expand_is_an_error() {
        let err = expand_bridge_template("abcdefghijklmn%d", &|_| true).unwrap_err();
        assert!(err.message.contains("taken"), "{err}");
    }
}
