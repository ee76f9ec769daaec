//! Who may plug VMs into a network: `<virtnet:attach>` in virtnet's part of `<metadata>`
//! (read and written by [`extension`](super::extension)):
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

pub use super::extension::NAMESPACE;

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
