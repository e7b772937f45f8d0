//! Calico's policy objects as written (projectcalico.org/v3, and crd.projectcalico.org/v1
//! as the CRDs store them): every field optional, so that a missing one is reported at its
//! line, and anything that can be a number or a string (protocols, ports) kept as JSON.

use serde::Deserialize;
use serde_json::Value;

/// NetworkPolicy, GlobalNetworkPolicy and their staged kinds.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    pub tier: Option<String>,
    pub order: Option<f64>,
    pub selector: Option<String>,
    pub namespace_selector: Option<String>,
    pub service_account_selector: Option<String>,
    pub types: Option<Vec<String>>,
    pub ingress: Option<Vec<RuleSpec>>,
    pub egress: Option<Vec<RuleSpec>>,
    pub do_not_track: Option<bool>,
    #[serde(rename = "preDNAT")]
    pub pre_dnat: Option<bool>,
    pub apply_on_forward: Option<bool>,
    /// Staged kinds: `Set` (the default) or `Delete`.
    pub staged_action: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RuleSpec {
    pub action: Option<String>,
    pub protocol: Option<Value>,
    pub not_protocol: Option<Value>,
    pub ip_version: Option<u8>,
    pub source: Option<EntitySpec>,
    pub destination: Option<EntitySpec>,
    pub http: Option<Value>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct EntitySpec {
    pub nets: Option<Vec<String>>,
    pub not_nets: Option<Vec<String>>,
    pub selector: Option<String>,
    pub not_selector: Option<String>,
    pub namespace_selector: Option<String>,
    pub ports: Option<Vec<Value>>,
    pub not_ports: Option<Vec<Value>>,
    pub service_accounts: Option<ServiceAccountsSpec>,
    pub services: Option<Value>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountsSpec {
    pub names: Option<Vec<String>>,
    pub selector: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TierSpec {
    pub order: Option<f64>,
    pub default_action: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSetSpec {
    pub nets: Option<Vec<String>>,
}
