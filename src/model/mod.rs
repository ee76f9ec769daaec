//! The network definition model: libvirt's network XML as typed values, read, written,
//! defaulted and validated in one place, so the helper, the CLI and the GUI agree on
//! what a network is and show the same messages. No I/O, no GTK, no D-Bus.

pub mod attach;
pub mod defaults;
pub mod dns;
pub mod extension;
pub mod forward;
pub mod ip;
pub mod limits;
pub mod network;
mod overlap;
pub mod port;
pub mod port_forward;
pub mod problem;
pub mod subnet;
pub mod syntax;
pub mod update;
pub mod validate;
pub mod values;
pub mod xml;

pub use defaults::apply_defaults;
pub use forward::{Forward, ForwardMode};
pub use ip::IpDef;
pub use network::{Bridge, Network, NetworkMode};
pub use problem::{Code, Problem, Problems};
pub use values::{Family, MacAddr};

use std::collections::HashSet;

impl Network {
    /// Reads a definition the way libvirt parses one: the document must be well-formed,
    /// use only elements and attributes of libvirt's network schema with values of the
    /// right type, and pass libvirt's own parse-time checks. Every problem is reported.
    pub fn from_xml(xml: &str) -> Result<Network, Problems> {
        let doc = xml::dom::parse(xml)?;
        match xml::read::read(&doc) {
            (Some(network), problems) if problems.is_empty() => Ok(network),
            (_, problems) => Err(Problems(problems)),
        }
    }

    /// The definition as libvirt would write it (canonical order and defaults).
    pub fn to_xml(&self) -> String {
        xml::write::write(self)
    }

    /// Who may plug VMs in (virtnet's rule in `<metadata>`); `None` when the definition
    /// has no rule.
    pub fn attach_rules(&self) -> Option<attach::AttachRules> {
        self.attach.clone()
    }

    /// virtnet's semantic checks (see [`validate`]); `Ok` when there is nothing to fix.
    pub fn validate(&self) -> Result<(), Problems> {
        let problems = validate::validate(self);
        if problems.is_empty() { Ok(()) } else { Err(Problems(problems)) }
    }
}

/// Why a definition was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionError {
    /// Not acceptable XML at all (syntax, DOCTYPE, size): one problem.
    NotXml(Problem),
    /// XML, but not a valid network: every problem found.
    Invalid(Problems),
}

impl From<DefinitionError> for Problems {
    fn from(e: DefinitionError) -> Problems {
        match e {
            DefinitionError::NotXml(problem) => problem.into(),
            DefinitionError::Invalid(problems) => problems,
        }
    }
}

/// Reads and validates a definition, reporting the problems of both steps together
/// (what the helper refuses a definition for).
pub fn parse_definition(xml_text: &str) -> Result<Network, DefinitionError> {
    let doc = xml::dom::parse(xml_text).map_err(DefinitionError::NotXml)?;
    let (network, mut problems) = xml::read::read_collecting(&doc);
    let Some(network) = network else { return Err(DefinitionError::Invalid(Problems(problems.finish()))) };
    // A missing <name>, or an <ip> address that did not parse, is reported by the reader
    // already; validation would repeat it.
    let read = problems.as_slice();
    let name_reported = read.iter().any(|p| p.path == "name");
    let bad_addresses: HashSet<String> =
        read.iter().filter(|p| p.attribute == Some("address")).map(|p| p.path.clone()).collect();
    let mut reported: HashSet<(String, String)> = read.iter().map(|p| (p.path.clone(), p.message.clone())).collect();
    let checked = validate::check(&network);
    problems.count_dropped(checked.dropped());
    for problem in checked.into_problems() {
        let repeated = reported.contains(&(problem.path.clone(), problem.message.clone()))
            || (problem.path == "name" && name_reported)
            || (problem.code == Code::Missing
                && problem.attribute == Some("address")
                && bad_addresses.contains(&problem.path));
        if !repeated {
            reported.insert((problem.path.clone(), problem.message.clone()));
            problems.push(problem);
        }
    }
    let problems = problems.finish();
    if problems.is_empty() { Ok(network) } else { Err(DefinitionError::Invalid(Problems(problems))) }
}

/// [`parse_definition`] with all problems in one list (what `virtnet validate` prints).
pub fn parse_and_validate(xml_text: &str) -> Result<Network, Problems> {
    parse_definition(xml_text).map_err(Problems::from)
}
