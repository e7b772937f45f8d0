//! Kubernetes NetworkPolicy (networking.k8s.io/v1): validation, the fast engine that
//! computes whole connection sets, the reference evaluator it is checked against,
//! explanations and the analyzer checks.

pub mod checks;

pub mod engine;
pub mod explain;
mod explain_text;
pub mod exposure;
pub mod fqdn;
pub mod http;
pub mod ingress_controller;
pub mod l7;

pub mod reference;
mod reference_calico;
pub mod staged;
pub mod trace;
