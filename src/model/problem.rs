//! What is wrong with a definition, and where: every reader and validation error is a
//! `Problem` with a path such as `ip[0]/dhcp/range[1]` and a sentence a person can act on.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Element path from the root, `""` for the document itself.
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { path: path.into(), message: message.into() }
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
