//! One line of a flow file to a [`Record`]: Hubble (`hubble observe -o json`), Calico flow
//! logs, Inspektor Gadget's network trace and netplay's CSV. Field names follow each
//! project's documentation (docs/flows.md lists them); unknown fields are ignored, so
//! newer versions of a tool keep reading.

use crate::conn::Protocol;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The format of a flow file, decided by its first record (docs/flows.md, "Formats").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowFormat {
    Hubble,
    Calico,
    Gadget,
    Csv,
}

impl FlowFormat {
    pub fn name(self) -> &'static str {
        match self {
            FlowFormat::Hubble => "Hubble",
            FlowFormat::Calico => "Calico flow log",
            FlowFormat::Gadget => "Inspektor Gadget",
            FlowFormat::Csv => "CSV",
        }
    }

    /// The format a record line is written in: JSON lines by the keys they carry, anything
    /// else is CSV.
    pub fn detect(line: &str) -> FlowFormat {
        let t = line.trim_start();
        if !t.starts_with('{') {
            return FlowFormat::Csv;
        }
        if t.contains("\"source_namespace\"") || t.contains("\"dest_namespace\"") || t.contains("\"dest_name_aggr\"") {
            FlowFormat::Calico
        } else if t.contains("\"pktType\"") || t.contains("\"remoteKind\"") {
            FlowFormat::Gadget
        } else {
            FlowFormat::Hubble
        }
    }
}

/// One end of a record as the tool describes it, before it is matched to a workload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct RawEnd {
    pub namespace: Option<String>,
    /// A pod name, or a pod name prefix (Calico's aggregated `frontend-7d9c-*` without `*`).
    pub pod: Option<String>,
    pub pod_is_prefix: bool,
    /// The workload the tool names (Hubble's `workloads`: kind, name; IG's `podOwner`).
    pub workload: Option<(Option<String>, String)>,
    pub labels: BTreeMap<String, String>,
    /// A Service whose pods the tool did not resolve (IG `svc` endpoints): its namespace
    /// and name, and the selector when the tool gives it.
    pub service: Option<(String, String)>,
    pub service_selector: BTreeMap<String, String>,
    pub ip: Option<IpAddr>,
    /// The tool says the endpoint is outside the cluster (Hubble `reserved:world`,
    /// Calico `net`).
    pub outside: bool,
    /// The tool says what the endpoint is when it is no pod: `host`, `remote-node`,
    /// a Calico NetworkSet, … (it cannot be matched; the record is reported).
    pub special: Option<String>,
    /// A name as netplay prints it (CSV): `ns/name[Kind]`, `ns/name` or a bare name.
    pub name: Option<String>,
}

/// What one line says.
#[derive(Debug)]
pub(crate) enum Line {
    Record(Box<Record>),
    /// A line that is no connection: a header, a reply, ICMP, an event of another kind.
    Skip(Skip),
    /// A line that cannot be read, with the reason.
    Bad(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Skip {
    Blank,
    Reply,
    /// No TCP, UDP or SCTP connection: ICMP, multicast, an agent event or lost events.
    NoPort,
}

#[derive(Debug)]
pub(crate) struct Record {
    pub src: RawEnd,
    pub dst: RawEnd,
    pub protocol: Protocol,
    pub port: u16,
    pub count: u64,
    /// The verdict the tool observed (`FORWARDED`, `DROPPED`, `allow`, `deny`, …).
    pub verdict: Option<String>,
}

pub(crate) fn read_line(format: FlowFormat, line: &str) -> Line {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Line::Skip(Skip::Blank);
    }
    match format {
        FlowFormat::Hubble => hubble(t),
        FlowFormat::Calico => calico(t),
        FlowFormat::Gadget => gadget(t),
        FlowFormat::Csv => csv(t),
    }
}

fn json_error(e: serde_json::Error) -> Line {
    Line::Bad(match e.classify() {
        serde_json::error::Category::Data => format!("a field has the wrong type ({e})"),
        _ => format!("not a complete JSON object on one line ({e})"),
    })
}

fn protocol_name(s: &str) -> Option<Protocol> {
    match s.to_ascii_uppercase().as_str() {
        "TCP" | "6" => Some(Protocol::Tcp),
        "UDP" | "17" => Some(Protocol::Udp),
        "SCTP" | "132" => Some(Protocol::Sctp),
        _ => None,
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty() && s != "-")
}

fn ip(s: Option<&str>) -> Option<IpAddr> {
    s.and_then(|s| s.parse().ok())
}

// ---------------------------------------------------------------- Hubble

/// `hubble observe -o json` writes one `GetFlowsResponse` a line (`{"flow": {...},
/// "node_name": ..., "time": ...}`); older versions and `hubble observe -o jsonpb` the flow
/// itself. Field names are the proto names (`pod_name`, `is_reply`); the lowerCamelCase JSON
/// names are read too.
#[derive(Deserialize, Default)]
struct HubbleFlow {
    /// The envelope's flow; `None` when the line is the flow itself.
    flow: Option<Box<HubbleFlow>>,
    verdict: Option<String>,
    #[serde(rename = "IP", alias = "ip")]
    ip: Option<HubbleIp>,
    l4: Option<HubbleL4>,
    source: Option<HubbleEndpoint>,
    destination: Option<HubbleEndpoint>,
    #[serde(alias = "isReply")]
    is_reply: Option<bool>,
    /// Deprecated before `is_reply` existed.
    reply: Option<bool>,
}

#[derive(Deserialize)]
struct HubbleIp {
    source: Option<String>,
    destination: Option<String>,
}

#[derive(Deserialize)]
struct HubbleL4 {
    #[serde(rename = "TCP", alias = "tcp")]
    tcp: Option<HubblePorts>,
    #[serde(rename = "UDP", alias = "udp")]
    udp: Option<HubblePorts>,
    #[serde(rename = "SCTP", alias = "sctp")]
    sctp: Option<HubblePorts>,
}

#[derive(Deserialize)]
struct HubblePorts {
    #[serde(alias = "destinationPort")]
    destination_port: Option<u32>,
}

#[derive(Deserialize, Default)]
struct HubbleEndpoint {
    namespace: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(alias = "podName")]
    pod_name: Option<String>,
    #[serde(default)]
    workloads: Vec<HubbleWorkload>,
}

#[derive(Deserialize)]
struct HubbleWorkload {
    name: String,
    kind: Option<String>,
}

fn hubble(line: &str) -> Line {
    let parsed: HubbleFlow = match serde_json::from_str(line) {
        Ok(p) => p,
        Err(e) => return json_error(e),
    };
    let flow = match parsed.flow {
        Some(inner) => *inner,
        None => parsed,
    };
    let (Some(src), Some(dst)) = (flow.source, flow.destination) else {
        // Agent, debug and lost-event lines carry no endpoints.
        return if flow.l4.is_some() {
            Line::Bad("a flow without `source` or `destination`".into())
        } else {
            Line::Skip(Skip::NoPort)
        };
    };
    if flow.is_reply.or(flow.reply) == Some(true) {
        return Line::Skip(Skip::Reply);
    }
    let Some(l4) = flow.l4 else {
        return Line::Skip(Skip::NoPort);
    };
    let (protocol, ports) = match (l4.tcp, l4.udp, l4.sctp) {
        (Some(p), _, _) => (Protocol::Tcp, p),
        (_, Some(p), _) => (Protocol::Udp, p),
        (_, _, Some(p)) => (Protocol::Sctp, p),
        _ => return Line::Skip(Skip::NoPort),
    };
    let Some(port) = ports
        .destination_port
        .and_then(|p| u16::try_from(p).ok())
        .filter(|&p| p > 0)
    else {
        return Line::Bad("`l4` has no destination_port between 1 and 65535".into());
    };
    let (src_ip, dst_ip) = match &flow.ip {
        Some(i) => (ip(i.source.as_deref()), ip(i.destination.as_deref())),
        None => (None, None),
    };
    Line::Record(Box::new(Record {
        src: hubble_end(src, src_ip),
        dst: hubble_end(dst, dst_ip),
        protocol,
        port,
        count: 1,
        verdict: flow.verdict,
    }))
}

fn hubble_end(e: HubbleEndpoint, ip: Option<IpAddr>) -> RawEnd {
    let mut end = RawEnd {
        namespace: nonempty(e.namespace),
        pod: nonempty(e.pod_name),
        ip,
        ..RawEnd::default()
    };
    for label in &e.labels {
        // Labels are `source:key=value`; pod labels have source `k8s`.
        let (source, kv) = label.split_once(':').unwrap_or(("", label.as_str()));
        if source == "reserved" {
            match kv {
                "world" | "world-ipv4" | "world-ipv6" => end.outside = true,
                other => end.special = Some(format!("Cilium's reserved identity {other}")),
            }
            continue;
        }
        if source != "k8s" && !source.is_empty() {
            continue;
        }
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if k.starts_with("io.cilium.") || k == "io.kubernetes.pod.namespace" {
            continue;
        }
        end.labels.insert(k.to_string(), v.to_string());
    }
    if let Some(w) = e.workloads.into_iter().next() {
        end.workload = Some((w.kind.filter(|k| !k.is_empty()), w.name));
    }
    if end.outside {
        end.special = None;
    }
    end
}

// ---------------------------------------------------------------- Calico

/// A Calico flow log record (the documented fields of "Flow log data types"): one JSON
/// object a line, as the flow log files and an Elasticsearch export hold them.
#[derive(Deserialize)]
struct CalicoLine {
    source_ip: Option<String>,
    source_name: Option<String>,
    source_name_aggr: Option<String>,
    source_namespace: Option<String>,
    source_type: Option<String>,
    source_labels: Option<CalicoLabels>,
    dest_ip: Option<String>,
    dest_name: Option<String>,
    dest_name_aggr: Option<String>,
    dest_namespace: Option<String>,
    dest_type: Option<String>,
    dest_labels: Option<CalicoLabels>,
    dest_port: Option<serde_json::Value>,
    proto: Option<serde_json::Value>,
    action: Option<String>,
    reporter: Option<String>,
    num_flows: Option<u64>,
}

/// Labels as Elasticsearch holds them (`{"labels": ["app=web"]}`), a plain list, or a map.
#[derive(Deserialize)]
#[serde(untagged)]
enum CalicoLabels {
    Wrapped { labels: Option<Vec<String>> },
    List(Vec<String>),
    Map(BTreeMap<String, String>),
}

fn calico_labels(l: Option<CalicoLabels>) -> BTreeMap<String, String> {
    let list = match l {
        None => return BTreeMap::new(),
        Some(CalicoLabels::Map(m)) => return m,
        Some(CalicoLabels::Wrapped { labels }) => labels.unwrap_or_default(),
        Some(CalicoLabels::List(l)) => l,
    };
    list.iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn calico_end(
    ty: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    name_aggr: Option<String>,
    labels: Option<CalicoLabels>,
    addr: Option<String>,
) -> RawEnd {
    let mut end = RawEnd {
        ip: ip(addr.as_deref()),
        labels: calico_labels(labels),
        namespace: nonempty(namespace),
        ..RawEnd::default()
    };
    match ty.as_deref() {
        Some("net") => end.outside = true,
        Some("hep") => end.special = Some("a Calico host endpoint".into()),
        Some("ns") => end.special = Some("a Calico NetworkSet".into()),
        _ => {
            let name = nonempty(name).filter(|n| n != "*");
            match (name, nonempty(name_aggr)) {
                (Some(n), _) => end.pod = Some(n),
                (None, Some(a)) => {
                    end.pod_is_prefix = a.ends_with('*');
                    end.pod = Some(a.trim_end_matches('*').to_string());
                }
                (None, None) => {}
            }
        }
    }
    end
}

fn calico(line: &str) -> Line {
    let r: CalicoLine = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return json_error(e),
    };
    let Some(proto) = r.proto.as_ref().and_then(value_text) else {
        return Line::Bad("no `proto`".into());
    };
    let Some(protocol) = protocol_name(&proto) else {
        return Line::Skip(Skip::NoPort);
    };
    let port = r
        .dest_port
        .as_ref()
        .and_then(value_text)
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p > 0);
    let Some(port) = port else {
        return Line::Bad("`dest_port` is not a port between 1 and 65535".into());
    };
    // The same connection is logged by the source's node (`reporter: src`) and the
    // destination's (`dst`): both become the same flow and fold.
    let _ = r.reporter;
    Line::Record(Box::new(Record {
        src: calico_end(
            r.source_type,
            r.source_namespace,
            r.source_name,
            r.source_name_aggr,
            r.source_labels,
            r.source_ip,
        ),
        dst: calico_end(
            r.dest_type,
            r.dest_namespace,
            r.dest_name,
            r.dest_name_aggr,
            r.dest_labels,
            r.dest_ip,
        ),
        protocol,
        port,
        count: r.num_flows.unwrap_or(1).max(1),
        verdict: r.action,
    }))
}

// ---------------------------------------------------------------- Inspektor Gadget

/// `kubectl gadget trace network -o json`: one event per line, the traced pod and the
/// remote end. Current versions put the pod under `k8s` and the remote under `dst`
/// (`addr`, `namespace`, `podname`, `kind`: pod, svc or raw, `podlabels`); older ones
/// flatten them (`namespace`, `pod`, `remoteKind`, `remotePodName`, …).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GadgetLine {
    k8s: Option<GadgetK8s>,
    namespace: Option<String>,
    pod: Option<String>,
    pkt_type: Option<String>,
    proto: Option<String>,
    port: Option<u32>,
    #[serde(rename = "podIP")]
    pod_ip: Option<String>,
    pod_owner: Option<String>,
    #[serde(default)]
    pod_labels: BTreeMap<String, String>,
    dst: Option<GadgetDst>,
    remote_kind: Option<String>,
    remote_pod_namespace: Option<String>,
    remote_pod_name: Option<String>,
    #[serde(default)]
    remote_pod_labels: BTreeMap<String, String>,
    #[serde(rename = "remoteServiceNamespace")]
    remote_svc_namespace: Option<String>,
    #[serde(rename = "remoteServiceName")]
    remote_svc_name: Option<String>,
    #[serde(rename = "remoteServiceLabelSelector", default)]
    remote_svc_selector: BTreeMap<String, String>,
    remote_other: Option<String>,
    ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GadgetK8s {
    namespace: Option<String>,
    #[serde(alias = "pod")]
    pod_name: Option<String>,
    #[serde(default)]
    pod_labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct GadgetDst {
    addr: Option<String>,
    namespace: Option<String>,
    #[serde(alias = "name")]
    podname: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    podlabels: BTreeMap<String, String>,
}

fn gadget(line: &str) -> Line {
    let g: GadgetLine = match serde_json::from_str(line) {
        Ok(g) => g,
        Err(e) => return json_error(e),
    };
    let Some(protocol) = g.proto.as_deref().and_then(protocol_name) else {
        return Line::Skip(Skip::NoPort);
    };
    let Some(port) = g.port.and_then(|p| u16::try_from(p).ok()).filter(|&p| p > 0) else {
        return Line::Bad("`port` is not a port between 1 and 65535".into());
    };
    let (k8s_ns, k8s_pod, k8s_labels) = match g.k8s {
        Some(k) => (k.namespace, k.pod_name, k.pod_labels),
        None => (None, None, BTreeMap::new()),
    };
    let mut labels = g.pod_labels;
    labels.extend(k8s_labels);
    let local = RawEnd {
        namespace: nonempty(k8s_ns.or(g.namespace)),
        pod: nonempty(k8s_pod.or(g.pod)),
        workload: nonempty(g.pod_owner).map(|o| (None, o)),
        labels,
        ip: ip(g.pod_ip.as_deref()),
        ..RawEnd::default()
    };
    let mut remote = RawEnd::default();
    if let Some(d) = g.dst {
        remote.ip = ip(d.addr.as_deref());
        match d.kind.as_deref() {
            Some("pod") => {
                remote.namespace = nonempty(d.namespace);
                remote.pod = nonempty(d.podname);
                remote.labels = d.podlabels;
            }
            Some("svc") => {
                remote.service = d.namespace.zip(d.podname);
                remote.service_selector = d.podlabels;
            }
            _ => remote.outside = true,
        }
    } else {
        remote.ip = ip(g.remote_other.as_deref().or(g.ip.as_deref()));
        match g.remote_kind.as_deref() {
            Some("pod") => {
                remote.namespace = nonempty(g.remote_pod_namespace);
                remote.pod = nonempty(g.remote_pod_name);
                remote.labels = g.remote_pod_labels;
            }
            Some("svc") => {
                remote.service = g.remote_svc_namespace.zip(g.remote_svc_name);
                remote.service_selector = g.remote_svc_selector;
            }
            _ => remote.outside = true,
        }
    }
    // `OUTGOING`: the traced pod opened the connection; `HOST`: it was opened to the pod.
    let (src, dst) = match g.pkt_type.as_deref() {
        Some("OUTGOING") => (local, remote),
        Some("HOST") => (remote, local),
        // Broadcast, multicast and packets for other hosts are no connection of the pod.
        Some(_) => return Line::Skip(Skip::NoPort),
        None => return Line::Bad("no `pktType`".into()),
    };
    Line::Record(Box::new(Record {
        src,
        dst,
        protocol,
        port,
        count: 1,
        verdict: None,
    }))
}

// ---------------------------------------------------------------- CSV

fn csv_end(text: &str) -> RawEnd {
    let text = text.trim().trim_matches('"');
    match crate::endpoint::external_address(text) {
        Some(addr) => RawEnd {
            ip: Some(addr),
            outside: true,
            ..RawEnd::default()
        },
        None => RawEnd {
            name: Some(text.to_string()),
            ..RawEnd::default()
        },
    }
}

/// `src,dst,port,protocol[,count]`; a first line naming the columns is a header.
fn csv(line: &str) -> Line {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields
        .first()
        .is_some_and(|f| matches!(f.to_ascii_lowercase().as_str(), "src" | "source"))
    {
        return Line::Skip(Skip::Blank);
    }
    if !(4..=5).contains(&fields.len()) {
        return Line::Bad(format!(
            "{} fields; a CSV flow is src,dst,port,protocol[,count]",
            fields.len()
        ));
    }
    let port = match fields[2].parse::<u16>() {
        Ok(p) if p > 0 => p,
        _ => return Line::Bad(format!("port {:?} is not a number from 1 to 65535", fields[2])),
    };
    let Some(protocol) = protocol_name(fields[3]) else {
        return Line::Bad(format!("protocol {:?} is not TCP, UDP or SCTP", fields[3]));
    };
    let count = match fields.get(4) {
        None => 1,
        Some(c) => match c.parse::<u64>() {
            Ok(n) => n.max(1),
            Err(_) => return Line::Bad(format!("count {c:?} is not a number")),
        },
    };
    if fields[0].is_empty() || fields[1].is_empty() {
        return Line::Bad("an empty source or destination".into());
    }
    Line::Record(Box::new(Record {
        src: csv_end(fields[0]),
        dst: csv_end(fields[1]),
        protocol,
        port,
        count,
        verdict: None,
    }))
}
