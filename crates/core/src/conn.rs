//! Connection sets: which protocols and ports are allowed.

use crate::intervals::IntervalSet;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The L4 protocols NetworkPolicy knows. Order is alphabetical because that is the order
/// connections are printed in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Protocol {
    #[serde(rename = "SCTP")]
    Sctp,
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// Parses a protocol name as the Kubernetes API spells it (upper case).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports of one protocol, within 1..=65535.
pub type PortSet = IntervalSet<u16>;

/// The full port range 1-65535.
pub fn all_ports() -> PortSet {
    PortSet::range(MIN_PORT, MAX_PORT)
}

/// Allowed ports per protocol.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct ConnSet {
    ports: [PortSet; 3],
}

impl ConnSet {
    pub fn none() -> Self {
        ConnSet::default()
    }

    pub fn all() -> Self {
        ConnSet {
            ports: [all_ports(), all_ports(), all_ports()],
        }
    }

    /// All ports of one protocol.
    pub fn protocol(p: Protocol) -> Self {
        let mut c = ConnSet::none();
        c.ports[p.index()] = all_ports();
        c
    }

    /// Ports `lo..=hi` of one protocol (clamped to 1..=65535).
    pub fn port_range(p: Protocol, lo: u16, hi: u16) -> Self {
        let mut c = ConnSet::none();
        c.ports[p.index()] = PortSet::range(lo.max(MIN_PORT), hi);
        c
    }

    pub fn ports(&self, p: Protocol) -> &PortSet {
        &self.ports[p.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(|s| s.is_exactly(MIN_PORT, MAX_PORT))
    }

    pub fn contains(&self, p: Protocol, port: u16) -> bool {
        self.ports[p.index()].contains(port)
    }

    pub fn union_with(&mut self, other: &ConnSet) {
        for (a, b) in self.ports.iter_mut().zip(&other.ports) {
            a.union_with(b);
        }
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        let mut c = self.clone();
        c.union_with(other);
        c
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].intersect(&other.ports[i])),
        }
    }

    pub fn difference(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: std::array::from_fn(|i| self.ports[i].difference(&other.ports[i])),
        }
    }

    /// Parses the printed form back (`All Connections`, `No Connections`,
    /// `TCP 80,443,UDP 53`, `TCP 8080/SCTP`-free forms only). Used by tests and by the
    /// diff of two printed lists.
    pub fn parse(s: &str) -> Option<ConnSet> {
        let s = s.trim();
        if s == ALL_CONNECTIONS {
            return Some(ConnSet::all());
        }
        if s == "No Connections" {
            return Some(ConnSet::none());
        }
        let mut c = ConnSet::none();
        let mut current: Option<Protocol> = None;
        for part in s.split(',') {
            let part = part.trim();
            let ranges = if let Some((proto, rest)) = part.split_once(' ') {
                current = Some(Protocol::parse(proto)?);
                rest
            } else {
                part
            };
            let p = current?;
            let (lo, hi) = match ranges.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let v = ranges.parse().ok()?;
                    (v, v)
                }
            };
            c.ports[p.index()].insert_range(lo, hi);
        }
        Some(c)
    }
}

/// How every connection is printed.
pub const ALL_CONNECTIONS: &str = "All Connections";

/// `All Connections`, `No Connections`, or e.g. `SCTP 1-9002,9004-65535,TCP 80,UDP 53`.
impl fmt::Display for ConnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str(ALL_CONNECTIONS);
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Protocol::ALL {
            let set = &self.ports[p.index()];
            if set.is_empty() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{p} ")?;
            for (i, &(lo, hi)) in set.ranges().iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                if lo == hi {
                    write!(f, "{lo}")?;
                } else {
                    write!(f, "{lo}-{hi}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_follows_the_contract() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let mut c = ConnSet::port_range(Protocol::Udp, 53, 53);
        c.union_with(&ConnSet::port_range(Protocol::Tcp, 8080, 8080));
        assert_eq!(c.to_string(), "TCP 8080,UDP 53");
        let mut c = ConnSet::all().difference(&ConnSet::port_range(Protocol::Sctp, 9003, 9003));
        c = c.difference(&ConnSet::port_range(Protocol::Tcp, 80, 80));
        c = c.difference(&ConnSet::protocol(Protocol::Udp));
        assert_eq!(c.to_string(), "SCTP 1-9002,9004-65535,TCP 1-79,81-65535");
        assert_eq!(ConnSet::parse(&c.to_string()), Some(c));
    }
}
