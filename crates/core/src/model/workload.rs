//! Namespaces and workloads: labels, container ports, the sets of identical pods that
//! policies select.

use crate::conn::Protocol;
use crate::diagnostics::Location;
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// The label every namespace carries with its own name (set by the API server).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: Labels,
    /// Where the Namespace object is; `None` for a namespace that objects use but the
    /// input does not define.
    pub loc: Option<Location>,
}

/// A container port: what a named port in a policy resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A set of identical pods: a workload's pod template, or a bare Pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: String,
    /// The pods' labels.
    pub labels: Labels,
    pub annotations: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    pub service_account: Option<String>,
    pub loc: Location,
}

impl Workload {
    /// `namespace/name[Kind]`, the name used everywhere.
    pub fn endpoint_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}
