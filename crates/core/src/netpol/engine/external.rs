//! External addresses: the maximal ranges with the same connection from or to a class.

use super::sets::{Interned, ALL, NONE};
use super::{side, Engine, PreparedRule, Side};
use crate::endpoint::AddrRange;

impl Engine<'_> {
    /// Maximal ranges of external addresses with the same non-empty connection, from
    /// (egress) or to (ingress) class `c`.
    pub(super) fn external_runs(&mut self, c: usize, dir: Side) -> Vec<(AddrRange, u32)> {
        let (of, tiered, closing) = match dir {
            Side::Egress => (&self.egress_of[c], &self.egress_tiered[c], &self.egress_closing[c]),
            Side::Ingress => (&self.ingress_of[c], &self.ingress_tiered[c], &self.ingress_closing[c]),
        };
        // Only rules that name addresses can match one.
        let names_addrs = |&r: &usize| !self.rules[r].addrs.v4.is_empty() || !self.rules[r].addrs.v6.is_empty();
        let isolation: Option<Vec<usize>> = of
            .as_ref()
            .map(|rules| rules.iter().copied().filter(names_addrs).collect());
        let tiered: Vec<usize> = tiered.iter().copied().filter(names_addrs).collect();
        match &isolation {
            None if tiered.is_empty() && closing.is_empty() => {
                let mut all = vec![(AddrRange::ALL_V4, ALL)];
                if self.v6 {
                    all.push((AddrRange::ALL_V6, ALL));
                }
                return all;
            }
            Some(rules) if rules.is_empty() && tiered.is_empty() && closing.is_empty() => return Vec::new(),
            _ => {}
        }
        let ports = self.class_ports[c];
        let conn_of = |r: &PreparedRule| match dir {
            Side::Egress => r.external_conn,
            Side::Ingress => r.conn_to(ports),
        };
        let mut v4 = vec![0u32];
        let mut v6 = vec![0u128];
        for &r in isolation.iter().flatten().chain(&tiered) {
            v4.extend(self.rules[r].addrs.v4.boundaries());
            v6.extend(self.rules[r].addrs.v6.boundaries());
        }
        crate::sorting::sort_unstable(&mut v4);
        v4.dedup();
        crate::sorting::sort_unstable(&mut v6);
        v6.dedup();
        let mut segments: Vec<AddrRange> = v4
            .iter()
            .enumerate()
            .map(|(i, &lo)| AddrRange::V4(lo, v4.get(i + 1).map_or(u32::MAX, |&next| next - 1)))
            .collect();
        if self.v6 {
            segments.extend(
                v6.iter()
                    .enumerate()
                    .map(|(i, &lo)| AddrRange::V6(lo, v6.get(i + 1).map_or(u128::MAX, |&next| next - 1))),
            );
        }
        let mut out: Vec<(AddrRange, u32)> = Vec::new();
        let rules = &self.rules;
        let closing = match dir {
            Side::Egress => &self.egress_closing[c],
            Side::Ingress => &self.ingress_closing[c],
        };
        let ops = &mut Interned(&mut self.table);
        for seg in segments {
            let conn = side(ops, rules, (&tiered, closing), isolation.as_ref(), |_, r| {
                r.addrs.contains_range(&seg).then(|| conn_of(r))
            });
            if conn == NONE {
                continue;
            }
            if let Some((last, last_conn)) = out.last_mut() {
                let merged = match (*last, seg) {
                    (AddrRange::V4(lo, hi), AddrRange::V4(slo, shi)) if hi.checked_add(1) == Some(slo) => {
                        Some(AddrRange::V4(lo, shi))
                    }
                    (AddrRange::V6(lo, hi), AddrRange::V6(slo, shi)) if hi.checked_add(1) == Some(slo) => {
                        Some(AddrRange::V6(lo, shi))
                    }
                    _ => None,
                };
                if let Some(m) = merged.filter(|_| *last_conn == conn) {
                    *last = m;
                    continue;
                }
            }
            out.push((seg, conn));
        }
        out
    }
}
