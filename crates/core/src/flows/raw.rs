//! One end of a flow record as the tool describes it, before it is matched, and the key
//! that identifies it for the matcher's cache.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A string of a record: borrowed from the line unless it held an escape.
pub(crate) type Text<'a> = Cow<'a, str>;
/// Labels as a record gives them.
pub(crate) type RawLabels<'a> = BTreeMap<Text<'a>, Text<'a>>;

/// One end of a record as the tool describes it, before it is matched to a workload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawEnd<'a> {
    pub namespace: Option<Text<'a>>,
    /// A pod name, or a pod name prefix (Calico's aggregated `frontend-7d9c-*` without `*`).
    pub pod: Option<Text<'a>>,
    pub pod_is_prefix: bool,
    /// The workload the tool names (Hubble's `workloads`: kind, name; IG's `podOwner`).
    pub workload: Option<(Option<Text<'a>>, Text<'a>)>,
    pub labels: RawLabels<'a>,
    /// A Service whose pods the tool did not resolve (IG `svc` endpoints): its namespace
    /// and name, and the selector when the tool gives it.
    pub service: Option<(Text<'a>, Text<'a>)>,
    pub service_selector: RawLabels<'a>,
    pub ip: Option<IpAddr>,
    /// The tool says the endpoint is outside the cluster (Hubble `reserved:world`,
    /// Calico `net`).
    pub outside: bool,
    /// The tool says what the endpoint is when it is no pod: `host`, `remote-node`,
    /// a Calico NetworkSet, … (it cannot be matched; the record is reported).
    pub special: Option<String>,
    /// A name as netplay prints it (CSV): `ns/name[Kind]`, `ns/name` or a bare name.
    pub name: Option<Text<'a>>,
}

/// Appends a text field to a key: absent, or its length and bytes.
pub(super) fn key_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&(t.len() as u64).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
    }
}

pub(super) fn key_ip(out: &mut Vec<u8>, ip: Option<IpAddr>) {
    match ip {
        None => out.push(0),
        Some(IpAddr::V4(a)) => {
            out.push(4);
            out.extend_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            out.push(6);
            out.extend_from_slice(&a.octets());
        }
    }
}

fn key_labels(out: &mut Vec<u8>, labels: &RawLabels<'_>) {
    out.extend_from_slice(&(labels.len() as u64).to_le_bytes());
    for (k, v) in labels {
        key_text(out, Some(k));
        key_text(out, Some(v));
    }
}

impl RawEnd<'_> {
    /// Writes the bytes that identify this end into `out` (cleared first): two ends with
    /// the same key are the same end, so the matcher resolves each distinct key once.
    pub fn key(&self, out: &mut Vec<u8>) {
        out.clear();
        key_text(out, self.namespace.as_deref());
        key_text(out, self.pod.as_deref());
        out.push(u8::from(self.pod_is_prefix));
        match &self.workload {
            None => out.push(0),
            Some((kind, name)) => {
                out.push(1);
                key_text(out, kind.as_deref());
                key_text(out, Some(name));
            }
        }
        key_labels(out, &self.labels);
        match &self.service {
            None => out.push(0),
            Some((ns, name)) => {
                out.push(1);
                key_text(out, Some(ns));
                key_text(out, Some(name));
            }
        }
        key_labels(out, &self.service_selector);
        key_ip(out, self.ip);
        out.push(u8::from(self.outside));
        key_text(out, self.special.as_deref());
        key_text(out, self.name.as_deref());
    }
}
