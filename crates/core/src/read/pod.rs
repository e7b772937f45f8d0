//! Reading a pod, or a workload's pod template, into what the policy engine needs: its
//! labels, annotations and the container ports named ports resolve against.

use super::fields::{field, to_path};
use super::owners::PodInfo;
use super::pod_spec::PodSpec;
use crate::conn::Protocol;
use crate::diagnostics::Diagnostic;
use crate::model::{ContainerPort, Labels};
use crate::parse::locate::{DisplayPath, PathSeg};
use crate::parse::RawObject;
use serde_json::Value;

/// Where a workload kind keeps its pod template.
fn template_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "Pod" => &[],
        _ => &["spec", "template"],
    }
}

pub(super) fn pod_info(obj: &RawObject, diags: &mut Vec<Diagnostic>) -> Result<Option<PodInfo>, Box<Diagnostic>> {
    let base = template_path(&obj.kind);
    let at = |rest: &[&'static str]| -> Vec<&'static str> { base.iter().chain(rest).copied().collect() };
    // Whether the template is there (absent or null is missing, as for `field`), without
    // copying it.
    let template = base.iter().try_fold(&*obj.value, |value, key| value.get(key));
    if obj.kind != "Pod" && template.is_none_or(Value::is_null) {
        if obj.kind == "ReplicationController" {
            // A ReplicationController may omit its template; it then runs no pods.
            return Ok(None);
        }
        let missing = format!("{}: missing; the {} is skipped", base.join("."), obj.kind);
        return Err(Box::new(
            Diagnostic::new("NP0002", missing).at(&obj.loc).resource(obj.resource()),
        ));
    }
    let labels = field::<Labels>(obj, &at(&["metadata", "labels"]), diags)?.unwrap_or_default();
    let annotations = field::<Labels>(obj, &at(&["metadata", "annotations"]), diags)?.unwrap_or_default();
    let spec_path = at(&["spec"]);
    let cleaned = without_malformed_port_lists(obj, &spec_path, diags);
    let Some(spec) = field::<PodSpec>(cleaned.as_ref().unwrap_or(obj), &spec_path, diags)? else {
        let missing = format!("{}: missing; the {} is skipped", spec_path.join("."), obj.kind);
        return Err(Box::new(
            Diagnostic::new("NP0002", missing).at(&obj.loc).resource(obj.resource()),
        ));
    };
    let mut ports = Vec::new();
    // Containers, and init containers that keep running beside them (native sidecars,
    // `restartPolicy: Always`): both serve ports that named ports can resolve to.
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, c)| c.restart_policy.as_deref() == Some("Always"));
    let serving = spec
        .containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| ("containers", i, c))
        .chain(sidecars.map(|(i, c)| ("initContainers", i, c)));
    for (list, ci, c) in serving {
        for (pi, p) in c.ports.iter().flatten().enumerate() {
            let protocol = p.protocol.as_deref().map_or(Some(Protocol::Tcp), Protocol::parse);
            let container_port = p.container_port.unwrap_or_default();
            let port = u16::try_from(container_port).ok().filter(|&n| n > 0);
            match (protocol, port) {
                (Some(protocol), Some(port)) => ports.push(ContainerPort {
                    name: p.name.clone(),
                    port,
                    protocol,
                }),
                _ => {
                    let mut path = to_path(&spec_path);
                    path.extend([
                        PathSeg::key(list),
                        PathSeg::Index(ci),
                        PathSeg::key("ports"),
                        PathSeg::Index(pi),
                    ]);
                    diags.push(
                        Diagnostic::new(
                            "NP0002",
                            format!(
                                "{}: invalid container port {} {}; the port is ignored",
                                DisplayPath(&path),
                                container_port,
                                p.protocol.as_deref().unwrap_or("TCP")
                            ),
                        )
                        .at(&obj.locate(&path))
                        .resource(obj.resource()),
                    );
                }
            }
        }
    }
    crate::sorting::sort(&mut ports);
    ports.dedup();
    let host_network = spec.host_network.unwrap_or(false);
    Ok(Some(PodInfo {
        labels,
        annotations,
        ports,
        host_network,
        node: spec.node_name.clone(),
        node_address: host_network
            .then(|| obj.value.get("status")?.get("hostIP")?.as_str()?.parse().ok())
            .flatten(),
        service_account: spec.service_account_name.clone(),
    }))
}

/// A container's `ports` that is not a list (`ports: {}` in hand-edited dumps) says
/// nothing about the pod's identity: it is reported (NP0002) and read as no ports, and
/// the pod is kept, as a bad single port is. Returns a copy of `obj` without those
/// fields, or `None` when every `ports` is a list (the common case: no copy).
fn without_malformed_port_lists(
    obj: &RawObject,
    spec_path: &[&'static str],
    diags: &mut Vec<Diagnostic>,
) -> Option<RawObject> {
    let mut spec: &Value = &obj.value;
    for key in spec_path {
        spec = spec.get(key)?;
    }
    let mut malformed: Vec<(&'static str, usize)> = Vec::new();
    for list in ["containers", "initContainers"] {
        let Some(containers) = spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (ci, c) in containers.iter().enumerate() {
            let Some(ports) = c.get("ports") else { continue };
            if ports.is_array() || ports.is_null() {
                continue;
            }
            let mut path = to_path(spec_path);
            path.extend([PathSeg::key(list), PathSeg::Index(ci), PathSeg::key("ports")]);
            let found = match ports {
                Value::Object(m) if m.is_empty() => "an empty mapping `{}`",
                Value::Object(_) => "a mapping (one port written without its list dash `- `?)",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            };
            diags.push(
                Diagnostic::new(
                    "NP0002",
                    format!(
                        "{}: expected a list of container ports, found {found}; this container's ports are ignored",
                        DisplayPath(&path)
                    ),
                )
                .at(&obj.locate(&path))
                .resource(obj.resource()),
            );
            malformed.push((list, ci));
        }
    }
    if malformed.is_empty() {
        return None;
    }
    let mut copy = obj.clone();
    let mut spec = std::sync::Arc::make_mut(&mut copy.value);
    for key in spec_path {
        spec = spec.get_mut(*key)?;
    }
    for (list, ci) in malformed {
        if let Some(Value::Object(c)) = spec.get_mut(list).and_then(|l| l.get_mut(ci)) {
            c.remove("ports");
        }
    }
    Some(copy)
}
