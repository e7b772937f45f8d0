//! The state of reading one Cilium object: where it is, what Services exist, and the
//! errors and warnings found so far; and the small readers the rule and peer readers
//! share.

use super::selector::{split, Split};
use super::{CiliumKind, ServiceInfo};
use crate::diagnostics::{Diagnostic, Location};
use crate::parse::locate::PathSeg;
use crate::parse::RawObject;
use crate::policy::{Peer, PeerKind};
pub(super) use crate::read::findings::{item, with};
use ipnet::IpNet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

pub(super) struct Ctx<'a> {
    pub obj: &'a RawObject,
    pub kind: CiliumKind,
    /// The policy's namespace; empty for a CiliumClusterwideNetworkPolicy.
    pub namespace: String,
    pub services: &'a [ServiceInfo],
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub(super) fn loc(&self, path: &[PathSeg]) -> Location {
        self.obj.locate(path)
    }

    pub(super) fn diag(&self, code: &'static str, path: &[PathSeg], msg: String) -> Diagnostic {
        Diagnostic::new(code, msg)
            .at(&self.loc(path))
            .resource(self.obj.resource())
    }

    /// NP0040: Cilium rejects the policy.
    pub(super) fn error(&mut self, path: &[PathSeg], msg: String) {
        let d = self.diag("NP0040", path, msg);
        self.errors.push(d);
    }

    pub(super) fn warn(&mut self, code: &'static str, path: &[PathSeg], msg: String) {
        let d = self.diag(code, path, msg);
        self.warnings.push(d);
    }

    pub(super) fn clusterwide(&self) -> bool {
        self.kind == CiliumKind::Clusterwide
    }

    /// Reads a selector, reporting its errors at their lines.
    pub(super) fn split(&mut self, sel: &LabelSelector, path: &[PathSeg], subject: bool) -> (Split, Option<String>) {
        let (s, dropped) = split(sel, subject);
        for (suffix, msg) in &s.errors {
            let mut p = path.to_vec();
            for seg in suffix {
                p.push(match seg.parse::<usize>() {
                    Ok(i) => PathSeg::Index(i),
                    Err(_) => PathSeg::key(seg),
                });
            }
            self.error(&p, msg.clone());
        }
        for key in &s.unmodelled {
            self.warn(
                "NP1040",
                path,
                format!(
                    "{key:?} selects by service account, which netplay does not model: this selector matches no pod"
                ),
            );
        }
        (s, dropped)
    }
}

/// Parses a CIDR as Cilium does: `fromCIDR` also takes a bare address (one host),
/// `fromCIDRSet` needs a prefix length.
pub(super) fn parse_cidr(cx: &mut Ctx, text: &str, path: &[PathSeg], bare_ok: bool) -> Option<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        if net.trunc() != net {
            cx.warn(
                "NP1007",
                path,
                format!("CIDR {text} has host bits set; it means {}", net.trunc()),
            );
        }
        return Some(net.trunc());
    }
    if bare_ok {
        if let Ok(ip) = text.parse::<std::net::IpAddr>() {
            return Some(IpNet::from(ip));
        }
    }
    cx.error(path, format!("unable to parse CIDR {text:?}"));
    None
}

pub(super) fn peer(kind: PeerKind, loc: Location) -> Peer {
    Peer { kind, loc }
}
