//! FQDN destinations (Cilium `toFQDNs`): "allow the addresses DNS gives for this name".
//! Which addresses those are is known only when Cilium's DNS proxy sees the answers at run
//! time, so netplay never turns a name into addresses. Instead each name (or pattern) an
//! egress rule names is a destination of its own, `fqdn:<name>`, beside the workloads and
//! the address ranges: connection lists show what each workload whose policies name it
//! may open to it, and explain walks the same tiers for it, saying that it is undecidable
//! which addresses it covers.
//!
//! Which rules apply to such a destination ([`crate::policy::PeerKind::matches_fqdn`]):
//! `toFQDNs` selectors that allow every name it stands for, and peers that hold every
//! address outside the cluster (a rule without peers, `world`, `0.0.0.0/0`). A narrower
//! address block is not applied: whether the name's addresses fall in it is not known.

use super::explain::{explain_one_side, End};
use crate::conn::ConnSet;
use crate::model::Cluster;
use crate::output::ConnLine;
use crate::policy::{Direction, DnsMatch, PeerKind, Policy};

/// The `toFQDNs` selectors of a policy's egress rules.
fn named_by(policy: &Policy) -> impl Iterator<Item = &DnsMatch> {
    policy
        .egress
        .iter()
        .flatten()
        .flat_map(|r| r.peers.iter().flatten())
        .filter_map(|p| match &p.kind {
            PeerKind::Fqdn(m) => Some(m),
            _ => None,
        })
}

/// Per workload, each FQDN destination its egress policies name and what it may open to
/// it (non-empty only), by workload and then name.
pub fn connections(cluster: &Cluster) -> Vec<(usize, DnsMatch, ConnSet)> {
    let naming: Vec<&Policy> = cluster
        .policies
        .iter()
        .filter(|p| named_by(p).next().is_some())
        .collect();
    let mut out = Vec::new();
    if naming.is_empty() {
        return out;
    }
    for (i, w) in cluster.workloads.iter().enumerate() {
        let labels = super::explain::namespace_labels(cluster, &w.namespace);
        let mut names: Vec<&DnsMatch> = naming
            .iter()
            .filter(|p| p.selects_workload(w, &labels))
            .flat_map(|p| named_by(p))
            .collect();
        crate::sorting::sort_by_key(&mut names, |m| m.fqdn_name());
        names.dedup();
        for m in names {
            let side = explain_one_side(cluster, Direction::Egress, w, End::Fqdn(m), End::Fqdn(m), None);
            if !side.allowed.is_empty() {
                out.push((i, m.clone(), side.allowed));
            }
        }
    }
    out
}

/// The connection lines to FQDN destinations, unsorted.
pub(crate) fn lines(cluster: &Cluster) -> Vec<ConnLine> {
    connections(cluster)
        .into_iter()
        .map(|(w, m, conn)| ConnLine {
            src: cluster.workloads[w].endpoint_name(),
            dst: m.fqdn_name(),
            conn: conn.to_string(),
            l7: None,
        })
        .collect()
}
