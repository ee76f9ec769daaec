//! Who may plug VMs into a network: virtnet's own part of `<metadata>`, in its XML
//! namespace, which libvirt keeps verbatim (so the definition still round-trips):
//!
//! ```xml
//! <metadata>
//!   <virtnet:network xmlns:virtnet="https://github.com/virtnet/virtnet/xmlns/network/1">
//!     <virtnet:attach>
//!       <virtnet:allow user="alice"/>
//!       <virtnet:allow group="kvm"/>
//!     </virtnet:attach>
//!   </virtnet:network>
//! </metadata>
//! ```
//!
//! Without `<virtnet:attach>` the polkit action `io.github.virtnet.attach` alone decides;
//! with it, a caller must also be one of the users or in one of the groups (root always
//! may).

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::network::Metadata;
use super::syntax::is_safe_name;

/// virtnet's XML namespace inside `<metadata>`.
pub const NAMESPACE: &str = "https://github.com/virtnet/virtnet/xmlns/network/1";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachRules {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl AttachRules {
    /// The rule in words: "the users alice and bob and the group kvm".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.users.is_empty() {
            parts.push(format!(
                "{} {}",
                if self.users.len() == 1 { "the user" } else { "the users" },
                self.users.join(", ")
            ));
        }
        if !self.groups.is_empty() {
            parts.push(format!(
                "{} {}",
                if self.groups.len() == 1 { "the group" } else { "the groups" },
                self.groups.join(", ")
            ));
        }
        if parts.is_empty() { "nobody but root".to_owned() } else { parts.join(" and ") }
    }
}

/// The attach rules in a definition's metadata (`None`: no rule, polkit decides), or
/// what is wrong with them.
pub fn attach_rules(metadata: &Metadata) -> Result<Option<AttachRules>, String> {
    // The content is a fragment; a wrapper element declares the prefixes in scope.
    let mut wrapped = String::from("<m");
    for (prefix, uri) in &metadata.namespaces {
        let attribute = if prefix.is_empty() { "xmlns".to_owned() } else { format!("xmlns:{prefix}") };
        wrapped.push_str(&format!(" {attribute}=\"{}\"", quick_xml::escape::escape(uri.as_str())));
    }
    wrapped.push('>');
    wrapped.push_str(&metadata.content);
    wrapped.push_str("</m>");

    let mut reader = NsReader::from_str(&wrapped);
    let mut depth = 0usize;
    // Depth of <virtnet:network> and of <virtnet:attach>, while inside them.
    let mut in_network = None;
    let mut in_attach = None;
    let mut rules: Option<AttachRules> = None;
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|e| format!("cannot read the metadata: {e}"))?;
        let ours = matches!(namespace, ResolveResult::Bound(ns) if ns.as_ref() == NAMESPACE);
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(element) | Event::Empty(element) => {
                let local = element.local_name();
                let local = local.as_ref();
                depth += 1;
                if ours && depth == 2 && local == "network" {
                    in_network = Some(depth);
                } else if ours && in_network == Some(depth - 1) && local == "attach" {
                    in_attach = Some(depth);
                    rules.get_or_insert_with(AttachRules::default);
                } else if ours && in_attach == Some(depth - 1) && local == "allow" {
                    let mut user = None;
                    let mut group = None;
                    for attribute in element.attributes() {
                        let attribute = attribute.map_err(|e| format!("attach/allow: {e}"))?;
                        let value = attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| format!("attach/allow: {e}"))?
                            .into_owned();
                        match attribute.key.as_ref() {
                            "user" => user = Some(value),
                            "group" => group = Some(value),
                            other => {
                                return Err(format!(
                                    "attach/allow: unknown attribute '{}'; an allow rule has user= or group=",
                                    other
                                ));
                            }
                        }
                    }
                    let rules = rules.get_or_insert_with(AttachRules::default);
                    match (user, group) {
                        (Some(name), None) if is_safe_name(&name) => rules.users.push(name),
                        (None, Some(name)) if is_safe_name(&name) => rules.groups.push(name),
                        (Some(name), None) | (None, Some(name)) => {
                            return Err(format!(
                                "attach/allow: '{name}' is not a user or group name (letters, digits, '.', '_' and '-')"
                            ));
                        }
                        _ => return Err("attach/allow: an allow rule has exactly one of user= or group=".to_owned()),
                    }
                } else if ours && in_network.is_some() {
                    return Err(format!("unknown element '{}' in virtnet's metadata", local));
                }
                if empty {
                    close(&mut depth, &mut in_network, &mut in_attach);
                }
            }
            Event::End(_) => close(&mut depth, &mut in_network, &mut in_attach),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rules)
}

/// An element ends: leaves `<virtnet:attach>` or `<virtnet:network>` if it was one.
fn close(depth: &mut usize, in_network: &mut Option<usize>, in_attach: &mut Option<usize>) {
    if *in_attach == Some(*depth) {
        *in_attach = None;
    }
    if *in_network == Some(*depth) {
        *in_network = None;
    }
    *depth = depth.saturating_sub(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Network;

    fn rules_of(metadata: &str) -> Result<Option<AttachRules>, String> {
        let xml = format!("<network><name>n</name><metadata>{metadata}</metadata></network>");
        let network = Network::from_xml(&xml).unwrap();
        attach_rules(network.metadata.as_ref().unwrap())
    }

    #[test]
    fn reads_users_and_groups() {
        let rules = rules_of(&format!(
            "<v:network xmlns:v='{NAMESPACE}'><v:attach><v:allow user='alice'/><v:allow group='kvm'/></v:attach></v:network>"
        ))
        .unwrap()
        .unwrap();
        assert_eq!(rules.users, ["alice"]);
        assert_eq!(rules.groups, ["kvm"]);
        assert_eq!(rules.describe(), "the user alice and the group kvm");
    }

    #[test]
    fn other_applications_metadata_is_not_ours() {
        assert_eq!(rules_of("<app:x xmlns:app='urn:other'><app:attach/></app:x>").unwrap(), None);
        assert_eq!(rules_of(&format!("<v:network xmlns:v='{NAMESPACE}'/>")).unwrap(), None);
    }

    #[test]
    fn an_empty_rule_allows_only_root() {
        let rules = rules_of(&format!("<v:network xmlns:v='{NAMESPACE}'><v:attach/></v:network>")).unwrap().unwrap();
        assert_eq!(rules.describe(), "nobody but root");
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let bad = |inner: &str| rules_of(&format!("<v:network xmlns:v='{NAMESPACE}'>{inner}</v:network>")).unwrap_err();
        assert!(bad("<v:attach><v:allow/></v:attach>").contains("exactly one of user= or group="));
        assert!(bad("<v:attach><v:allow user='a b'/></v:attach>").contains("'a b' is not a user or group name"));
        assert!(bad("<v:attach><v:allow uid='1'/></v:attach>").contains("unknown attribute 'uid'"));
        assert!(bad("<v:forwards/>").contains("unknown element 'forwards'"));
    }
}
