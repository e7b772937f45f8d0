//! Services and the Ingresses and Routes that lead to them.

use super::Labels;
use crate::conn::Protocol;
use crate::diagnostics::Location;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: u16,
    pub target_port: TargetPort,
    pub protocol: Protocol,
    /// `appProtocol`: with the port name, how Istio tells the application protocol.
    pub app_protocol: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    /// `None`: a Service without selector (endpoints managed elsewhere).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    pub service_type: String,
    pub loc: Location,
}

/// How an Ingress or a Route names the port of its backend Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendPort {
    /// A Service port by number (Ingress `port.number`).
    Number(u16),
    /// A Service port by name (Ingress `port.name`, Route `port.targetPort` as a string:
    /// the name in the Service's endpoints, which is the Service port's name).
    Name(String),
    /// The port on the pods (Route `port.targetPort` as a number): the Service ports whose
    /// target port is this one.
    Target(u16),
    /// Every port of the Service (a Route without `port`).
    All,
}

impl BackendPort {
    /// The ports of `svc` this backend leads to; `target` is a port's target port on
    /// the pod in question (`None` when it cannot be resolved there).
    pub fn selects(&self, port: &ServicePort, target: Option<u16>) -> bool {
        match self {
            BackendPort::Number(n) => port.port == *n,
            BackendPort::Name(name) => port.name.as_deref() == Some(name.as_str()),
            BackendPort::Target(n) => target == Some(*n),
            BackendPort::All => true,
        }
    }
}

impl std::fmt::Display for BackendPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendPort::Number(n) => write!(f, "port {n}"),
            BackendPort::Name(n) => write!(f, "port {n}"),
            BackendPort::Target(n) => write!(f, "target port {n}"),
            BackendPort::All => f.write_str("every port"),
        }
    }
}

/// One Service backend of an Ingress (a rule path or the default backend).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressBackend {
    pub service: String,
    pub port: BackendPort,
    pub loc: Location,
}

/// An Ingress, or an OpenShift Route: HTTP routed by an ingress controller (a router)
/// to Services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingress {
    /// `Ingress` or `Route`.
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub backends: Vec<IngressBackend>,
    pub loc: Location,
}
