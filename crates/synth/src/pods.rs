//! Dumps of a live cluster's pods, as `kubectl get pods -A -o json` (a `v1 List` whose
//! items carry `apiVersion` and `kind`) or the API server's own list (`kubectl get --raw
//! /api/v1/pods`: a `PodList` whose items carry neither) write them: every pod owned by
//! a ReplicaSet, DaemonSet, StatefulSet or Job, with the metadata, spec and status fields
//! a real dump has (about 1 KB per pod, like a real one), so that reading one costs what
//! reading a real dump costs.

use std::fmt::Write;

/// The shape of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpStyle {
    /// `kubectl get pods -A -o json`: `kind: List`, items with their kinds, indented by
    /// four spaces per level as kubectl prints (one line per field).
    Kubectl,
    /// `kubectl get --raw /api/v1/pods`: `kind: PodList`, items without kinds.
    ApiServer,
}

/// `pods` pods of `owners` owners (at least one), spread over about one namespace per 10
/// owners. Deterministic: the same arguments give the same text.
pub fn pod_dump(pods: usize, owners: usize, style: DumpStyle) -> String {
    let owners = owners.max(1);
    let namespaces = owners.div_ceil(10);
    let mut out = String::with_capacity(pods * 1100 + 200);
    match style {
        DumpStyle::Kubectl => out.push_str("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        "),
        DumpStyle::ApiServer => out.push_str(
            "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"918273\"},\"items\":[",
        ),
    }
    for i in 0..pods {
        let owner = i % owners;
        let replica = i / owners;
        if i > 0 {
            out.push(',');
            if style == DumpStyle::Kubectl {
                out.push_str("\n        ");
            }
        }
        match style {
            DumpStyle::Kubectl => {
                let mut pod = String::with_capacity(1100);
                write_pod(&mut pod, i, owner, replica, owner % namespaces, style);
                indent_json(&pod, 2, &mut out);
            }
            DumpStyle::ApiServer => write_pod(&mut out, i, owner, replica, owner % namespaces, style),
        }
    }
    match style {
        DumpStyle::Kubectl => out.push_str(
            "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n",
        ),
        DumpStyle::ApiServer => out.push_str("]}\n"),
    }
    out
}

/// Writes compact JSON (no whitespace outside strings) as kubectl prints it: one field
/// or item per line, four spaces per level, starting at `level`; `{}` and `[]` stay as
/// they are.
fn indent_json(compact: &str, level: usize, out: &mut String) {
    let mut depth = level;
    let mut in_string = false;
    let mut escaped = false;
    let bytes = compact.as_bytes();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 4));
    };
    for (i, c) in compact.char_indices() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let empty = matches!(bytes.get(i + 1), Some(b'}' | b']'));
                if !empty {
                    depth += 1;
                    newline(out, depth);
                }
            }
            '}' | ']' => {
                let empty = i > 0 && matches!(bytes[i - 1], b'{' | b'[');
                if !empty {
                    depth -= 1;
                    newline(out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
}

fn write_pod(out: &mut String, i: usize, owner: usize, replica: usize, ns: usize, style: DumpStyle) {
    let (owner_kind, owner_api) = match owner % 10 {
        0..=5 => ("ReplicaSet", "apps/v1"),
        6 | 7 => ("DaemonSet", "apps/v1"),
        8 => ("StatefulSet", "apps/v1"),
        _ => ("Job", "batch/v1"),
    };
    let app = format!("app-{owner:04}");
    let (owner_name, pod_name, extra_label) = match owner_kind {
        "ReplicaSet" => {
            let hash = format!("{:x}", 0x5f6d_7b9c_u64 + owner as u64);
            (
                format!("{app}-{hash}"),
                format!("{app}-{hash}-{:05x}", replica),
                format!("\"pod-template-hash\":\"{hash}\""),
            )
        }
        "StatefulSet" => (
            app.clone(),
            format!("{app}-{replica}"),
            format!("\"statefulset.kubernetes.io/pod-name\":\"{app}-{replica}\",\"apps.kubernetes.io/pod-index\":\"{replica}\""),
        ),
        "DaemonSet" => (
            app.clone(),
            format!("{app}-{:05x}", replica),
            "\"controller-revision-hash\":\"7d9f8c6b5\",\"pod-template-generation\":\"1\"".to_string(),
        ),
        _ => (
            app.clone(),
            format!("{app}-{:05x}", replica),
            format!("\"batch.kubernetes.io/job-name\":\"{app}\",\"job-name\":\"{app}\""),
        ),
    };
    let kind = match style {
        DumpStyle::Kubectl => "\"apiVersion\":\"v1\",\"kind\":\"Pod\",",
        DumpStyle::ApiServer => "",
    };
    let uid = |n: usize, salt: u32| format!("{:08x}-{:04x}-4000-8000-{:012x}", n as u32 ^ salt, salt & 0xffff, n);
    let _ = write!(
        out,
        concat!(
            "{{{kind}\"metadata\":{{\"name\":\"{pod}\",\"generateName\":\"{owner_name}-\",\"namespace\":\"ns-{ns:04}\",",
            "\"uid\":\"{uid}\",\"resourceVersion\":\"{rv}\",\"creationTimestamp\":\"2026-01-09T09:20:24Z\",",
            "\"labels\":{{\"app\":\"{app}\",\"tier\":\"tier-{tier}\",{extra}}},",
            "\"annotations\":{{\"kubectl.kubernetes.io/restartedAt\":\"2026-01-09T09:20:00Z\"}},",
            "\"ownerReferences\":[{{\"apiVersion\":\"{owner_api}\",\"kind\":\"{owner_kind}\",\"name\":\"{owner_name}\",",
            "\"uid\":\"{owner_uid}\",\"controller\":true,\"blockOwnerDeletion\":true}}]}},",
            "\"spec\":{{\"containers\":[{{\"name\":\"main\",\"image\":\"registry.example.com/{app}:1.{minor}.0\",",
            "\"ports\":[{{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}},{{\"name\":\"metrics\",\"containerPort\":9090,\"protocol\":\"TCP\"}}],",
            "\"env\":[{{\"name\":\"POD_NAMESPACE\",\"valueFrom\":{{\"fieldRef\":{{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}}}}}],",
            "\"resources\":{{\"requests\":{{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}},",
            "\"volumeMounts\":[{{\"name\":\"kube-api-access\",\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\",\"readOnly\":true}}],",
            "\"terminationMessagePath\":\"/dev/termination-log\",\"imagePullPolicy\":\"IfNotPresent\"}}],",
            "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"{app}\",",
            "\"nodeName\":\"node-{node}\",\"schedulerName\":\"default-scheduler\",\"priority\":0}},",
            "\"status\":{{\"phase\":\"Running\",\"hostIP\":\"10.0.{node_hi}.{node_lo}\",\"podIP\":\"10.{a}.{b}.{c}\",",
            "\"podIPs\":[{{\"ip\":\"10.{a}.{b}.{c}\"}}],\"qosClass\":\"Burstable\",\"startTime\":\"2026-01-09T09:20:24Z\",",
            "\"conditions\":[{{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-01-09T09:21:44Z\"}}]}}}}"
        ),
        kind = kind,
        pod = pod_name,
        owner_name = owner_name,
        ns = ns,
        uid = uid(i, 0x9e37),
        rv = 1000 + i,
        app = app,
        tier = owner % 4,
        extra = extra_label,
        owner_api = owner_api,
        owner_kind = owner_kind,
        owner_uid = uid(owner, 0x7f4a),
        minor = owner % 7,
        node = i % 50,
        node_hi = (i % 50) / 250,
        node_lo = i % 50 + 10,
        a = 64 + (i >> 16) % 64,
        b = (i >> 8) % 256,
        c = i % 256,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_have_the_requested_size_and_shape() {
        let raw = pod_dump(20, 4, DumpStyle::ApiServer);
        assert!(raw.starts_with("{\"kind\":\"PodList\""));
        assert_eq!(raw.matches("\"ownerReferences\"").count(), 20);
        assert!(!raw.contains("\"kind\":\"Pod\""));
        let kubectl = pod_dump(20, 4, DumpStyle::Kubectl);
        assert_eq!(kubectl.matches("\"kind\": \"Pod\"").count(), 20);
        assert!(kubectl.contains("\"kind\": \"List\""));
        // kubectl's layout: one field per line, four spaces per level.
        assert!(kubectl.contains("\n        {\n            \"apiVersion\": \"v1\",\n            \"kind\": \"Pod\",\n            \"metadata\": {\n                \"name\": "), "{}", &kubectl[..600]);
        assert!(kubectl.contains("\"ports\": [\n"));
        // Roughly the size of a real dump's pods.
        let per_pod = raw.len() / 20;
        assert!((800..1600).contains(&per_pod), "{per_pod} bytes per pod");
        assert_eq!(pod_dump(20, 4, DumpStyle::Kubectl), kubectl);
    }
}
