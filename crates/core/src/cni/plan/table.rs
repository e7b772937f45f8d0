//! The plan table both front ends print, and counts worded for people.

use super::PlanReport;
use crate::cni::Cni;
use serde::Serialize;
use std::fmt;

/// A count for people: `65,536`, or `2^64` when it is an exact power of two above 2^32.
pub fn count(n: u128) -> String {
    if n == u128::MAX {
        return "2^128".into();
    }
    if n > (1 << 32) {
        // IPv6 counts: exact powers of two, or a power of two less the reserved addresses.
        for less in 0..=3u128 {
            if let Some(p) = n.checked_add(less).filter(|p| p.is_power_of_two()) {
                let power = format!("2^{}", p.trailing_zeros());
                return if less == 0 { power } else { format!("{power} - {less}") };
            }
        }
        return format!("≈2^{}", 127 - n.leading_zeros());
    }
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One row of the plan table: a label and a value, both already worded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub label: String,
    pub value: String,
}

impl PlanReport {
    /// The plan table, the same in the CLI and the web view.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut row = |label: &str, value: String| {
            rows.push(Row {
                label: label.into(),
                value,
            })
        };
        row("cluster", self.cluster.clone());
        row("cni", self.cni.to_string());
        row(
            "stack",
            match self.families.as_slice() {
                [a, b] => format!("dual-stack ({}, {})", a.family, b.family),
                [a] => format!("single-stack {}", a.family),
                _ => "no pod CIDR".into(),
            },
        );
        for f in &self.families {
            let p = |s: &str| format!("{} {s}", f.family);
            row(
                &p("pod CIDR"),
                format!("{} ({} addresses)", f.pod_cidr, count(f.pod_addresses)),
            );
            let per = if self.cni == Cni::Calico { "block" } else { "node range" };
            row(
                &p("per-node mask"),
                format!(
                    "/{} ({per} of {} addresses)",
                    f.node_mask,
                    count(f.node_range_addresses)
                ),
            );
            row(&p("node ranges"), count(f.node_ranges));
            row(
                &p("pods per node"),
                format!("{} (max-pods {})", count(f.pods_per_node), self.max_pods_per_node),
            );
            if let Some(h) = f.node_subnet_hosts {
                row(&p("node addresses"), count(h));
            }
            row(&p("max nodes"), count(f.max_nodes));
            let share = if f.pod_addresses == 0 {
                0.0
            } else {
                f.wasted as f64 / f.pod_addresses as f64 * 100.0
            };
            row(&p("addresses wasted"), format!("{} ({share:.1}%)", count(f.wasted)));
            if let Some(s) = f.service_addresses {
                row(&p("service addresses"), count(s));
            }
        }
        row("datapath", self.datapath.to_string());
        row("underlay MTU", self.mtu.underlay_mtu.to_string());
        for f in &self.mtu.families {
            row(
                &format!("overhead ({} underlay)", f.family),
                format!("{} bytes → pod MTU {}", f.overhead, f.pod_mtu),
            );
        }
        row("pod MTU", self.mtu.pod_mtu.to_string());
        rows
    }
}

impl fmt::Display for PlanReport {
    /// The text table `netplay plan` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "AddressPlan {}", self.name)?;
        let rows = self.rows();
        let width = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
        for r in &rows {
            writeln!(f, "  {:width$}  {}", r.label, r.value)?;
        }
        writeln!(f, "  ranges:")?;
        for r in &self.ranges {
            writeln!(f, "    {:8} {:24} {}", r.role.as_str(), r.cidr.to_string(), r.label)?;
        }
        for o in &self.overlaps {
            let (a, b) = (&self.ranges[o.a], &self.ranges[o.b]);
            writeln!(f, "  overlap: {} {} ∩ {} {}", a.label, a.cidr, b.label, b.cidr)?;
        }
        Ok(())
    }
}
