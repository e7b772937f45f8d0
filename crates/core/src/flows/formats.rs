//! One line of a flow file to a [`Record`]: Hubble (`hubble observe -o json`), Calico flow
//! logs, Inspektor Gadget's network trace and netplay's CSV. Field names follow each
//! project's documentation (docs/flows.md lists them); unknown fields are ignored, so
//! newer versions of a tool keep reading.
//!
//! Records are read without copying: strings borrow from the line (`Cow` owns only when a
//! JSON escape had to be undone), fields the reader does not use are skipped unparsed, and
//! an endpoint is matched by its bytes ([`RawEnd::key`]) so that a record of an endpoint
//! seen before costs no allocation for it (issue 20's benchmark, docs/performance.md).

use super::raw::{key_ip, key_text};
pub(crate) use super::raw::{RawEnd, RawLabels, Text};
use crate::conn::Protocol;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
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

/// One end of a record as read: built, or a Hubble endpoint left as parsed until the
/// matcher meets it for the first time (most records repeat endpoints seen before).
#[derive(Debug)]
pub(crate) enum EndSource<'a> {
    Built(RawEnd<'a>),
    Hubble(HubbleEndpoint<'a>, Option<IpAddr>),
}

impl<'a> EndSource<'a> {
    /// The bytes that identify this end (see [`RawEnd::key`]); the first byte tells the
    /// two forms apart, and a Hubble endpoint's key holds every field [`hubble_end`] reads.
    pub fn key(&self, out: &mut Vec<u8>) {
        match self {
            EndSource::Built(raw) => {
                raw.key(out);
                out.insert(0, b'B');
            }
            EndSource::Hubble(e, ip) => {
                out.clear();
                out.push(b'H');
                key_text(out, e.namespace.as_deref());
                key_text(out, e.pod_name.as_deref());
                out.extend_from_slice(&(e.labels.len() as u64).to_le_bytes());
                for l in &e.labels {
                    key_text(out, Some(l));
                }
                let first = e.workloads.first();
                key_text(out, first.map(|w| w.name.as_ref()));
                key_text(out, first.and_then(|w| w.kind.as_deref()));
                key_ip(out, *ip);
            }
        }
    }

    pub fn build(&self) -> RawEnd<'a> {
        match self {
            EndSource::Built(raw) => raw.clone(),
            EndSource::Hubble(e, ip) => hubble_end(e, *ip),
        }
    }

    /// The Service the record names instead of a pod (Inspektor Gadget's `svc`).
    pub fn service(&self) -> Option<&(Text<'a>, Text<'a>)> {
        match self {
            EndSource::Built(raw) => raw.service.as_ref(),
            EndSource::Hubble(..) => None,
        }
    }
}

/// What one line says.
#[derive(Debug)]
pub(crate) enum Line<'a> {
    Record(Box<Record<'a>>),
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
pub(crate) struct Record<'a> {
    pub src: EndSource<'a>,
    pub dst: EndSource<'a>,
    pub protocol: Protocol,
    pub port: u16,
    pub count: u64,
    /// The verdict the tool observed (`FORWARDED`, `DROPPED`, `allow`, `deny`, …).
    pub verdict: Option<Text<'a>>,
}

pub(crate) fn read_line(format: FlowFormat, line: &str) -> Line<'_> {
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

fn json_error(e: serde_json::Error) -> Line<'static> {
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

fn nonempty(s: Option<Text<'_>>) -> Option<Text<'_>> {
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
struct HubbleFlow<'a> {
    /// The envelope's flow; `None` when the line is the flow itself.
    #[serde(borrow)]
    flow: Option<Box<HubbleFlow<'a>>>,
    #[serde(borrow)]
    verdict: Option<Text<'a>>,
    #[serde(rename = "IP", alias = "ip", borrow)]
    ip: Option<HubbleIp<'a>>,
    l4: Option<HubbleL4>,
    #[serde(borrow)]
    source: Option<HubbleEndpoint<'a>>,
    #[serde(borrow)]
    destination: Option<HubbleEndpoint<'a>>,
    #[serde(alias = "isReply")]
    is_reply: Option<bool>,
    /// Deprecated before `is_reply` existed.
    reply: Option<bool>,
}

#[derive(Deserialize)]
struct HubbleIp<'a> {
    #[serde(borrow)]
    source: Option<Text<'a>>,
    #[serde(borrow)]
    destination: Option<Text<'a>>,
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

#[derive(Deserialize, Default, Debug)]
pub(crate) struct HubbleEndpoint<'a> {
    #[serde(borrow)]
    namespace: Option<Text<'a>>,
    #[serde(default, borrow)]
    labels: Vec<Text<'a>>,
    #[serde(alias = "podName", borrow)]
    pod_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    workloads: Vec<HubbleWorkload<'a>>,
}

#[derive(Deserialize, Debug)]
struct HubbleWorkload<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    kind: Option<Text<'a>>,
}

fn hubble(line: &str) -> Line<'_> {
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
        src: EndSource::Hubble(src, src_ip),
        dst: EndSource::Hubble(dst, dst_ip),
        protocol,
        port,
        count: 1,
        verdict: flow.verdict,
    }))
}

fn hubble_end<'a>(e: &HubbleEndpoint<'a>, ip: Option<IpAddr>) -> RawEnd<'a> {
    let mut end = RawEnd {
        namespace: nonempty(e.namespace.clone()),
        pod: nonempty(e.pod_name.clone()),
        ip,
        ..RawEnd::default()
    };
    for label in &e.labels {
        match label {
            Cow::Borrowed(l) => hubble_label(&mut end, l, Cow::Borrowed),
            Cow::Owned(l) => hubble_label(&mut end, l, |t| Cow::Owned(t.to_string())),
        }
    }
    if let Some(w) = e.workloads.first() {
        end.workload = Some((w.kind.clone().filter(|k| !k.is_empty()), w.name.clone()));
    }
    if end.outside {
        end.special = None;
    }
    end
}

/// One of Hubble's `source:key=value` labels into `end`; pod labels have source `k8s`.
/// `keep` makes the key and value texts (borrowed from the line when `label` is).
fn hubble_label<'a, 's>(end: &mut RawEnd<'a>, label: &'s str, keep: impl Fn(&'s str) -> Text<'a>) {
    let (source, kv) = label.split_once(':').unwrap_or(("", label));
    if source == "reserved" {
        match kv {
            "world" | "world-ipv4" | "world-ipv6" => end.outside = true,
            other => end.special = Some(format!("Cilium's reserved identity {other}")),
        }
        return;
    }
    if source != "k8s" && !source.is_empty() {
        return;
    }
    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
    if k.starts_with("io.cilium.") || k == "io.kubernetes.pod.namespace" {
        return;
    }
    end.labels.insert(keep(k), keep(v));
}

// ---------------------------------------------------------------- Calico

/// A Calico flow log record (the documented fields of "Flow log data types"): one JSON
/// object a line, as the flow log files and an Elasticsearch export hold them.
#[derive(Deserialize)]
struct CalicoLine<'a> {
    #[serde(borrow)]
    source_ip: Option<Text<'a>>,
    #[serde(borrow)]
    source_name: Option<Text<'a>>,
    #[serde(borrow)]
    source_name_aggr: Option<Text<'a>>,
    #[serde(borrow)]
    source_namespace: Option<Text<'a>>,
    #[serde(borrow)]
    source_type: Option<Text<'a>>,
    source_labels: Option<CalicoLabels>,
    #[serde(borrow)]
    dest_ip: Option<Text<'a>>,
    #[serde(borrow)]
    dest_name: Option<Text<'a>>,
    #[serde(borrow)]
    dest_name_aggr: Option<Text<'a>>,
    #[serde(borrow)]
    dest_namespace: Option<Text<'a>>,
    #[serde(borrow)]
    dest_type: Option<Text<'a>>,
    dest_labels: Option<CalicoLabels>,
    #[serde(borrow)]
    dest_port: Option<Scalar<'a>>,
    #[serde(borrow)]
    proto: Option<Scalar<'a>>,
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    reporter: Option<Text<'a>>,
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

fn calico_labels<'a>(l: Option<CalicoLabels>) -> RawLabels<'a> {
    let list = match l {
        None => return BTreeMap::new(),
        Some(CalicoLabels::Map(m)) => return m.into_iter().map(|(k, v)| (Cow::Owned(k), Cow::Owned(v))).collect(),
        Some(CalicoLabels::Wrapped { labels }) => labels.unwrap_or_default(),
        Some(CalicoLabels::List(l)) => l,
    };
    list.iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
            (Cow::Owned(k.to_string()), Cow::Owned(v.to_string()))
        })
        .collect()
}

/// A JSON value read as the text of a string or a number (Calico writes `proto` and
/// `dest_port` as either); `None` for anything else, which is skipped unparsed.
struct Scalar<'a>(Option<Text<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // As JSON writes it (`6.0`), which names no protocol or port.
                Ok(Scalar(
                    serde_json::Number::from_f64(v).map(|n| Cow::Owned(n.to_string())),
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(ScalarVisitor)
    }
}

fn calico_end<'a>(
    ty: Option<Text<'a>>,
    namespace: Option<Text<'a>>,
    name: Option<Text<'a>>,
    name_aggr: Option<Text<'a>>,
    labels: Option<CalicoLabels>,
    addr: Option<Text<'a>>,
) -> RawEnd<'a> {
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
                    end.pod = Some(match a {
                        Cow::Borrowed(a) => Cow::Borrowed(a.trim_end_matches('*')),
                        Cow::Owned(a) => Cow::Owned(a.trim_end_matches('*').to_string()),
                    });
                }
                (None, None) => {}
            }
        }
    }
    end
}

fn calico(line: &str) -> Line<'_> {
    let r: CalicoLine = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return json_error(e),
    };
    let Some(proto) = r.proto.and_then(|p| p.0) else {
        return Line::Bad("no `proto`".into());
    };
    let Some(protocol) = protocol_name(&proto) else {
        return Line::Skip(Skip::NoPort);
    };
    let port = r
        .dest_port
        .and_then(|p| p.0)
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|&p| p > 0);
    let Some(port) = port else {
        return Line::Bad("`dest_port` is not a port between 1 and 65535".into());
    };
    // The same connection is logged by the source's node (`reporter: src`) and the
    // destination's (`dst`): both become the same flow and fold.
    let _ = r.reporter;
    Line::Record(Box::new(Record {
        src: EndSource::Built(calico_end(
            r.source_type,
            r.source_namespace,
            r.source_name,
            r.source_name_aggr,
            r.source_labels,
            r.source_ip,
        )),
        dst: EndSource::Built(calico_end(
            r.dest_type,
            r.dest_namespace,
            r.dest_name,
            r.dest_name_aggr,
            r.dest_labels,
            r.dest_ip,
        )),
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
struct GadgetLine<'a> {
    #[serde(borrow)]
    k8s: Option<GadgetK8s<'a>>,
    #[serde(borrow)]
    namespace: Option<Text<'a>>,
    #[serde(borrow)]
    pod: Option<Text<'a>>,
    #[serde(borrow)]
    pkt_type: Option<Text<'a>>,
    #[serde(borrow)]
    proto: Option<Text<'a>>,
    port: Option<u32>,
    #[serde(rename = "podIP", borrow)]
    pod_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pod_owner: Option<Text<'a>>,
    #[serde(default, borrow)]
    pod_labels: RawLabels<'a>,
    #[serde(borrow)]
    dst: Option<GadgetDst<'a>>,
    #[serde(borrow)]
    remote_kind: Option<Text<'a>>,
    #[serde(borrow)]
    remote_pod_namespace: Option<Text<'a>>,
    #[serde(borrow)]
    remote_pod_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    remote_pod_labels: RawLabels<'a>,
    #[serde(rename = "remoteServiceNamespace", borrow)]
    remote_svc_namespace: Option<Text<'a>>,
    #[serde(rename = "remoteServiceName", borrow)]
    remote_svc_name: Option<Text<'a>>,
    #[serde(rename = "remoteServiceLabelSelector", default, borrow)]
    remote_svc_selector: RawLabels<'a>,
    #[serde(borrow)]
    remote_other: Option<Text<'a>>,
    #[serde(borrow)]
    ip: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GadgetK8s<'a> {
    #[serde(borrow)]
    namespace: Option<Text<'a>>,
    #[serde(alias = "pod", borrow)]
    pod_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pod_labels: RawLabels<'a>,
}

#[derive(Deserialize)]
struct GadgetDst<'a> {
    #[serde(borrow)]
    addr: Option<Text<'a>>,
    #[serde(borrow)]
    namespace: Option<Text<'a>>,
    #[serde(alias = "name", borrow)]
    podname: Option<Text<'a>>,
    #[serde(borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    podlabels: RawLabels<'a>,
}

fn gadget(line: &str) -> Line<'_> {
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
        src: EndSource::Built(src),
        dst: EndSource::Built(dst),
        protocol,
        port,
        count: 1,
        verdict: None,
    }))
}

// ---------------------------------------------------------------- CSV

fn csv_end(text: &str) -> RawEnd<'_> {
    let text = text.trim().trim_matches('"');
    match crate::endpoint::external_address(text) {
        Some(addr) => RawEnd {
            ip: Some(addr),
            outside: true,
            ..RawEnd::default()
        },
        None => RawEnd {
            name: Some(Cow::Borrowed(text)),
            ..RawEnd::default()
        },
    }
}

/// `src,dst,port,protocol[,count]`; a first line naming the columns is a header.
fn csv(line: &str) -> Line<'_> {
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
        src: EndSource::Built(csv_end(fields[0])),
        dst: EndSource::Built(csv_end(fields[1])),
        protocol,
        port,
        count,
        verdict: None,
    }))
}
