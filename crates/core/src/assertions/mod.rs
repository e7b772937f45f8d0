//! Assertions: what must (not) be able to talk, written as `netplay.dev/v1alpha1`
//! `Assertions` documents (docs/assertions.md) and run by `netplay test` and by lessons.
//!
//! - [`read`] finds the `Assertions` documents among the raw objects of an input and reads
//!   them into [`Suite`]s (malformed items become NP6001/NP6002 diagnostics and are left
//!   out); [`read_list`] reads a bare list of assertions, as a lesson's check block holds.
//! - [`run`] evaluates suites against a loaded [`Scenario`](crate::Scenario) with the same
//!   engines `connlist`, `explain` and `mesh request` use, and returns a [`Report`]:
//!   each result says what was expected, what is, why (the text of `explain` or of the
//!   mesh trace) and which line of which policy decided.
//! - `report` renders a [`Report`] as text, JUnit XML, JSON or SARIF.

mod eval;
mod read;
mod report;

pub use eval::run;
pub use read::{read, read_list};
pub use report::{AssertionResult, Report};

use crate::conn::{ConnSet, Protocol};
use crate::diagnostics::Location;
use crate::endpoint::AddrRange;
use std::collections::BTreeMap;

/// The apiVersion of `Assertions` documents.
pub const API_VERSION: &str = "netplay.dev/v1alpha1";

/// One `Assertions` document (or a lesson step's checks).
#[derive(Clone, Debug, PartialEq)]
pub struct Suite {
    /// `metadata.name`, or the lesson step's title.
    pub name: String,
    pub loc: Location,
    pub assertions: Vec<Assertion>,
}

/// One assertion as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// The `name` given, or a description made from the assertion itself.
    pub name: String,
    /// Where the assertion starts (its list item).
    pub loc: Location,
    pub check: Check,
}

/// What an assertion checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `from` → `to` (optionally on one port) is allowed or denied, for every member of
    /// both groups.
    Connection {
        from: Vec<EndpointSpec>,
        to: Vec<EndpointSpec>,
        port: Option<(Protocol, u16)>,
        allowed: bool,
    },
    /// `subject` is reached only by (or reaches only) `peers`, and only on `ports` when
    /// given: any other connection fails it. `inbound`: `to: subject, only: {from: peers}`.
    Only {
        subject: Vec<EndpointSpec>,
        inbound: bool,
        peers: Vec<EndpointSpec>,
        ports: Option<ConnSet>,
    },
    /// A simulated request through the mesh (`netplay mesh request`).
    Mesh {
        from: String,
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        expect: MeshExpect,
    },
}

/// What a simulated request must give; every field given must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshExpect {
    pub status: Option<u16>,
    /// Every delivered request reaches this workload.
    pub destination: Option<String>,
    /// The delivered requests split exactly so (workload → share, 0..1).
    pub shares: Option<BTreeMap<String, f64>>,
}

/// One side of an assertion, as written.
#[derive(Clone, Debug, PartialEq)]
pub enum EndpointSpec {
    /// A workload as netplay names it: `ns/name[Kind]`, `ns/name` or a unique `name`.
    Workload(String),
    /// A name with `*` wildcards, matched against `namespace/name` (and
    /// `namespace/name[Kind]` when the pattern has a `[`): `backend/*`, `*/postgres*`.
    Pattern(String),
    /// Every workload in `namespace` (when given) whose labels include `labels`.
    Select {
        namespace: Option<String>,
        labels: BTreeMap<String, String>,
    },
    /// Addresses outside the cluster (`external:CIDR`, `external:IP`, or `external` for
    /// every address), one range per family.
    External(Vec<AddrRange>),
    /// `{ingress-controller}`: traffic admitted by Ingress objects.
    IngressController,
}

impl std::fmt::Display for EndpointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointSpec::Workload(w) | EndpointSpec::Pattern(w) => f.write_str(w),
            EndpointSpec::Select { namespace, labels } => {
                let mut parts = Vec::new();
                if let Some(ns) = namespace {
                    parts.push(format!("namespace {ns}"));
                }
                if !labels.is_empty() {
                    let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    parts.push(format!("labels {}", l.join(",")));
                }
                write!(f, "workloads with {}", parts.join(" and "))
            }
            EndpointSpec::External(ranges) => {
                let r: Vec<String> = ranges.iter().map(|r| r.to_string()).collect();
                f.write_str(&r.join(" and "))
            }
            EndpointSpec::IngressController => f.write_str(crate::netpol::ingress_controller::INGRESS_CONTROLLER),
        }
    }
}

/// `a, b and c` for a list of endpoint specs.
pub(crate) fn describe(specs: &[EndpointSpec]) -> String {
    let parts: Vec<String> = specs.iter().map(ToString::to_string).collect();
    match parts.as_slice() {
        [] => "nobody".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
