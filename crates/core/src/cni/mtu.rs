//! MTU: what a pod interface may carry once the datapath has added its headers.
//!
//! The overheads are the bytes each encapsulation adds to an inner IP packet, for an IPv4
//! and an IPv6 underlay (outer header). Sources are in docs/cni.md.

use super::{Datapath, Family};
use serde::Serialize;

impl Datapath {
    /// Bytes the datapath adds to each pod packet over an underlay of `underlay` family.
    ///
    /// - VXLAN: outer IP (20 / 40) + UDP 8 + VXLAN 8 + inner Ethernet 14.
    /// - Geneve: the same fixed part as VXLAN (its base header is also 8 bytes); options
    ///   add to it (Cilium sends none unless DSR with Geneve is on).
    /// - IP-in-IP: only the outer IP header (IPv4-in-IPv4 20, in IPv6 40).
    /// - WireGuard: outer IP + UDP 8 + WireGuard data header 16 + authentication tag 16.
    /// - IPsec (ESP, tunnel mode, AES-GCM-128): outer IP + ESP header 8 + IV 8 + ICV 16 +
    ///   trailer 2 + up to 3 padding bytes = 57 / 77.
    pub fn overhead(self, underlay: Family) -> u32 {
        let outer_ip = match underlay {
            Family::V4 => 20,
            Family::V6 => 40,
        };
        match self {
            Datapath::Direct => 0,
            Datapath::Vxlan | Datapath::Geneve => outer_ip + 8 + 8 + 14,
            Datapath::Ipip => outer_ip,
            Datapath::Wireguard => outer_ip + 8 + 16 + 16,
            Datapath::Ipsec => outer_ip + 8 + 8 + 16 + 2 + 3,
        }
    }
}

/// The MTU a pod interface may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MtuReport {
    pub underlay_mtu: u32,
    pub datapath: Datapath,
    /// Per underlay family: overhead and the pod MTU it leaves.
    pub families: Vec<MtuFamily>,
    /// The MTU to set on pod interfaces: the smallest over the underlay families.
    pub pod_mtu: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MtuFamily {
    pub family: Family,
    pub overhead: u32,
    pub pod_mtu: u32,
}

/// The pod MTU for an underlay MTU and datapath, over the underlay families in use.
pub fn compute(underlay_mtu: u32, datapath: Datapath, underlay: &[Family]) -> MtuReport {
    let mut families: Vec<MtuFamily> = underlay
        .iter()
        .map(|&family| {
            let overhead = datapath.overhead(family);
            MtuFamily {
                family,
                overhead,
                pod_mtu: underlay_mtu.saturating_sub(overhead),
            }
        })
        .collect();
    crate::sorting::sort_by_key(&mut families, |f| f.family);
    families.dedup();
    let pod_mtu = families.iter().map(|f| f.pod_mtu).min().unwrap_or(underlay_mtu);
    MtuReport {
        underlay_mtu,
        datapath,
        families,
        pod_mtu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overheads_per_family() {
        let table: Vec<(Datapath, u32, u32)> = Datapath::ALL
            .iter()
            .map(|d| (*d, d.overhead(Family::V4), d.overhead(Family::V6)))
            .collect();
        assert_eq!(
            table,
            vec![
                (Datapath::Direct, 0, 0),
                (Datapath::Vxlan, 50, 70),
                (Datapath::Geneve, 50, 70),
                (Datapath::Ipip, 20, 40),
                (Datapath::Wireguard, 60, 80),
                (Datapath::Ipsec, 57, 77),
            ]
        );
    }

    #[test]
    fn dual_stack_underlay_takes_the_larger_overhead() {
        let r = compute(1500, Datapath::Vxlan, &[Family::V6, Family::V4]);
        assert_eq!(r.pod_mtu, 1430);
        assert_eq!(r.families[0].pod_mtu, 1450);
    }
}
