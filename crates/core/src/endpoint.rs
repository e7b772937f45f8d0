//! Endpoints of a connection: workloads and ranges of addresses outside the cluster.

use crate::intervals::IntervalSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A contiguous range of addresses outside the cluster, IPv4 or IPv6.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AddrRange {
    V4(u32, u32),
    V6(u128, u128),
}

impl AddrRange {
    pub const ALL_V4: AddrRange = AddrRange::V4(0, u32::MAX);
    pub const ALL_V6: AddrRange = AddrRange::V6(0, u128::MAX);

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (AddrRange::V4(lo, hi), IpAddr::V4(a)) => (*lo..=*hi).contains(&u32::from(a)),
            (AddrRange::V6(lo, hi), IpAddr::V6(a)) => (*lo..=*hi).contains(&u128::from(a)),
            _ => false,
        }
    }

    /// The first address of the range.
    pub fn first(&self) -> IpAddr {
        match self {
            AddrRange::V4(lo, _) => IpAddr::V4(Ipv4Addr::from(*lo)),
            AddrRange::V6(lo, _) => IpAddr::V6(Ipv6Addr::from(*lo)),
        }
    }
}

/// `first-last[External]`, e.g. `0.0.0.0-9.255.255.255[External]`.
impl fmt::Display for AddrRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrRange::V4(lo, hi) => write!(f, "{}-{}[External]", Ipv4Addr::from(*lo), Ipv4Addr::from(*hi)),
            AddrRange::V6(lo, hi) => write!(f, "{}-{}[External]", Ipv6Addr::from(*lo), Ipv6Addr::from(*hi)),
        }
    }
}

/// Sets of external addresses, per family.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct AddrSet {
    pub v4: IntervalSet<u32>,
    pub v6: IntervalSet<u128>,
}

impl AddrSet {
    pub fn all() -> Self {
        AddrSet {
            v4: IntervalSet::range(0, u32::MAX),
            v6: IntervalSet::range(0, u128::MAX),
        }
    }

    pub fn from_net(net: &ipnet::IpNet) -> Self {
        match net {
            ipnet::IpNet::V4(n) => AddrSet {
                v4: IntervalSet::range(u32::from(n.network()), u32::from(n.broadcast())),
                v6: IntervalSet::new(),
            },
            ipnet::IpNet::V6(n) => AddrSet {
                v4: IntervalSet::new(),
                v6: IntervalSet::range(u128::from(n.network()), u128::from(n.broadcast())),
            },
        }
    }

    pub fn union_with(&mut self, other: &AddrSet) {
        self.v4.union_with(&other.v4);
        self.v6.union_with(&other.v6);
    }

    pub fn difference(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    /// Whether the whole range is in the set.
    pub fn contains_range(&self, r: &AddrRange) -> bool {
        match r {
            AddrRange::V4(lo, hi) => self.v4.contains_range(*lo, *hi),
            AddrRange::V6(lo, hi) => self.v6.contains_range(*lo, *hi),
        }
    }
}

/// One side of a connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Endpoint {
    /// Index into `Cluster::workloads`.
    Workload(usize),
    External(AddrRange),
}

/// An address as users write it for an external endpoint: `8.8.8.8`, or a range as
/// connlist prints it (`a-b[External]`, which stands for its first address).
pub fn external_address(query: &str) -> Option<IpAddr> {
    let q = query.trim().trim_end_matches("[External]");
    if let Ok(ip) = q.parse::<IpAddr>() {
        return Some(ip);
    }
    let (first, _) = q.split_once('-')?;
    let ip = first.parse::<IpAddr>().ok()?;
    query.trim().ends_with("[External]").then_some(ip)
}
