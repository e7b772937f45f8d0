//! The admin policy kinds as written: serde shapes of `policy.networking.k8s.io`
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
//! (v1alpha2), read through `read::field` so a wrong type is an NP0002 at its field.
//!
//! Every field is optional here, even those the API requires: `compile` says which one is
//! missing, at its line, instead of serde refusing the whole spec. Numbers are `i64` so a
//! priority of 5000 is a range error rather than a type error. Fields of the v1alpha2
//! drafts (`ports`, `match`) are kept as raw values only to name the migration.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The spec of any of the three kinds: ANP has `priority`, BANP none, CNP adds `tier`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AdminSpec {
    pub tier: Option<String>,
    pub priority: Option<i64>,
    pub subject: Option<Subject>,
    pub ingress: Option<Vec<AdminRule>>,
    pub egress: Option<Vec<AdminRule>>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub namespaces: Option<LabelSelector>,
    pub pods: Option<NamespacedPod>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedPod {
    pub namespace_selector: Option<LabelSelector>,
    pub pod_selector: Option<LabelSelector>,
}

/// An ingress or an egress rule: `from` belongs to ingress, `to` to egress.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AdminRule {
    pub name: Option<String>,
    pub action: Option<String>,
    pub from: Option<Vec<AdminPeer>>,
    pub to: Option<Vec<AdminPeer>>,
    /// v1alpha1 ports (the v1alpha2 drafts had the same `ports`).
    pub ports: Option<Vec<AnpPort>>,
    /// v1alpha2 protocols.
    pub protocols: Option<Vec<CnpProtocol>>,
    /// An early v1alpha2 draft's `match`.
    #[serde(rename = "match")]
    pub match_: Option<Value>,
}

/// A peer: exactly one field must be set. Keys of no version of the API land in `other`
/// (a peer of a newer API version: the API says to fail closed on it).
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AdminPeer {
    pub namespaces: Option<LabelSelector>,
    pub pods: Option<NamespacedPod>,
    pub nodes: Option<LabelSelector>,
    pub networks: Option<Vec<String>>,
    pub domain_names: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A v1alpha1 port: exactly one of the three.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AnpPort {
    pub port_number: Option<PortNumber>,
    pub named_port: Option<String>,
    pub port_range: Option<AnpPortRange>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PortNumber {
    pub protocol: Option<String>,
    pub port: Option<i64>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AnpPortRange {
    pub protocol: Option<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// A v1alpha2 protocol entry: exactly one of `tcp`, `udp`, `sctp`, `destinationNamedPort`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CnpProtocol {
    pub tcp: Option<CnpTransport>,
    pub udp: Option<CnpTransport>,
    pub sctp: Option<CnpTransport>,
    pub destination_named_port: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CnpTransport {
    pub destination_port: Option<CnpPort>,
}

/// Exactly one of `number` and `range`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CnpPort {
    pub number: Option<i64>,
    pub range: Option<CnpRange>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CnpRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}
