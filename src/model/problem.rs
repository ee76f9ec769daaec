//! What is wrong with a definition, and where: every reader and validation error is a
//! `Problem` with a path such as `ip[0]/dhcp/range[1]`, the attribute it is about, a
//! code saying what kind of problem it is (so that a front end places it at its field and
//! tells it in its own language without reading the English), and a sentence a person
//! can act on.

use std::fmt;

use super::syntax::Fault;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Element path from the root, `""` for the document itself.
    pub path: String,
    /// The attribute of that element the problem is about (`start`, `mac`, `address`),
    /// when it is about one.
    pub attribute: Option<&'static str>,
    pub code: Code,
    pub message: String,
}

/// An address a guest or a range must not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reserved {
    /// The host's own address on the network.
    HostAddress,
    NetworkAddress,
    BroadcastAddress,
}

impl Reserved {
    /// libvirt-like English, after "is" or "includes".
    pub fn as_str(self) -> &'static str {
        match self {
            Reserved::HostAddress => "the host's own address",
            Reserved::NetworkAddress => "the network address",
            Reserved::BroadcastAddress => "the broadcast address",
        }
    }
}

/// What kind of problem; the data a front end needs to say it in its own words.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// Only the sentence says what is wrong.
    Other,
    /// A value that must be there is not (the attribute, or the network's name).
    Missing,
    /// A value whose text a rule refuses.
    Syntax(Fault),
    /// A value that does not read as its type (a number, an address).
    Unreadable,
    /// An address of the other family than the subnet it must be in.
    WrongFamily,
    /// An address outside the subnet it must be in.
    OutsideSubnet { subnet: String },
    /// An address a guest must not have.
    Reserved(Reserved),
    /// A MAC address that is multicast or all zeros.
    NotUnicast,
    /// A range whose start comes after its end.
    StartAfterEnd,
    /// A range that includes an address no guest may have.
    RangeIncludes(Reserved),
    /// A range that overlaps an earlier one.
    RangesOverlap,
    /// A value an earlier sibling already uses (a static host's MAC, IP or name).
    AlreadyUsed,
    /// A static host without anything to recognize its guest by (a MAC or DUID, or a name).
    Unidentified,
    /// An `<ip>` address that is the network or broadcast address of its subnet:
    /// `example` is one the host could have instead.
    SubnetEdge { edge: Reserved, subnet: String, example: String },
    /// An `<ip>` subnet that overlaps another of the same network.
    SubnetsOverlap { subnet: String, other: String },
    /// An `<ip>` address no interface can have (unspecified, loopback, multicast).
    UnusableAddress,
    /// A number below its minimum.
    TooSmall { min: u64 },
    /// A number above its maximum.
    TooLarge { max: u64 },
    /// Something only a NAT network can have (a port forward).
    NeedsNat,
    /// A host port an earlier port forward already claims (`other`: its index).
    PortTaken { other: usize },
}

impl Problem {
    /// A problem told only by its sentence.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { path: path.into(), attribute: None, code: Code::Other, message: message.into() }
    }

    /// A problem with its code and, when it concerns one, its attribute.
    pub fn coded(
        path: impl Into<String>,
        attribute: Option<&'static str>,
        code: Code,
        message: impl Into<String>,
    ) -> Self {
        Problem { path: path.into(), attribute, code, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// All the problems found in one definition (never empty when returned as an error).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Problems at `path` or below it, for showing a message next to a field.
    pub fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.0
            .iter()
            .filter(move |p| p.path == path || (p.path.starts_with(path) && p.path[path.len()..].starts_with('/')))
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Collects problems, keeping the first [`MAX_PROBLEMS`](crate::model::limits::MAX_PROBLEMS)
/// and counting the rest: nobody reads eighty thousand messages, and a caller must not
/// make the helper build and send them.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    problems: Vec<Problem>,
    dropped: usize,
}

impl Collector {
    pub(crate) fn push(&mut self, problem: Problem) {
        if self.problems.len() < crate::model::limits::MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.problems.len() >= crate::model::limits::MAX_PROBLEMS
    }

    pub(crate) fn as_slice(&self) -> &[Problem] {
        &self.problems
    }

    /// How many were dropped.
    pub(crate) fn dropped(&self) -> usize {
        self.dropped
    }

    /// Counts problems another collector dropped as dropped here too.
    pub(crate) fn count_dropped(&mut self, count: usize) {
        self.dropped += count;
    }

    /// The problems kept, without the count of the dropped ones.
    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// The problems kept, then (if any were dropped) one saying how many more there were.
    pub(crate) fn finish(self) -> Vec<Problem> {
        let mut problems = self.problems;
        if self.dropped > 0 {
            problems.push(more_problems(self.dropped));
        }
        problems
    }
}

/// The last line of a list that was cut.
pub(crate) fn more_problems(count: usize) -> Problem {
    Problem::new(
        "",
        format!("and {count} more problems (only the first {} are listed)", crate::model::limits::MAX_PROBLEMS),
    )
}

/// Builds element paths: `ip[0]/dhcp/range[1]`.
pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() { child.to_owned() } else { format!("{parent}/{child}") }
}

pub(crate) fn join_indexed(parent: &str, child: &str, index: usize) -> String {
    join(parent, &format!("{child}[{index}]"))
}
