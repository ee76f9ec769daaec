//! The port forwards of the session's network, as the form edits them: a row typed as
//! protocol, host ports, guest address and guest ports, checked as it is typed (by the
//! model's own checks, told in the form's words), added, removed.

use std::net::IpAddr;

use gettextrs::gettext;

use super::{EditSession, RowCheck, words};
use crate::model::Problem;
use crate::model::extension::forward_path;
use crate::model::port_forward::{self, PortForward, Protocol};

/// The labels of the add form's inputs, in their order.
pub fn input_labels() -> [String; 4] {
    [gettext("Protocol"), gettext("Host port"), gettext("Guest address"), gettext("Guest port")]
}

/// Which input of the row a problem of a forward is about.
fn input_of(problem: &Problem) -> usize {
    match problem.attribute {
        Some("proto") => 0,
        Some("guest") => 2,
        Some("to") => 3,
        _ if problem.path.ends_with("/range") => 1,
        _ => 0,
    }
}

impl EditSession {
    /// Whether the network can have port forwards (only NAT networks can).
    pub fn can_forward_ports(&self) -> bool {
        self.edited.can_forward_ports()
    }

    pub fn check_forward(&self, values: &[String]) -> RowCheck {
        match self.forward_from(values) {
            Ok(_) => RowCheck { errors: vec![None; 4], complete: true },
            Err(check) => check,
        }
    }

    fn forward_from(&self, values: &[String]) -> Result<PortForward, RowCheck> {
        let value = |i: usize| values.get(i).map_or("", |v| v.trim());
        let mut check = RowCheck { errors: vec![None; 4], complete: (0..4).all(|i| !value(i).is_empty()) };
        let protocol = match value(0) {
            "" => None,
            word => Protocol::from_word(&word.to_lowercase()).or_else(|| {
                check.errors[0] = Some(gettext("Enter tcp, udp or both"));
                None
            }),
        };
        let mut ports = |i: usize| match value(i) {
            "" => None,
            text => port_forward::parse_ports(text).or_else(|| {
                check.errors[i] = Some(gettext("Enter a port (1 to 65535) or a range such as 8000-8010"));
                None
            }),
        };
        let (host, guest_ports) = (ports(1), ports(3));
        let guest = match value(2) {
            "" => None,
            text => text.parse::<IpAddr>().ok().or_else(|| {
                check.errors[2] = Some(gettext("Enter the guest's IP address, such as 192.168.122.10"));
                None
            }),
        };
        let (Some(protocol), Some(host), Some(guest), Some(guest_ports)) = (protocol, host, guest, guest_ports) else {
            return Err(check);
        };
        let forward = port_forward::forward_from_ports(protocol, host, guest, guest_ports).map_err(|(n, m)| {
            check.errors[3] = Some(
                gettext("The host has {n} ports here and the guest {m}; give the same number")
                    .replace("{n}", &n.to_string())
                    .replace("{m}", &m.to_string()),
            );
            check.clone()
        })?;
        // The model's checks, on the network with this forward added.
        let mut trial = self.edited.clone();
        trial.port_forwards.push(forward.clone());
        let path = forward_path(trial.port_forwards.len() - 1);
        let labels = input_labels();
        for problem in port_forward::check(&trial).iter().filter(|p| p.path.starts_with(&path)) {
            let input = input_of(problem);
            check.errors[input].get_or_insert_with(|| words::problem_in_words(&labels[input], problem));
        }
        if check.can_add() { Ok(forward) } else { Err(check) }
    }

    /// Adds a forward; refused, with the first problem, unless the row is valid.
    pub fn add_forward(&mut self, values: &[String]) -> Result<(), String> {
        let forward = self.forward_from(values).map_err(|check| {
            check.first_error().unwrap_or_else(|| gettext("Enter a protocol, the ports and the guest's address"))
        })?;
        self.edited.port_forwards.push(forward);
        self.revalidate();
        Ok(())
    }

    pub fn remove_forward(&mut self, index: usize) {
        if index < self.edited.port_forwards.len() {
            self.edited.port_forwards.remove(index);
        }
        self.revalidate();
    }

    /// What is wrong with each forward, in the list's order.
    pub fn forward_problems(&self) -> Vec<Option<String>> {
        let labels = input_labels();
        (0..self.edited.port_forwards.len())
            .map(|index| {
                let path = forward_path(index);
                let messages: Vec<String> = self
                    .problems
                    .iter()
                    .filter(|p| p.path == path || p.path.starts_with(&format!("{path}/")))
                    .map(|p| words::problem_in_words(&labels[input_of(p)], p))
                    .collect();
                (!messages.is_empty()).then(|| messages.join("\n"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Network;

    fn session() -> EditSession {
        EditSession::new(
            Network::from_xml(
                "<network><name>n</name><forward mode='nat'/><ip address='192.168.122.1' prefix='24'/></network>",
            )
            .unwrap(),
        )
    }

    fn row(values: [&str; 4]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn a_forward_is_checked_as_typed_and_added() {
        let mut session = session();
        let partial = session.check_forward(&row(["tcp", "2222", "", ""]));
        assert!(!partial.complete && partial.errors.iter().all(Option::is_none));
        let outside = session.check_forward(&row(["tcp", "2222", "10.0.0.5", "22"]));
        assert!(outside.errors[2].is_some(), "{outside:?}");
        assert!(session.check_forward(&row(["tcp", "0", "192.168.122.10", "22"])).errors[1].is_some());
        session.add_forward(&row(["tcp", "2222", "192.168.122.10", "22"])).unwrap();
        assert_eq!(session.edited().port_forwards.len(), 1);
        // The same host port again is refused at the host port.
        let taken = session.check_forward(&row(["both", "2222", "192.168.122.11", "22"]));
        assert!(taken.errors[1].is_some(), "{taken:?}");
        assert_eq!(session.forward_problems(), [None]);
        session.remove_forward(0);
        assert!(session.edited().port_forwards.is_empty());
    }
}
