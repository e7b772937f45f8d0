//! CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (`cilium.io/v2`) as written:
//! serde shapes of the rule types of cilium/cilium `pkg/policy/api` (rule.go, ingress.go,
//! egress.go, l4.go, cidr.go, fqdn.go, http.go), read through `read::field` so that a
//! wrong type is an NP0002 at its field.
//!
//! Every field is optional, even those Cilium requires, so that `compile` names the
//! missing one at its line. Keys Cilium does not know are NP0009 (`read::field`): the
//! CRD's structural schema prunes them, so a misspelled `fromEndpoint` leaves a rule that
//! matches nothing.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

/// `api.Rule`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CiliumRule {
    pub endpoint_selector: Option<LabelSelector>,
    pub node_selector: Option<LabelSelector>,
    pub ingress: Option<Vec<CiliumIngress>>,
    pub ingress_deny: Option<Vec<CiliumIngress>>,
    pub egress: Option<Vec<CiliumEgress>>,
    pub egress_deny: Option<Vec<CiliumEgress>>,
    pub enable_default_deny: Option<DefaultDeny>,
    pub labels: Option<Value>,
    pub description: Option<String>,
    pub log: Option<Value>,
}

/// `api.DefaultDenyConfig`.
#[derive(Deserialize, Default, Debug, Clone, Copy)]
pub struct DefaultDeny {
    pub ingress: Option<bool>,
    pub egress: Option<bool>,
}

/// `api.IngressRule` and `api.IngressDenyRule` (the deny rule has no L7 rules and no
/// `authentication`; `compile` says so when they are written).
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CiliumIngress {
    pub from_endpoints: Option<Vec<LabelSelector>>,
    pub from_requires: Option<Vec<LabelSelector>>,
    #[serde(rename = "fromCIDR")]
    pub from_cidr: Option<Vec<String>>,
    #[serde(rename = "fromCIDRSet")]
    pub from_cidr_set: Option<Vec<CidrRule>>,
    pub from_entities: Option<Vec<String>>,
    pub from_groups: Option<Value>,
    pub from_nodes: Option<Vec<LabelSelector>>,
    pub to_ports: Option<Vec<PortRule>>,
    pub icmps: Option<Value>,
    pub authentication: Option<Value>,
}

/// `api.EgressRule` and `api.EgressDenyRule`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CiliumEgress {
    pub to_endpoints: Option<Vec<LabelSelector>>,
    pub to_requires: Option<Vec<LabelSelector>>,
    #[serde(rename = "toCIDR")]
    pub to_cidr: Option<Vec<String>>,
    #[serde(rename = "toCIDRSet")]
    pub to_cidr_set: Option<Vec<CidrRule>>,
    pub to_entities: Option<Vec<String>>,
    pub to_services: Option<Vec<ServiceRef>>,
    #[serde(rename = "toFQDNs")]
    pub to_fqdns: Option<Vec<FqdnSelector>>,
    pub to_groups: Option<Value>,
    pub to_nodes: Option<Vec<LabelSelector>>,
    pub to_ports: Option<Vec<PortRule>>,
    pub icmps: Option<Value>,
    pub authentication: Option<Value>,
}

/// `api.CIDRRule`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CidrRule {
    pub cidr: Option<String>,
    pub cidr_group_ref: Option<String>,
    pub cidr_group_selector: Option<Value>,
    pub except: Option<Vec<String>>,
}

/// `api.Service`: a Service by name or by label selector, in a namespace.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRef {
    pub k8s_service: Option<ServiceName>,
    pub k8s_service_selector: Option<ServiceSelector>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ServiceName {
    pub service_name: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
pub struct ServiceSelector {
    pub selector: Option<LabelSelector>,
    pub namespace: Option<String>,
}

/// `api.FQDNSelector`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct FqdnSelector {
    pub match_name: Option<String>,
    pub match_pattern: Option<String>,
}

/// `api.PortRule` (and `api.PortDenyRule`, which has only `ports`).
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PortRule {
    pub ports: Option<Vec<PortProtocol>>,
    pub rules: Option<L7Rules>,
    #[serde(rename = "terminatingTLS")]
    pub terminating_tls: Option<Value>,
    #[serde(rename = "originatingTLS")]
    pub originating_tls: Option<Value>,
    pub server_names: Option<Vec<String>>,
    pub listener: Option<Value>,
}

/// `api.PortProtocol`. `port` is a string in the CRD (a number or a port name), so an
/// unquoted YAML number is a type error (NP0002), as the API server says.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PortProtocol {
    pub port: Option<String>,
    pub end_port: Option<i64>,
    pub protocol: Option<String>,
}

/// `api.L7Rules`: one kind of rules per port rule.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct L7Rules {
    pub http: Option<Vec<HttpRule>>,
    pub dns: Option<Vec<DnsRule>>,
    pub kafka: Option<Value>,
    pub l7proto: Option<String>,
    pub l7: Option<Value>,
}

/// `api.PortRuleHTTP`.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct HttpRule {
    pub method: Option<String>,
    pub path: Option<String>,
    pub host: Option<String>,
    pub headers: Option<Vec<String>>,
    pub header_matches: Option<Value>,
}

/// `api.PortRuleDNS`.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DnsRule {
    pub match_name: Option<String>,
    pub match_pattern: Option<String>,
}
