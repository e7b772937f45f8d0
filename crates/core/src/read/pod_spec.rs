//! The part of a pod spec netplay reads, and the names of the rest.
//!
//! A pod's identity for the policy engine is its labels, its container ports, whether it
//! shares its node's network, its node and its service account. Reading the whole
//! `core/v1` `PodSpec` (volumes of thirty kinds, affinity, probes, …) cost more to read
//! and to ship in the web app than everything else together, for fields no verdict
//! depends on. These structs read what is used, typed as the API types it (a wrong type
//! is NP0002 at its field, as before), and name every other field of `PodSpec` and
//! `Container` (Kubernetes 1.37) as [`Unread`], so that a typo at these levels is still
//! an unknown field (NP0009). What lies below an unread field is not checked.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A field netplay does not read: any value is accepted and nothing inside it is
/// reported as unknown (unlike `IgnoredAny`, which is how serde marks an unknown field).
#[derive(Default)]
pub(super) struct Unread;

impl<'de> Deserialize<'de> for Unread {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UnreadVisitor)
    }
}

struct UnreadVisitor;

impl<'de> Visitor<'de> for UnreadVisitor {
    type Value = Unread;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_none<E>(self) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_unit<E>(self) -> Result<Unread, E> {
        Ok(Unread)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Unread, D::Error> {
        Unread::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unread, A::Error> {
        while seq.next_element::<Unread>()?.is_some() {}
        Ok(Unread)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unread, A::Error> {
        while map.next_entry::<Unread, Unread>()?.is_some() {}
        Ok(Unread)
    }
}

/// `core/v1` `PodSpec`: what netplay reads, and every other field by name.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code, reason = "the unread fields are named only so that they are not unknown")]
pub(super) struct PodSpec {
    pub containers: Option<Vec<Container>>,
    pub init_containers: Option<Vec<Container>>,
    pub host_network: Option<bool>,
    pub node_name: Option<String>,
    pub service_account_name: Option<String>,

    active_deadline_seconds: Unread,
    affinity: Unread,
    automount_service_account_token: Unread,
    dns_config: Unread,
    dns_policy: Unread,
    enable_service_links: Unread,
    ephemeral_containers: Unread,
    eviction_responders: Unread,
    host_aliases: Unread,
    #[serde(rename = "hostIPC")]
    host_ipc: Unread,
    #[serde(rename = "hostPID")]
    host_pid: Unread,
    host_users: Unread,
    hostname: Unread,
    hostname_override: Unread,
    image_pull_secrets: Unread,
    node_selector: Unread,
    os: Unread,
    overhead: Unread,
    preemption_policy: Unread,
    priority: Unread,
    priority_class_name: Unread,
    readiness_gates: Unread,
    resource_claims: Unread,
    resources: Unread,
    restart_policy: Unread,
    runtime_class_name: Unread,
    scheduler_name: Unread,
    scheduling_gates: Unread,
    scheduling_group: Unread,
    security_context: Unread,
    service_account: Unread,
    #[serde(rename = "setHostnameAsFQDN")]
    set_hostname_as_fqdn: Unread,
    share_process_namespace: Unread,
    subdomain: Unread,
    termination_grace_period_seconds: Unread,
    tolerations: Unread,
    topology_spread_constraints: Unread,
    volumes: Unread,
}

/// `core/v1` `Container`, for containers and init containers.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code, reason = "the unread fields are named only so that they are not unknown")]
pub(super) struct Container {
    pub ports: Option<Vec<ContainerPort>>,
    /// `Always` on an init container makes it a sidecar that keeps serving its ports.
    pub restart_policy: Option<String>,

    name: Unread,
    args: Unread,
    command: Unread,
    env: Unread,
    env_from: Unread,
    image: Unread,
    image_pull_policy: Unread,
    lifecycle: Unread,
    liveness_probe: Unread,
    readiness_probe: Unread,
    resize_policy: Unread,
    resources: Unread,
    restart_policy_rules: Unread,
    security_context: Unread,
    startup_probe: Unread,
    stdin: Unread,
    stdin_once: Unread,
    termination_message_path: Unread,
    termination_message_policy: Unread,
    tty: Unread,
    volume_devices: Unread,
    volume_mounts: Unread,
    working_dir: Unread,
}

/// `core/v1` `ContainerPort`.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[allow(dead_code, reason = "the unread fields are named only so that they are not unknown")]
pub(super) struct ContainerPort {
    pub name: Option<String>,
    /// Required by the API; a missing one reads as 0 and is reported as invalid.
    pub container_port: Option<i32>,
    pub protocol: Option<String>,

    #[serde(rename = "hostIP")]
    host_ip: Unread,
    host_port: Unread,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown_fields(json: serde_json::Value) -> Vec<String> {
        let mut track = super::super::value_de::Track::default();
        let spec = super::super::value_de::read::<PodSpec>(&json, &mut track);
        assert!(spec.is_ok(), "{json}");
        let shown = |p: &Vec<_>| crate::parse::locate::DisplayPath(p).to_string();
        track.unknown.iter().map(shown).collect()
    }

    #[test]
    fn every_field_of_a_real_pod_spec_is_known() {
        // A pod spec with the fields `kubectl get pod -o json` prints for a Deployment's pod.
        let spec = serde_json::json!({
            "containers": [{
                "name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP", "hostPort": 8080, "hostIP": "0.0.0.0"}],
                "resources": {"limits": {"cpu": "1"}}, "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File", "volumeMounts": [{"name": "x", "mountPath": "/x"}],
                "livenessProbe": {"httpGet": {"path": "/", "port": 80}}
            }],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "nodeName": "kind-worker",
            "preemptionPolicy": "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {}, "serviceAccount": "default",
            "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
            "hostIPC": false, "hostPID": false, "setHostnameAsFQDN": false
        });
        assert_eq!(unknown_fields(spec), Vec::<String>::new());
    }

    #[test]
    fn a_typo_at_the_pod_spec_or_container_level_is_unknown() {
        let spec = serde_json::json!({
            "hostNetwrok": true,
            "containers": [{"name": "web", "prots": [{"containerPort": 80}]}]
        });
        assert_eq!(
            unknown_fields(spec),
            vec!["containers[0].prots".to_string(), "hostNetwrok".to_string()]
        );
    }

    #[test]
    fn a_wrong_type_in_a_field_netplay_reads_is_an_error() {
        let spec = serde_json::json!({"containers": [{"ports": [{"containerPort": "eighty"}]}]});
        assert!(serde_json::from_value::<PodSpec>(spec).is_err());
        let spec = serde_json::json!({"hostNetwork": "yes"});
        assert!(serde_json::from_value::<PodSpec>(spec).is_err());
    }

    #[test]
    fn null_reads_as_absent() {
        let spec = serde_json::json!({"containers": null, "hostNetwork": null, "volumes": null});
        let spec: PodSpec = serde_json::from_value(spec).expect("null is read as absent");
        assert!(spec.containers.is_none() && spec.host_network.is_none());
    }
}
